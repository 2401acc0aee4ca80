"""Vectorised tessellation of a :class:`~sat_env.scene.geometry.Solids` into one indexed, interleaved vertex array.

Every solid becomes a small unit mesh inscribed in the box [-0.5, 0.5]^3 (box: 12 triangles; cylinder/frustum:
16 segments with both caps; cone: 16 segments with the base cap only; ellipsoid: 8 stacks x 12 slices; indexed,
so a box is 24 vertices and 36 indices), which is
turned so that the long axis of a cylinder lies along the solid's local x, y or z (tapered end toward +), scaled by
``size``, yawed with :func:`~sat_env.scene.geometry.rotate_yaw` and translated to ``center``. Normals go through the
inverse-transpose (``R S^-1 n``), so they stay correct under non-uniform scale.

Winding: every triangle (a, b, c) satisfies ``cross(b - a, c - a) . n_outward > 0`` in world coordinates (numbers,
not handedness). The renderer's transform chain has a positive determinant overall (view det -1 times the vertical
flip of the projection det -1), so these triangles are counter-clockwise on screen when seen from outside and
``ctx.front_face = 'ccw'`` with back-face culling keeps exactly the outward faces.

The index array is grouped by ``(material, room)``, so the renderer can draw each material with a shader of its own
(llvmpipe runs every branch of a material switch for every pixel) and cull whole rooms by drawing index ranges. Vertices are laid out per variant (their order does not matter).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sat_env.scene.geometry import AXIS_X, AXIS_Z, BOX, CYLINDER, SPHERE, Solids

VERTEX_DTYPE = np.dtype(
    [
        ("pos", "<f4", (3,)),
        ("nrm", "<f4", (3,)),
        ("col", "<f4", (3,)),
        ("mat", "<f4"),
        ("inst", "<i4"),
        ("room", "<i4"),
    ]
)
VERTEX_FORMAT = "3f 3f 3f 1f 1i 1i"
VERTEX_ATTRS = ("in_pos", "in_nrm", "in_col", "in_mat", "in_inst", "in_room")

CYL_SEGMENTS = 16
SPHERE_STACKS = 8
SPHERE_SLICES = 12
CONE_TAPER_EPS = 1e-4


# ----------------------------------------------------------------------------------------------------------------
# Unit meshes (indexed), built once at import. Each: positions/normals (V, 3) (or a cylinder template), indices (I,).
# ----------------------------------------------------------------------------------------------------------------
def _orient(pos: np.ndarray, outward: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Reorder each index triple so that cross(b-a, c-a) points along the mean `outward` of its vertices."""
    tri = idx.reshape(-1, 3).copy()
    p = pos[tri]
    cr = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    flip = np.einsum("ij,ij->i", cr, outward[tri].mean(axis=1)) < 0
    tri[flip] = tri[flip][:, [0, 2, 1]]
    return tri.reshape(-1)


def _unit_box():
    pos, nrm, idx = [], [], []
    for ax in range(3):
        for sgn in (-1.0, 1.0):
            u, v = [a for a in range(3) if a != ax]
            base = len(pos)
            for a, b in ((-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)):
                p = [0.0, 0.0, 0.0]
                p[ax], p[u], p[v] = 0.5 * sgn, a, b
                n = [0.0, 0.0, 0.0]
                n[ax] = sgn
                pos.append(p)
                nrm.append(n)
            idx += [base, base + 1, base + 2, base, base + 2, base + 3]
    pos, nrm = np.array(pos), np.array(nrm)
    return pos, nrm, _orient(pos, nrm, np.array(idx))


def _unit_sphere():
    th = np.linspace(0.0, np.pi, SPHERE_STACKS + 1)  # from the +y pole down
    ph = np.arange(SPHERE_SLICES) * 2.0 * np.pi / SPHERE_SLICES
    pos = [[0.0, 0.5, 0.0]]
    for i in range(1, SPHERE_STACKS):
        for j in range(SPHERE_SLICES):
            pos.append([0.5 * np.sin(th[i]) * np.cos(ph[j]), 0.5 * np.cos(th[i]), 0.5 * np.sin(th[i]) * np.sin(ph[j])])
    pos.append([0.0, -0.5, 0.0])
    pos = np.array(pos)
    south = len(pos) - 1

    def ring(i, j):  # vertex of ring i (1..STACKS-1), slice j
        return 1 + (i - 1) * SPHERE_SLICES + (j % SPHERE_SLICES)

    idx = []
    for j in range(SPHERE_SLICES):
        idx += [0, ring(1, j), ring(1, j + 1)]
        idx += [south, ring(SPHERE_STACKS - 1, j), ring(SPHERE_STACKS - 1, j + 1)]
        for i in range(1, SPHERE_STACKS - 1):
            a, b, c, d = ring(i, j), ring(i, j + 1), ring(i + 1, j + 1), ring(i + 1, j)
            idx += [a, b, c, a, c, d]
    return pos, pos * 2.0, _orient(pos, pos * 2.0, np.array(idx))


def _unit_cylinder(cone: bool):
    """Template: per-vertex angle (cos, sin), y in {-0.5, 0.5}, part (0 side, 1 bottom cap, 2 top cap); indices.

    Position = (r cos, y, r sin) with r = rb at the bottom and rb * taper at the top, rb = 0.5 / max(1, taper) (so
    the wider end touches the size box); side normal (cos, rb - rt, sin) (unnormalised), caps (0, -+1, 0). A cone's apex is one vertex per segment, at the
    segment's mid angle (for its normal); it has no top cap.
    """
    n = CYL_SEGMENTS
    ang = np.arange(n) * 2.0 * np.pi / n
    mid = ang + np.pi / n
    verts = [(a, -0.5, 0) for a in ang]  # side bottom ring: 0..n-1
    verts += [(a, 0.5, 0) for a in (mid if cone else ang)]  # side top ring / apexes: n..2n-1
    verts += [(a, -0.5, 1) for a in ang]  # bottom cap: 2n..3n-1
    if not cone:
        verts += [(a, 0.5, 2) for a in ang]  # top cap: 3n..4n-1
    idx = []
    for i in range(n):
        i1 = (i + 1) % n
        if cone:
            idx += [i, i1, n + i]
        else:
            idx += [i, i1, n + i1, i, n + i1, n + i]
    caps = [2 * n] if cone else [2 * n, 3 * n]
    for c0 in caps:
        for i in range(1, n - 1):
            idx += [c0, c0 + i, c0 + i + 1]
    v = np.array(verts)
    t = {"c": np.cos(v[:, 0]), "s": np.sin(v[:, 0]), "y": v[:, 1], "part": v[:, 2].astype(np.int8)}
    pos, nrm = _cyl_local(t, np.array([0.0 if cone else 0.6]))
    return t, _orient(pos[0], nrm[0], np.array(idx))


def _cyl_local(t, taper: np.ndarray):
    """Local positions and (unnormalised) normals (k, V, 3) of a cylinder template for tapers (k,), axis y."""
    top = t["y"] > 0
    rb = 0.5 / np.maximum(taper, 1.0)  # bottom radius: the wider end touches the size box (taper > 1 widens up)
    rt = rb * taper
    r = np.where(top[None, :], rt[:, None], rb[:, None])  # (k, V)
    k, V = len(taper), len(t["y"])
    pos = np.empty((k, V, 3), np.float32)
    pos[..., 0] = r * t["c"]
    pos[..., 1] = t["y"]
    pos[..., 2] = r * t["s"]
    side = t["part"] == 0
    nrm = np.zeros((k, V, 3), np.float32)
    nrm[..., 0] = np.where(side, t["c"], 0.0)
    nrm[..., 2] = np.where(side, t["s"], 0.0)
    nrm[..., 1] = np.where(side[None, :], (rb - rt)[:, None], np.where(t["part"] == 1, -1.0, 1.0))
    return pos, nrm


BOX_POS, BOX_NRM, BOX_IDX = _unit_box()
SPHERE_POS, SPHERE_NRM, SPHERE_IDX = _unit_sphere()
CYL_T, CYL_IDX = _unit_cylinder(cone=False)
CONE_T, CONE_IDX = _unit_cylinder(cone=True)

# Variants: 0 box, 1 cylinder/frustum, 2 cone, 3 ellipsoid.
_N_VERTS = np.array([len(BOX_POS), len(CYL_T["y"]), len(CONE_T["y"]), len(SPHERE_POS)])
_IDX = [BOX_IDX.astype(np.int64), CYL_IDX.astype(np.int64), CONE_IDX.astype(np.int64), SPHERE_IDX.astype(np.int64)]
_N_IDX = np.array([len(i) for i in _IDX])

# Rotations (det +1) taking the unit cylinder's +y axis to local +x / +z.
_AXIS_ROT = {
    AXIS_X: np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], np.float32),  # (x,y,z) -> (y,-x,z)
    AXIS_Z: np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]], np.float32),  # (x,y,z) -> (x,-z,y)
}


def _variant(solids: Solids) -> np.ndarray:
    cone = solids.taper < CONE_TAPER_EPS
    cyl = solids.kind == CYLINDER
    return np.select([solids.kind == BOX, cyl & ~cone, cyl & cone], [0, 1, 2], default=3).astype(np.int64)


@dataclass
class Mesh:
    """A tessellated scene (indexed triangles).

    Attributes:
        vertices: (V, 12) float32 rows in VERTEX_DTYPE layout (the last two columns hold int32 bits);
            ``vertices.view(VERTEX_DTYPE)`` gives named fields.
        indices: (I,) int32 triangle list, grouped by (material, room), ascending.
        group_room: (G,) room index of each group.
        group_material: (G,) material code of each group (the renderer draws each with its own shader).
        group_first: (G,) first index (into `indices`) of each group.
        group_count: (G,) index count of each group.
        group_lo, group_hi: (G, 3) world AABB of each group.
    """

    vertices: np.ndarray
    indices: np.ndarray
    group_room: np.ndarray
    group_first: np.ndarray
    group_count: np.ndarray
    group_lo: np.ndarray
    group_hi: np.ndarray
    group_material: np.ndarray

    @property
    def n_triangles(self) -> int:
        return len(self.indices) // 3

    def triangle_soup(self) -> np.ndarray:
        """(T, 3) VERTEX_DTYPE records of every triangle (for tests and tools)."""
        return self.vertices.view(VERTEX_DTYPE).reshape(-1)[self.indices].reshape(-1, 3)


def _place(lp, ln, solids: Solids, sel: np.ndarray, out: np.ndarray, axis_aware: bool) -> None:
    """Scale, axis-remap, yaw and translate local (k or 1, V, 3) arrays of the selected solids into out (k, V, 12)."""
    size = solids.size[sel].astype(np.float32)
    if axis_aware:
        ax = solids.axis[sel]
        for code, rot in _AXIS_ROT.items():
            m = ax == code
            if m.any():
                lp[m] = lp[m] @ rot.T
                ln[m] = ln[m] @ rot.T
    px = lp[..., 0] * size[:, None, 0]
    py = lp[..., 1] * size[:, None, 1]
    pz = lp[..., 2] * size[:, None, 2]
    inv = 1.0 / np.maximum(size, 1e-9)
    nx = ln[..., 0] * inv[:, None, 0]
    ny = ln[..., 1] * inv[:, None, 1]
    nz = ln[..., 2] * inv[:, None, 2]
    t = np.radians(solids.yaw[sel]).astype(np.float32)[:, None]
    c, s = np.cos(t), np.sin(t)
    cen = solids.center[sel].astype(np.float32)
    out[..., 0] = px * c + pz * s + cen[:, None, 0]
    out[..., 1] = py + cen[:, None, 1]
    out[..., 2] = pz * c - px * s + cen[:, None, 2]
    wx = nx * c + nz * s
    wz = nz * c - nx * s
    rn = 1.0 / np.sqrt(np.maximum(wx * wx + ny * ny + wz * wz, 1e-30))
    out[..., 3] = wx * rn
    out[..., 4] = ny * rn
    out[..., 5] = wz * rn


def build_mesh(solids: Solids) -> Mesh:
    """Tessellate all solids into one indexed vertex array; the index array is grouped by (material, room)."""
    n = len(solids)
    var = _variant(solids)
    room = solids.room.astype(np.int64)
    mat = solids.material.astype(np.int64)
    order = np.lexsort((var, room, mat))  # material-major (one shader per material), then room, then variant
    nv, ni = _N_VERTS[var], _N_IDX[var]
    ioff = np.empty(n, np.int64)
    ioff[order] = np.cumsum(ni[order]) - ni[order]
    total_v, total_i = int(nv.sum()), int(ni.sum())
    verts = np.empty((total_v, 12), np.float32)
    vint = verts.view(np.int32)
    indices = np.empty(total_i, np.int32)

    vstart = 0
    for v in range(4):
        sel = order[var[order] == v]
        k = len(sel)
        if k == 0:
            continue
        V = int(_N_VERTS[v])
        blk = verts[vstart : vstart + k * V].reshape(k, V, 12)
        bint = vint[vstart : vstart + k * V].reshape(k, V, 12)
        if v == 0:
            _place(BOX_POS.astype(np.float32)[None], BOX_NRM.astype(np.float32)[None], solids, sel, blk, False)
        elif v == 3:
            _place(SPHERE_POS.astype(np.float32)[None], SPHERE_NRM.astype(np.float32)[None], solids, sel, blk,
                   False)
        else:
            lp, ln = _cyl_local(CYL_T if v == 1 else CONE_T, solids.taper[sel].astype(np.float32))
            _place(lp, ln, solids, sel, blk, True)
        blk[..., 6:9] = solids.color[sel][:, None, :]
        blk[..., 9] = solids.material[sel][:, None]
        bint[..., 10] = solids.instance[sel][:, None]
        bint[..., 11] = solids.room[sel][:, None]
        vbase = vstart + np.arange(k, dtype=np.int64) * V
        I = int(_N_IDX[v])
        indices[(ioff[sel][:, None] + np.arange(I)).reshape(-1)] = (vbase[:, None] + _IDX[v][None]).reshape(-1)
        vstart += k * V

    # (material, room) groups over the index array.
    rooms_sorted = room[order]
    key = mat[order] * 65536 + rooms_sorted
    if n:
        sstart = np.concatenate([[0], np.nonzero(np.diff(key))[0] + 1])
        lo, hi = solids.world_aabb()
        g_lo = np.minimum.reduceat(lo[order], sstart, axis=0)
        g_hi = np.maximum.reduceat(hi[order], sstart, axis=0)
        g_first = ioff[order][sstart]
        g_count = np.add.reduceat(ni[order], sstart)
        g_room = rooms_sorted[sstart].astype(np.int32)
        g_mat = mat[order][sstart].astype(np.int32)
    else:
        g_lo = g_hi = np.zeros((0, 3))
        g_first = g_count = np.zeros(0, np.int64)
        g_room = g_mat = np.zeros(0, np.int32)
    return Mesh(verts, indices, g_room, g_first, g_count, g_lo, g_hi, g_mat)

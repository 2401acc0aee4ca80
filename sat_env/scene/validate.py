"""Checks that a house is valid: schema, no interpenetrating solids, supported children, one connected home in
which every room and every object can be reached."""

from __future__ import annotations

import warnings

import numpy as np

from sat_env.errors import GenerationError, HouseFormatError
from sat_env.scene.config import ROOM_TYPES
from sat_env.scene.geometry import BOX, Solids
from sat_env.scene.navgrid import REACH_DISTANCE, points_in_polygon, rect_distance

TOL = 1e-4  # metres: overlaps smaller than this are touching, not interpenetrating


def _self_crossing(pts: list[tuple[float, float]]) -> tuple[int, int] | None:
    """The first pair of non-adjacent edges of a closed polygon that touch or cross, or None (a simple polygon)."""
    n = len(pts)

    def orient(a, b, c):
        v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        return 0 if abs(v) < 1e-12 else (1 if v > 0 else -1)

    def on(a, b, c):  # c on segment ab, given collinear
        return min(a[0], b[0]) - 1e-12 <= c[0] <= max(a[0], b[0]) + 1e-12 and \
            min(a[1], b[1]) - 1e-12 <= c[1] <= max(a[1], b[1]) + 1e-12

    for i in range(n):
        a, b = pts[i], pts[(i + 1) % n]
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:  # the closing edge is adjacent to the first
                continue
            c, d = pts[j], pts[(j + 1) % n]
            o1, o2, o3, o4 = orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
            if (o1 != o2 and o3 != o4) or (o1 == 0 and on(a, b, c)) or (o2 == 0 and on(a, b, d)) or \
                    (o3 == 0 and on(c, d, a)) or (o4 == 0 and on(c, d, b)):
                return i, j
    return None


class HouseGeometryWarning(UserWarning):
    """A house given by the user has geometry problems (objects in walls or in each other, unreachable rooms or
    objects, floating objects): questions and episodes in it may be wrong where the problems are."""


def warn_geometry(scene, label: str) -> list[str]:
    """Check a built scene that SAT-Env did not generate (generated ones are valid by construction) and warn
    (HouseGeometryWarning) with its problems; returns them."""
    problems = geometry_problems(scene)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        warnings.warn(HouseGeometryWarning(
            f"{label}: {'; '.join(problems[:5])}{more}. Questions or episodes that involve these objects may be "
            "wrong: fix the house, or leave it out of houses=; `sat scene --procthor FILE --index N` lists the "
            "problems of a ProcTHOR house"), stacklevel=3)
    return problems


def check_schema(house) -> None:
    """Raise HouseFormatError naming the first problem with the house dict's structure."""
    if not isinstance(house, dict):
        raise HouseFormatError(f"a house must be a JSON object, got {type(house).__name__}")
    for key in ("rooms", "walls", "objects"):
        if not isinstance(house.get(key), list):
            raise HouseFormatError(f"house is missing the list {key!r} (ProcTHOR house schema 1.0.0)")
    if not house["rooms"]:
        raise HouseFormatError("house has no rooms")
    room_ids = set()
    for i, r in enumerate(house["rooms"]):
        if not isinstance(r, dict) or "id" not in r or "floorPolygon" not in r:
            raise HouseFormatError(f"rooms[{i}] needs 'id', 'roomType' and 'floorPolygon'")
        if r.get("roomType") not in ROOM_TYPES:
            raise HouseFormatError(f"rooms[{i}] ({r['id']}) has roomType {r.get('roomType')!r}; expected one of {ROOM_TYPES}")
        poly = r["floorPolygon"]
        if not isinstance(poly, list) or len(poly) < 3 or not all(isinstance(p, dict) and {"x", "z"} <= set(p) for p in poly):
            raise HouseFormatError(f"rooms[{i}] ({r['id']}) floorPolygon needs >= 3 points with x, y, z")
        if not all(isinstance(p[a], (int, float)) and not isinstance(p[a], bool) and np.isfinite(p[a])
                   for p in poly for a in "xz"):
            raise HouseFormatError(f"rooms[{i}] ({r['id']}) floorPolygon has a non-numeric or infinite coordinate")
        crossing = _self_crossing([(float(p["x"]), float(p["z"])) for p in poly])
        if crossing:
            raise HouseFormatError(f"rooms[{i}] ({r['id']}) floorPolygon crosses itself (edges {crossing[0]} and "
                                   f"{crossing[1]}): list its corners in order around the room")
        room_ids.add(r["id"])
    wall_ids = set()
    for i, w in enumerate(house["walls"]):
        if not isinstance(w, dict) or "id" not in w or not isinstance(w.get("polygon"), list) or len(w["polygon"]) < 2:
            raise HouseFormatError(f"walls[{i}] needs 'id' and a 'polygon' of 4 points")
        wall_ids.add(w["id"])
    for key in ("doors", "windows"):
        for i, d in enumerate(house.get(key, []) or []):
            if not isinstance(d, dict) or "holePolygon" not in d or len(d.get("holePolygon", [])) < 2:
                raise HouseFormatError(f"{key}[{i}] needs 'id', 'wall0' and a 'holePolygon' of 2 points")
            for k in ("wall0", "wall1"):
                if d.get(k) is not None and d[k] not in wall_ids:
                    raise HouseFormatError(f"{key}[{i}] ({d.get('id')}) refers to unknown wall {d[k]!r}")
    seen: set[str] = set()

    def walk(objs, where):
        for j, o in enumerate(objs):
            if not isinstance(o, dict) or not {"id", "assetId", "position"} <= set(o):
                raise HouseFormatError(f"{where}[{j}] needs 'id', 'assetId', 'position' and 'rotation'")
            if o["id"] in seen:
                raise HouseFormatError(f"object id {o['id']!r} appears twice; ids must be unique")
            seen.add(o["id"])
            p = o["position"]
            if not all(isinstance(p.get(a), (int, float)) for a in "xyz"):
                raise HouseFormatError(f"object {o['id']!r}: position needs numeric x, y, z")
            walk(o.get("children", []) or [], f"{where}[{j}].children")

    walk(house["objects"], "objects")
    agent = (house.get("metadata") or {}).get("agent")
    if agent is not None and not ({"x", "z"} <= set(agent.get("position", {}))):
        raise HouseFormatError("metadata.agent.position needs x, y, z")


def _obb_overlap(a, b) -> bool:
    """Do two object records' oriented boxes interpenetrate (by more than TOL)?"""
    ya, yb = a.y_range, b.y_range
    if min(ya[1], yb[1]) - max(ya[0], yb[0]) <= TOL:
        return False
    # Boxes whose footprints (axis-aligned bounds) do not meet cannot overlap on every box axis (the overlap of
    # two convex shapes' projections is at least their least overlap over the edge normals): skip the exact test.
    fa, fb = a.footprint, b.footprint
    if min(fa[2], fb[2]) <= max(fa[0], fb[0]) or min(fa[3], fb[3]) <= max(fa[1], fb[1]):
        return False
    axes = []
    for r in (a, b):
        t = np.radians(r.yaw)
        axes += [np.array([np.cos(t), -np.sin(t)]), np.array([np.sin(t), np.cos(t)])]
    ca, cb = a.obb_corners()[:, [0, 2]], b.obb_corners()[:, [0, 2]]
    for ax in axes:
        pa, pb = ca @ ax, cb @ ax
        if min(pa.max(), pb.max()) - max(pa.min(), pb.min()) <= TOL:
            return False
    return True


def _related(scene, a, b) -> bool:
    """Is one of the two objects an ancestor of the other?"""
    for x, y in ((a, b), (b, a)):
        p = x.parent
        while p is not None:
            if p == y.object_id:
                return True
            p = scene.objects[p].parent
    return False


def geometry_problems(scene) -> list[str]:
    """Problems with a built scene: interpenetration, unsupported children, reachability, connectivity."""
    problems = []
    objs = list(scene.objects.values())
    # Objects against objects (a child may rest on its parent, touching it).
    fps = np.array([o.footprint for o in objs]).reshape(-1, 4)
    for i, a in enumerate(objs):
        cand = np.nonzero((fps[i + 1 :, 0] < fps[i, 2]) & (fps[i, 0] < fps[i + 1 :, 2])
                          & (fps[i + 1 :, 1] < fps[i, 3]) & (fps[i, 1] < fps[i + 1 :, 3]))[0] + i + 1
        for j in cand:
            b = objs[j]
            if _related(scene, a, b):  # things on shelves and seats lie inside their receptacle's box
                continue
            if _obb_overlap(a, b):
                problems.append(f"{a.object_id} interpenetrates {b.object_id}")
    # Objects against walls and doorway trims.
    walls = scene.structure_obstacles[:, :4]
    for o in objs:
        f = np.array(o.footprint)
        hit = (walls[:, 0] < f[2] - TOL) & (f[0] < walls[:, 2] - TOL) & (walls[:, 1] < f[3] - TOL) & (f[1] < walls[:, 3] - TOL)
        if hit.any() and o.y_range[0] < 2.0 + 1e-6:
            problems.append(f"{o.object_id} goes into a wall or doorway")
    # Children rest on their parent's support surface, inside it.
    for o in objs:
        if o.parent is None:
            if not o.on_wall and abs(o.y_range[0]) > TOL:
                problems.append(f"{o.object_id} floats: bottom at y={o.y_range[0]:.3f} m, not on the floor")
            continue
        p = scene.objects[o.parent]
        f, pf = o.footprint, p.footprint
        if f[0] < pf[0] - TOL or f[1] < pf[1] - TOL or f[2] > pf[2] + TOL or f[3] > pf[3] + TOL:
            problems.append(f"{o.object_id} overhangs its receptacle {p.object_id}")
        if not (p.y_range[0] - TOL <= o.y_range[0] <= p.y_range[1] + TOL):
            problems.append(f"{o.object_id} is not supported by {p.object_id}")
    # Reachability: every room, one component; every object within reach of it.
    nav = scene.navgrid
    pts = nav.positions()
    if len(pts) == 0:
        return problems + ["no reachable floor"]
    for r in scene.rooms:
        if not points_in_polygon(pts, r.polygon).any():
            problems.append(f"room {r.room_id} ({r.room_type}) cannot be reached")
    if objs:
        d = rect_distance(pts[:, 0], pts[:, 1], fps).min(axis=0)
        for o, dist in zip(objs, d):
            if dist > REACH_DISTANCE + 1e-9:
                problems.append(f"{o.object_id} is out of reach ({dist:.2f} m from the nearest reachable point)")
    return problems


def validate_scene(scene) -> None:
    """Raise GenerationError listing every problem if a scene built from a house dict (``scene.house``) is not
    valid (see module docstring); build_scene has checked the house dict's schema already."""
    problems = geometry_problems(scene)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise GenerationError("invalid house: " + "; ".join(problems[:5]) + more)


def coplanar_overlaps(solids: Solids, max_pairs: int | None = None) -> list[tuple[int, int]]:
    """Pairs of box solids of *different* instances with a coplanar, same-facing, overlapping face (z-fighting).

    Only axis-aligned boxes (yaw a multiple of 90) are checked, which is every structural solid and every piece of
    furniture; returns index pairs into `solids`.
    """
    lo, hi = solids.world_aabb()
    is_box = (solids.kind == BOX) & (np.abs(((solids.yaw + 45.0) % 90.0) - 45.0) < 1e-6)
    idx = np.nonzero(is_box)[0]
    out = []
    for axis in range(3):
        for face, other in ((hi, hi), (lo, lo)):
            v = np.round(face[idx, axis], 5)
            order = np.argsort(v, kind="stable")
            vs = v[order]
            start = 0
            while start < len(vs):
                end = start
                while end + 1 < len(vs) and vs[end + 1] == vs[start]:
                    end += 1
                group = idx[order[start : end + 1]]
                if len(group) > 1:
                    a1, a2 = [a for a in range(3) if a != axis]
                    g_lo, g_hi = lo[group], hi[group]
                    for i in range(len(group)):
                        ov1 = np.minimum(g_hi[i, a1], g_hi[:, a1]) - np.maximum(g_lo[i, a1], g_lo[:, a1])
                        ov2 = np.minimum(g_hi[i, a2], g_hi[:, a2]) - np.maximum(g_lo[i, a2], g_lo[:, a2])
                        bad = (ov1 > 1e-4) & (ov2 > 1e-4) & (solids.instance[group] != solids.instance[group[i]])
                        bad[: i + 1] = False
                        for j in np.nonzero(bad)[0]:
                            out.append((int(group[i]), int(group[j])))
                            if max_pairs and len(out) >= max_pairs:
                                return out
                start = end + 1
    return out

"""A small pure-numpy ray caster: the independent oracle of the rasteriser (and a dependency-free fallback).

Supports boxes with any yaw (exact) and y-axis cylinders with taper 1 (analytic, so silhouettes differ slightly
from the 16-segment tessellation of the renderer). Other solids raise ``NotImplementedError`` unless
``skip_unsupported=True``. Same conventions as :class:`~sat_env.render.Renderer`: planar depth through
:meth:`Camera.pixel_rays`, background id 0 and depth 0.0, surfaces nearer than the near plane are not seen
(a camera inside a solid sees through it, as back faces are culled).
"""

from __future__ import annotations

import numpy as np

from sat_env.scene.camera import FAR, NEAR, Camera
from sat_env.scene.geometry import AXIS_Y, BOX, CYLINDER, Solids, rotate_yaw

__all__ = ["raycast"]


def _screen_rect(solids: Solids, i: int, camera: Camera) -> tuple[int, int, int, int]:
    """Pixel rectangle (r0, r1, c0, c1) that contains solid i's projection (whole image if it crosses z=near)."""
    h = solids.size[i] / 2.0
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], dtype=np.float64)
    corners = solids.center[i] + rotate_yaw(signs * h, solids.yaw[i])
    px, z = camera.project(corners)
    H, W = camera.height, camera.width
    if (z <= NEAR).any():
        return 0, H, 0, W
    c0 = int(np.clip(np.floor(px[:, 0].min()) - 1, 0, W))
    c1 = int(np.clip(np.ceil(px[:, 0].max()) + 1, 0, W))
    r0 = int(np.clip(np.floor(px[:, 1].min()) - 1, 0, H))
    r1 = int(np.clip(np.ceil(px[:, 1].max()) + 1, 0, H))
    return r0, r1, c0, c1


def raycast(solids: Solids, camera: Camera, skip_unsupported: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Ray-cast ids (H, W) int32 and planar depth (H, W) float32 of a scene of boxes (and y-cylinders)."""
    H, W = camera.height, camera.width
    rays = camera.pixel_rays()  # (H, W, 3); o + t * d with t = planar depth
    origin = np.asarray(camera.position, dtype=np.float64)
    zbuf = np.full((H, W), np.inf)
    ids = np.zeros((H, W), np.int32)
    for i in range(len(solids)):
        kind = int(solids.kind[i])
        is_box = kind == BOX
        is_cyl = kind == CYLINDER and int(solids.axis[i]) == AXIS_Y and abs(float(solids.taper[i]) - 1.0) < 1e-6
        if not (is_box or is_cyl):
            if skip_unsupported:
                continue
            raise NotImplementedError("raycast supports boxes and y-axis cylinders (taper 1) only")
        r0, r1, c0, c1 = _screen_rect(solids, i, camera)
        if r0 >= r1 or c0 >= c1:
            continue
        d = rays[r0:r1, c0:c1]
        # Into the solid's local frame (inverse yaw).
        o_l = rotate_yaw(origin - solids.center[i], -solids.yaw[i])
        d_l = rotate_yaw(d, -solids.yaw[i])
        half = solids.size[i] / 2.0
        if is_box:
            dd = np.where(np.abs(d_l) < 1e-12, 1e-12, d_l)
            t1 = (-half - o_l) / dd
            t2 = (half - o_l) / dd
            tn = np.minimum(t1, t2).max(axis=-1)
            tf = np.maximum(t1, t2).min(axis=-1)
            hit = (tn <= tf) & (tn > NEAR) & (tn < FAR)
            t = tn
        else:
            # Elliptic cylinder x^2/a^2 + z^2/b^2 = 1, |y| <= hy, plus caps.
            a, hy, b = half
            ox, oy, oz = o_l
            dx, dy, dz = d_l[..., 0], d_l[..., 1], d_l[..., 2]
            A = (dx / a) ** 2 + (dz / b) ** 2
            B = 2.0 * (ox * dx / a**2 + oz * dz / b**2)
            C = (ox / a) ** 2 + (oz / b) ** 2 - 1.0
            disc = B * B - 4 * A * C
            with np.errstate(invalid="ignore", divide="ignore"):
                ts = (-B - np.sqrt(disc)) / (2 * A)
                ys = oy + ts * dy
                side = (disc >= 0) & (A > 1e-18) & (np.abs(ys) <= hy) & (ts > NEAR)
                tc = np.where(dy > 0, (-hy - oy) / dy, (hy - oy) / dy)  # the cap facing the ray
                xc, zc = ox + tc * dx, oz + tc * dz
                cap = (np.abs(dy) > 1e-12) & ((xc / a) ** 2 + (zc / b) ** 2 <= 1.0) & (tc > NEAR)
            t = np.where(side, ts, np.inf)
            t = np.where(cap & (tc < t), tc, t)
            hit = np.isfinite(t) & (t < FAR)
        sub = zbuf[r0:r1, c0:c1]
        closer = hit & (t < sub)
        sub[closer] = t[closer]
        ids[r0:r1, c0:c1][closer] = solids.instance[i]
    depth = np.where(np.isfinite(zbuf), zbuf, 0.0).astype(np.float32)
    return ids, depth

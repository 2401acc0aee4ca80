"""Measuring the picture rules on sampled QAs, independently of the code that sampled them (for ``sat audit``).

Every rule of :mod:`qa.visibility` is measured again from what was rendered: the view's instance ids and depth, the
marked and unmarked frames (a mark is whatever pixels differ between them), and frames rendered again for moved
objects and navigation poses. The code here shares nothing with the samplers but the rule's thresholds: it uses
random points instead of a grid for in-frame shares, pixel differences instead of mark geometry for cover,
back-projected 3D points instead of depth arithmetic. A QA breaks a rule when its measurement falls outside the
threshold by more than the measurement's own resolution (the ``TOL_*`` constants).

Rules (``RULES``), each True (broken), False (kept) or None (does not apply to the QA):

- ``cut_off``: a named or marked object has less than its family's share of its 3D box inside the frame (or, for
  the families that keep marked objects off the border, its 2D box comes too close to the border).
- ``too_small``: a named or marked object's 2D box or mask is below its family's pixel thresholds, or it is beyond
  its family's distance limit.
- ``mark_cover``: the marks cover more than MAX_MARK_COVER of a marked object's visible pixels.
- ``count``: count's answer is not the number of clearly visible instances, or an instance is ambiguous.
- ``picture``: the picture contradicts the 3D answer (which object looks nearer / higher / further left; how the
  moved object's size and position changed).
- ``x_floor``: perspective's X is not on open floor (furniture or a depth edge under the mark or near the point).
- ``composition``: the question's view has its centre blocked nearby, something near filling much of it, one
  surface filling most of it, or hardly any object in it.
"""

from __future__ import annotations

import numpy as np

from qa import visibility as vis
from qa.marks import x_radius
from sat_env.backends import views

RULES = ("cut_off", "too_small", "mark_cover", "count", "picture", "x_floor", "composition")
TOL_IN_FRAME = 0.03  # 4,096 random points estimate a volume share to a standard error under 0.008
TOL_COVER = 0.02
TOL_DISTANCE = 0.01  # m
TOL_PIXELS = 0.005  # of the image size, for centroid shifts
IN_FRAME_POINTS = 4096
PICTURE_FAMILIES = ("closer_to_camera", "front_behind", "left_right", "above_below", "object_movement")


# --- measurements ---------------------------------------------------------------------------------------------------


def in_frame(camera, rec, rng: np.random.Generator) -> float:
    """Share of the object's oriented box inside the image: random points in the box (trilinear in its 8 corners),
    projected to pixels."""
    corners = rec.obb_corners()  # index = 4 * ix + 2 * iy + iz over (-0.5, 0.5) per axis
    u = rng.random((IN_FRAME_POINTS, 3))
    wx = np.stack([1 - u[:, 0], u[:, 0]], 1)
    wy = np.stack([1 - u[:, 1], u[:, 1]], 1)
    wz = np.stack([1 - u[:, 2], u[:, 2]], 1)
    weights = (wx[:, :, None, None] * wy[:, None, :, None] * wz[:, None, None, :]).reshape(-1, 8)
    pts = weights @ corners
    pix, depth = camera.project(pts)
    ok = (depth > 0.05) & (pix[:, 0] >= 0) & (pix[:, 0] <= camera.width) & (pix[:, 1] >= 0) & \
        (pix[:, 1] <= camera.height)
    return float(ok.mean())


def _mask(view, object_id: str) -> np.ndarray:
    return view.ids == view.object_ids.index(object_id)


def _points(view, mask: np.ndarray) -> np.ndarray:
    """World points of the masked pixels, back-projected from the depth image."""
    cam = view.camera
    return np.asarray(cam.position) + view.depth[mask][:, None] * cam.pixel_rays()[mask]


def _too_small(rule, view, mask: np.ndarray, rec) -> bool:
    """Below the family's pixel thresholds, or beyond its distance limit."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return True
    area = (xs.max() - xs.min() + 1) * (ys.max() - ys.min() + 1)
    far = np.linalg.norm(np.asarray(rec.center) - np.asarray(view.camera.position)) > rule.max_distance
    return area < rule.min_box_area * w * h / 512 ** 2 or len(xs) < rule.min_fill * area or bool(far)


def _on_border(rule, mask: np.ndarray) -> bool:
    """For rules that keep objects off the border: the 2D box comes closer to the border than the rule allows."""
    if not rule.off_border:
        return False
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    e = vis.EDGE_MARGIN_FRACTION * max(w, h)
    return bool(len(xs) and (xs.min() < e or ys.min() < e or xs.max() > w - 1 - e or ys.max() > h - 1 - e))


def _centroid(mask: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(mask)
    return float(xs.mean()), float(ys.mean())


def _camera_distance(view, mask: np.ndarray) -> float:
    return float(np.median(np.linalg.norm(_points(view, mask) - np.asarray(view.camera.position), axis=1)))


def _planar_depth(view, mask: np.ndarray) -> float:
    return float(np.median(view.depth[mask]))


# --- the rules ------------------------------------------------------------------------------------------------------


def _named_view(qa, view, backend):
    """The view that shows the objects a QA names: its own view, or for the navigation families (which move the agent)
    the frame rendered again at the recorded pose."""
    if not qa.family.startswith("nav_"):
        return view
    x, z, yaw = qa.truth["camera"]
    pose = backend.pose
    backend.teleport(x, z, yaw, qa.truth["horizon"])
    try:
        return backend.view()
    finally:
        backend.teleport(pose.x, pose.z, pose.yaw, pose.horizon)


def _count(qa, view, rng) -> bool:
    cam = view.camera
    w, h = cam.width, cam.height
    clear = 0
    for rec in view.records.values():
        if rec.object_type != qa.truth["object_type"]:
            continue
        m = view.ids == rec.instance
        n = int(m.sum())
        if n < vis.COUNT_TRACE * w * h:
            continue
        rule = vis.COUNTED
        ys, xs = np.nonzero(m)
        area = (xs.max() - xs.min() + 1) * (ys.max() - ys.min() + 1)
        ok = (area >= vis.COUNT_CLEAR_AREA * rule.min_box_area * w * h / 512 ** 2 and n >= rule.min_fill * area
              and np.linalg.norm(rec.center - np.asarray(cam.position)) <= rule.max_distance
              and in_frame(cam, rec, rng) >= vis.COUNT_CLEAR_IN_FRAME - TOL_IN_FRAME)
        if not ok:
            return True  # an instance between a trace and a clear view: a person could count it or not
        clear += 1
    return clear != int(qa.numeric)


def _moved_frame(qa, backend):
    """(view before, view after) of object_movement's move, rendered again from the recorded positions."""
    m = qa.truth["moved"]
    before = backend.view()
    if not backend.place_object(m["object_id"], m["new"][0], m["new"][2]):
        raise RuntimeError(f"the rule check could not move {m['object_id']} where object_movement had moved it")
    try:
        after = backend.view()
    finally:
        back = backend.place_object(m["object_id"], m["old"][0], m["old"][2])
        if not back:
            raise RuntimeError(f"the rule check could not put {m['object_id']} back: {back.error}")
    return before, after


def _picture(qa, view, backend) -> bool | None:
    """True when the picture contradicts the answer (see PICTURE_FAMILIES)."""
    f, t = qa.family, qa.truth
    cam = view.camera
    if f == "object_movement":
        if t["moved"] is None or "named" not in t:
            return None  # "no objects moved", or "which object moved" (no direction asked)
        before, after = _moved_frame(qa, backend)
        oid = t["moved"]["object_id"]
        mb, ma = _mask(before, oid), _mask(after, oid)
        if not ma.any():
            return True
        grow = ma.sum() / mb.sum()
        towards = t["moved"]["distance_new"] < t["moved"]["distance_old"]
        if (grow if towards else 1 / grow) < vis.PICTURE_SIZE_RATIO - TOL_COVER:
            return True
        shift = (_centroid(ma)[0] - _centroid(mb)[0]) / cam.width
        right = qa.label.split(",")[0] == "right"  # "right, towards" / "right, away"
        return (shift if right else -shift) < vis.PICTURE_SHIFT_MARGIN - TOL_PIXELS
    x, y = (_mask(view, o) for o in qa.objects[:2])
    if f == "closer_to_camera":
        gap = _camera_distance(view, y) - _camera_distance(view, x)
        return (gap if qa.label == "closer" else -gap) < vis.PICTURE_DISTANCE_MARGIN - TOL_DISTANCE
    if f == "front_behind":
        gap = _planar_depth(view, y) - _planar_depth(view, x)
        return (gap if qa.label == "front" else -gap) < vis.PICTURE_DISTANCE_MARGIN - TOL_DISTANCE
    (cx, rx), (cy, ry) = _centroid(x), _centroid(y)
    if f == "left_right":
        gap = (cx - cy) / cam.width
        return (gap if qa.label == "right" else -gap) < vis.PICTURE_COLUMN_MARGIN - TOL_PIXELS
    if f == "above_below":
        gap = (ry - rx) / cam.height
        return (gap if qa.label == "above" else -gap) < vis.PICTURE_ROW_MARGIN - TOL_PIXELS
    return None


def _x_floor(qa, view) -> bool:
    """True when the X mark, or the floor within X_FLOOR_RADIUS of the standing point, is not open floor at the floor's
    height."""
    cam = view.camera
    w, h = cam.width, cam.height
    col, row = qa.truth["x_pixel"]
    yy, xx = np.mgrid[0:h, 0:w]
    need = (xx - col) ** 2 + (yy - row) ** 2 <= (x_radius(w, h) + 0.5) ** 2  # under the mark
    # Where the floor disc around the standing point would show: every pixel ray meets the floor plane somewhere.
    rays = cam.pixel_rays()
    o = np.asarray(cam.position, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = -o[1] / rays[..., 1]
    px, pz = qa.truth["x_point"]
    need |= (t > 0) & (np.hypot(o[0] + t * rays[..., 0] - px, o[2] + t * rays[..., 2] - pz) <= vis.X_FLOOR_RADIUS)
    types = np.array([t or "" for t in view.object_types], dtype=object)[view.ids[need]]
    if (types != "Floor").any():
        return True
    heights = _points(view, need)[:, 1]
    return bool(np.abs(heights).max() > vis.X_FLOOR_TOLERANCE)


def _composition(view) -> bool:
    cam = view.camera
    w, h = cam.width, cam.height
    k = views.CENTRE_PATCH / 2
    patch = view.depth[int(h * (0.5 - k)):int(np.ceil(h * (0.5 + k))), int(w * (0.5 - k)):int(np.ceil(w * (0.5 + k)))]
    if float(np.median(patch)) < views.MIN_CENTRE_DEPTH - TOL_DISTANCE:
        return True
    d = view.depth
    if ((d > 0) & (d < views.MIN_CENTRE_DEPTH - TOL_DISTANCE)).mean() > views.MAX_NEAR_SHARE + TOL_COVER:
        return True
    counts = np.bincount(view.ids.ravel(), minlength=len(view.object_ids))
    objects = sum(counts[r.instance] for r in view.records.values())
    if objects / (w * h) < views.MIN_OBJECT_SHARE - TOL_COVER:
        return True
    counts[0] = 0  # nothing hit is no surface
    return counts.max() / (w * h) > views.MAX_SURFACE_SHARE + TOL_COVER


def check(qa, view, backend, rng: np.random.Generator | None = None) -> dict[str, bool | None]:
    """Which rules a QA breaks. `view` is the view it was sampled from (before any motion); `backend` has the agent
    at that view's pose (the audit's state right after sampling) and is used to render moved objects and navigation
    poses again; the scene is left as it was."""
    rng = rng if rng is not None else np.random.default_rng(0)
    out = dict.fromkeys(RULES)
    named = _named_view(qa, view, backend)
    rule = vis.rule_for(qa.family)
    if qa.family == "count":
        out["count"] = _count(qa, view, rng)
    elif rule is not None and qa.objects:
        cut = small = False
        for oid in qa.objects:
            rec = named.records[oid]
            share = in_frame(named.camera, rec, rng)
            m = _mask(named, oid)
            cut |= share < rule.min_in_frame - TOL_IN_FRAME or _on_border(rule, m)
            small |= _too_small(rule, named, m, rec)
        out["cut_off"], out["too_small"] = bool(cut), bool(small)
    marked = [r for r in qa.images if r.endswith("marked")]
    if marked:
        covered = False
        for role in marked:
            base = qa.frames["view" if role == "marked" else role[: -len("_marked")]]
            ink = (qa.frames[role] != base).any(axis=-1)
            for oid in qa.objects:
                m = _mask(view, oid)
                covered |= (ink & m).sum() / max(int(m.sum()), 1) > vis.MAX_MARK_COVER + TOL_COVER
        out["mark_cover"] = bool(covered)
    if qa.family in PICTURE_FAMILIES:
        out["picture"] = _picture(qa, view, backend)
    if qa.family == "perspective":
        out["x_floor"] = _x_floor(qa, view)
    if not qa.family.startswith("nav_"):
        out["composition"] = _composition(view)
    return out

"""Choosing good viewpoints: reachable poses that see many objects (as SAT's pose selection does), composed so that a
person sees a room, not a wall at arm's length."""

from __future__ import annotations

import numpy as np

from sat_env.backends.base import AgentPose

# View composition (the question rules' view part, see qa.visibility): the median planar depth of the central patch
# (CENTRE_PATCH of the width and of the height) is at least MIN_CENTRE_DEPTH; at most MAX_NEAR_SHARE of the image is
# nearer than MIN_CENTRE_DEPTH (a wall edge or a shelf beside the camera); no single surface (an instance: a wall, a
# room's floor, a piece of furniture) fills more than MAX_SURFACE_SHARE...
MIN_CENTRE_DEPTH = 0.5
CENTRE_PATCH = 0.2
MAX_NEAR_SHARE = 0.25
MAX_SURFACE_SHARE = 0.6
# ...and at least MIN_OBJECT_SHARE of the image shows objects (furniture and small objects, not walls, floors, doors or
# windows): a view of bare walls asks nothing a person could see (1 sampled view in 20 was below it).
MIN_OBJECT_SHARE = 0.05
# Views are scored on 64 px renders: the choice keeps these margins inside the thresholds, so that the view at full
# resolution passes them too.
COMPOSITION_DEPTH_MARGIN = 0.1  # m
COMPOSITION_SHARE_MARGIN = 0.05


def composition_ok(ids: np.ndarray, depth: np.ndarray, is_object: np.ndarray | None = None, depth_margin: float = 0.0,
                   share_margin: float = 0.0) -> bool:
    """Does a view (instance ids, planar depth) pass the composition thresholds, with margins inside them?
    `is_object[i]` says whether instance id i is an object (furniture or a small object); without it the object
    share is not checked."""
    h, w = ids.shape
    k = CENTRE_PATCH / 2
    patch = depth[int(h * (0.5 - k)):int(np.ceil(h * (0.5 + k))), int(w * (0.5 - k)):int(np.ceil(w * (0.5 + k)))]
    if float(np.median(patch)) < MIN_CENTRE_DEPTH + depth_margin:
        return False
    near = (depth > 0) & (depth < MIN_CENTRE_DEPTH + depth_margin)
    if near.mean() > MAX_NEAR_SHARE - share_margin:
        return False
    counts = np.bincount(ids.ravel(), minlength=1)
    if is_object is not None and counts[: len(is_object)][is_object[: len(counts)]].sum() / ids.size < \
            MIN_OBJECT_SHARE + share_margin:
        return False
    counts[0] = 0  # nothing hit is no surface
    return counts.max() / ids.size <= MAX_SURFACE_SHARE - share_margin


def sample_views(backend, rng: np.random.Generator, n: int, candidates: int = 24) -> list:
    """Poses from reachable points that see many objects (scored on a 64 px render), best first, distinct, each
    passing :func:`composition_ok` (fewer than n, or none, when too few candidates pass)."""
    pts = backend.reachable_positions()
    if len(pts) == 0:
        return []
    drawn = []
    for _ in range(candidates):
        x, z = pts[int(rng.integers(len(pts)))]
        pose = AgentPose(float(x), float(z), float(rng.integers(360)), float(rng.choice([0.0, 10.0, 20.0])))
        drawn.append((pose, rng.random()))
    images = backend.view_ids([p for p, _ in drawn], 64, 64, depth=True)
    # Instance ids start with the scene's table (both backends); ids beyond it (floors and walls AI2-THOR draws as
    # instances of their own) are not objects.
    records = backend.scene.objects
    top = max([len(backend.scene.table.object_ids) + 1, *(int(ids.max()) + 1 for ids, _ in images if ids.size)])
    is_object = np.zeros(top, dtype=bool)
    is_object[1:len(backend.scene.table.object_ids) + 1] = [oid in records for oid in backend.scene.table.object_ids]
    scored = []
    for (pose, tie), (ids, depth) in zip(drawn, images):
        if not composition_ok(ids, depth, is_object, COMPOSITION_DEPTH_MARGIN, COMPOSITION_SHARE_MARGIN):
            continue
        n_obj = int(is_object[np.unique(ids)].sum())
        scored.append((n_obj, tie, pose))
    scored.sort(key=lambda s: (-s[0], s[1]))
    out = []
    for _, _, pose in scored:
        if all(np.hypot(pose.x - q.x, pose.z - q.z) > 0.75 or abs(pose.yaw - q.yaw) > 60 for q in out):
            out.append(pose)
        if len(out) == n:
            break
    return out



"""Choosing good viewpoints: reachable poses that see many objects (as SAT's pose selection does)."""

from __future__ import annotations

import numpy as np

from sat_env.backends.base import AgentPose


def sample_views(backend, rng: np.random.Generator, n: int, candidates: int = 24) -> list:
    """Poses from reachable points that see many objects (scored on a 64 px render), best first, distinct."""
    pts = backend.reachable_positions()
    if len(pts) == 0:
        return []
    ids_only = getattr(backend, "view_ids", None)  # embedded: all candidates in one draw, one readback
    drawn = []
    for _ in range(candidates):
        x, z = pts[int(rng.integers(len(pts)))]
        pose = AgentPose(float(x), float(z), float(rng.integers(360)), float(rng.choice([0.0, 10.0, 20.0])))
        drawn.append((pose, rng.random()))
    if ids_only is not None:
        id_images = ids_only([p for p, _ in drawn], 64, 64)
        object_ids, records = [None, *backend.scene.table.object_ids], backend.scene.objects
    else:
        saved = (backend.width, backend.height)
        backend.width = backend.height = 64
        try:
            views = [backend.view(p) for p, _ in drawn]
        finally:
            backend.width, backend.height = saved
        id_images = [v.ids for v in views]
        object_ids, records = views[0].object_ids, views[0].records
    scored = []
    for (pose, tie), ids in zip(drawn, id_images):
        n_obj = sum(1 for i in np.unique(ids) if i > 0 and object_ids[i] in records)
        scored.append((n_obj, tie, pose))
    scored.sort(key=lambda s: (-s[0], s[1]))
    out = []
    for _, _, pose in scored:
        if all(np.hypot(pose.x - q.x, pose.z - q.z) > 0.75 or abs(pose.yaw - q.yaw) > 60 for q in out):
            out.append(pose)
        if len(out) == n:
            break
    return out



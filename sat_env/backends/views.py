"""Choosing good viewpoints: reachable poses that see many objects (as SAT's pose selection does)."""

from __future__ import annotations

import numpy as np

from sat_env.backends.base import AgentPose


def sample_views(backend, rng: np.random.Generator, n: int, candidates: int = 24) -> list:
    """Poses from reachable points that see many objects (scored on a 64 px render), best first, distinct."""
    pts = backend.reachable_positions()
    if len(pts) == 0:
        return []
    scored = []
    saved = (backend.width, backend.height)
    backend.width = backend.height = 64
    try:
        for _ in range(candidates):
            x, z = pts[int(rng.integers(len(pts)))]
            pose = AgentPose(float(x), float(z), float(rng.integers(360)), float(rng.choice([0.0, 10.0, 20.0])))
            v = backend.view(pose)
            inst = np.unique(v.ids)
            n_obj = sum(1 for i in inst if i > 0 and v.object_ids[i] in v.records)
            scored.append((n_obj, rng.random(), pose))
    finally:
        backend.width, backend.height = saved
    scored.sort(key=lambda s: (-s[0], s[1]))
    out = []
    for _, _, pose in scored:
        if all(np.hypot(pose.x - q.x, pose.z - q.z) > 0.75 or abs(pose.yaw - q.yaw) > 60 for q in out):
            out.append(pose)
        if len(out) == n:
            break
    return out



"""View.pixel_counts and View.boxes (computed from horizontal runs of equal ids) against a per-pixel reference."""

from __future__ import annotations

import numpy as np
import pytest

from sat_env.backends.base import AgentPose, View
from sat_env.scene.camera import Camera


def _reference(ids: np.ndarray, n: int):
    counts = np.array([(ids == i).sum() for i in range(n)])
    boxes = {}
    for i in range(1, n):
        ys, xs = np.nonzero(ids == i)
        if len(xs):
            boxes[i] = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
    return counts, boxes


def _view(ids: np.ndarray, n: int) -> View:
    h, w = ids.shape
    return View(rgb=np.zeros((h, w, 3), np.uint8), depth=np.zeros((h, w), np.float32), ids=ids,
                camera=Camera((0.0, 1.5, 0.0), width=max(w, 1), height=max(h, 1)), object_ids=[None] + [f"o{i}" for i in range(1, n)],
                object_types=[None] + ["Chair"] * (n - 1), records={})


@pytest.mark.parametrize("seed", range(40))
def test_runs_match_per_pixel_reference(seed):
    rng = np.random.default_rng(seed)
    h, w, n = int(rng.integers(1, 40)), int(rng.integers(1, 40)), int(rng.integers(1, 9))
    # Blocky images (like renders) and pure noise (every pixel its own run).
    if seed % 2:
        ids = rng.integers(0, n, size=(h, w)).astype(np.int32)
    else:
        ids = np.zeros((h, w), np.int32)
        for _ in range(6):
            y0, x0 = rng.integers(h), rng.integers(w)
            ids[y0:y0 + rng.integers(1, h + 1), x0:x0 + rng.integers(1, w + 1)] = rng.integers(0, n)
    v = _view(ids, n)
    counts, boxes = _reference(ids, n)
    np.testing.assert_array_equal(v.pixel_counts, counts)
    assert v.boxes == boxes


def test_single_pixel_objects_on_row_ends():
    ids = np.zeros((3, 4), np.int32)
    ids[0, 3] = 1  # last pixel of a row: its run ends at the row end, not in the next row
    ids[1, 0] = 2  # first pixel of a row
    ids[2, 0:4] = 1
    v = _view(ids, 3)
    assert v.boxes == {1: (0, 0, 3, 2), 2: (0, 1, 0, 1)}
    assert v.pixel_counts.tolist() == [6, 5, 1]


def test_rendered_views_match_reference():
    from sat_env.backends.embedded import EmbeddedBackend
    from sat_env.scene import generate_house

    sim = EmbeddedBackend(width=160, height=120)
    sim.load(generate_house(5))
    rng = np.random.default_rng(0)
    pts = sim.reachable_positions()
    for k in rng.integers(len(pts), size=6):
        v = sim.view(AgentPose(float(pts[k][0]), float(pts[k][1]), float(rng.integers(360)), 10.0))
        counts, boxes = _reference(v.ids, len(v.object_ids))
        np.testing.assert_array_equal(v.pixel_counts, counts)
        assert v.boxes == boxes and boxes
    sim.close()


def test_empty_image():
    v = _view(np.zeros((0, 5), np.int32), 3)
    assert v.pixel_counts.tolist() == [0, 0, 0] and v.boxes == {}


def test_ids_outside_the_table_are_an_error():
    with pytest.raises(ValueError, match="instance ids outside"):
        _view(np.full((2, 2), 5, np.int32), 3).pixel_counts

"""Navigation grid on hand-built houses with hand-worked answers."""

from __future__ import annotations

import numpy as np
import pytest

from sat_env.scene import geodesic_distance, reachable_positions
from sat_env.scene.build import build_scene
from sat_env.scene.handmade import simple_house
from sat_env.scene.navgrid import NavGrid, grid_component


def test_empty_room_reachable_positions():
    # Room 4 x 3 m, walls 0.1 m thick (faces at 0.05 inside the wall lines), agent radius 0.2: grid points from
    # 0.25 to 3.75 in x (15) and 0.25 to 2.75 in z (11) may touch the walls but not overlap them.
    pts = reachable_positions(simple_house([("LivingRoom", 0, 0, 4, 3)]))
    assert len(pts) == 15 * 11
    assert pts[:, 0].min() == pytest.approx(0.25) and pts[:, 0].max() == pytest.approx(3.75)
    assert pts[:, 1].min() == pytest.approx(0.25) and pts[:, 1].max() == pytest.approx(2.75)


def test_straight_line_geodesic_is_euclidean():
    h = simple_house([("LivingRoom", 0, 0, 4, 3)])
    assert geodesic_distance(h, (0.5, 0.5), (3.5, 2.5)) == pytest.approx(np.hypot(3.0, 2.0), abs=1e-9)


def test_geodesic_through_a_doorway():
    # Two 3 x 3 rooms side by side, doorway of 1 m centred at z = 1.5 on the wall x = 3. Jambs (0.04 m) line the hole
    # from z = 1.0 to 1.04 and stand 0.02 m proud of the 0.1 m wall: x in [2.93, 3.07]. Grown by the agent radius
    # the lower jamb's corners are (2.73, 1.24) and (3.27, 1.24): the shortest path from (1.5, 0.5) to (4.5, 0.5)
    # wraps them: 2 * hypot(1.23, 0.74) + 0.54 = 3.4110 m. The grid path may only be longer by the grid's
    # rounding of those corners (< 1 cm here), and never shorter.
    h = simple_house([("LivingRoom", 0, 0, 3, 3), ("Kitchen", 3, 0, 6, 3)], doors=[(0, 1, 1.5)])
    d = geodesic_distance(h, (1.5, 0.5), (4.5, 0.5))
    exact = 2 * np.hypot(1.23, 0.74) + 0.54
    assert exact - 1e-6 <= d <= exact + 0.01


def test_geodesic_symmetric_and_unreachable():
    h = simple_house([("LivingRoom", 0, 0, 3, 3), ("Kitchen", 3, 0, 6, 3)], doors=[(0, 1, 1.5)])
    nav = build_scene(h).navgrid
    a, b = (0.75, 2.5), (5.25, 0.5)
    assert nav.geodesic_distance(a, b) == pytest.approx(nav.geodesic_distance(b, a), abs=0.02)
    closed = simple_house([("LivingRoom", 0, 0, 3, 3), ("Kitchen", 3, 0, 6, 3)])  # no doorway
    nav = NavGrid(build_scene(closed).obstacles(), [r.polygon for r in build_scene(closed).rooms], seeds=[(1.0, 1.0)])
    assert nav.geodesic_distance((1.0, 1.0), (4.5, 1.0)) == float("inf")


def test_obstacle_blocks_and_path_goes_around():
    from sat_env.scene.catalog import load_catalog

    table = load_catalog().assets_of_type("DiningTable")[-1]
    h = simple_house([("LivingRoom", 0, 0, 5, 5)], objects=[(table.asset_id, 2.5, 2.5, 0.0)])
    nav = build_scene(h).navgrid
    # Straight through the table is impossible; the path is longer than the straight line.
    a, b = (2.5, 0.5), (2.5, 4.5)
    assert not nav.line_of_sight(a, b)
    d = nav.geodesic_distance(a, b)
    assert 4.0 < d < 4.0 + 2 * table.size[0]
    path = np.array(nav.shortest_path(a, b))
    for p, q in zip(path[:-1], path[1:]):
        assert nav.line_of_sight(p, q)


def test_grid_component_seeds():
    free = np.array([[1, 1, 0, 1], [1, 0, 0, 1], [1, 1, 0, 1]], dtype=bool)
    comp = grid_component(free)
    assert comp.sum() == 5  # the left component is larger
    assert grid_component(free, [(0, 3)]).sum() == 3
    assert grid_component(free, [(0, 0), (0, 3)]) is None


def _bfs_component(free, seeds=None):
    """Reference: breadth-first labelling cell by cell (the implementation grid_component replaced)."""
    from collections import deque

    h, w = free.shape
    labels = np.zeros(free.shape, dtype=np.int32)
    sizes = [0]
    for start in zip(*np.nonzero(free)):
        if labels[start]:
            continue
        lab = len(sizes)
        labels[start] = lab
        q, n = deque([start]), 0
        while q:
            i, j = q.popleft()
            n += 1
            for a, b in ((i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)):
                if 0 <= a < h and 0 <= b < w and free[a, b] and not labels[a, b]:
                    labels[a, b] = lab
                    q.append((a, b))
        sizes.append(n)
    if seeds:
        labs = {int(labels[s]) for s in seeds}
        return None if len(labs) != 1 or 0 in labs else labels == labs.pop()
    if len(sizes) == 1:
        return np.zeros(free.shape, dtype=bool)
    return labels == int(np.argmax(sizes[1:]) + 1)


def test_grid_component_matches_breadth_first_labelling_on_random_grids():
    from sat_env.scene.navgrid import grid_component

    rng = np.random.default_rng(0)
    for k in range(300):
        h, w = rng.integers(1, 30, size=2)
        free = rng.random((h, w)) < rng.uniform(0.2, 0.9)  # from scattered cells to open floors
        seeds = [tuple(int(v) for v in rng.integers((h, w))) for _ in range(int(rng.integers(0, 3)))]
        want, got = _bfs_component(free, seeds or None), grid_component(free, seeds or None)
        assert (want is None) == (got is None), k
        if want is not None:
            assert np.array_equal(want, got), k
    # ties: two components of equal size -> the first in row-major order, as before
    free = np.array([[1, 0, 1], [1, 0, 1]], dtype=bool)
    assert np.array_equal(grid_component(free), free & (np.arange(3) == 0))

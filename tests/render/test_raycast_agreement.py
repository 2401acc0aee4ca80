"""The rasteriser (moderngl) against the independent numpy ray caster on box scenes."""

from __future__ import annotations

import numpy as np
import pytest

from sat_env.render import Renderer
from sat_env.render.raycast import raycast
from sat_env.scene.camera import Camera
from sat_env.scene.geometry import AXIS_Y, CYLINDER, Solids, box_solid


def _box(lo, hi, inst, *, yaw=0.0, color=(0.8, 0.8, 0.8), mat=0, room=0):
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    return box_solid((lo + hi) / 2, hi - lo, yaw=yaw, color=color, material=mat, instance=inst, room=room)


def room_of_boxes() -> Solids:
    """A 6 x 5 m room (floor, ceiling, 4 walls that stop at each other's faces) with a few yawed boxes."""
    parts = [
        _box((0, -0.1, 0), (6, 0, 5), 1, mat=1),
        _box((0, 2.6, 0), (6, 2.7, 5), 2),
        _box((-0.1, 0, -0.1), (0, 2.6, 5.1), 3),
        _box((6, 0, -0.1), (6.1, 2.6, 5.1), 4),
        _box((0, 0, -0.1), (6, 2.6, 0), 5),
        _box((0, 0, 5), (6, 2.6, 5.1), 6),
    ]
    for c, s, yaw, inst in [
        ((2.0, 0.4, 3.0), (1.0, 0.8, 0.6), 30.0, 10),
        ((4.5, 0.25, 1.5), (0.5, 0.5, 0.5), -20.0, 11),
        ((1.0, 0.9, 1.0), (0.3, 1.8, 0.4), 45.0, 12),
        ((4.0, 1.2, 4.2), (1.5, 0.05, 0.8), 10.0, 13),
        ((3.0, 0.05, 2.0), (2.0, 0.02, 1.5), 0.0, 14),
        ((5.0, 1.5, 3.5), (0.4, 0.4, 0.4), 60.0, 15),
    ]:
        parts.append(box_solid(c, s, yaw=yaw, instance=inst, room=0, color=(0.5, 0.4, 0.3)))
    return Solids.concat(parts)


POSES = [
    dict(position=(3.0, 1.5, 1.0), yaw=20.0, pitch=0.0, fov=90.0),
    dict(position=(1.0, 1.2, 4.0), yaw=135.0, pitch=20.0, fov=60.0),
    dict(position=(5.0, 1.6, 2.5), yaw=-90.0, pitch=-10.0, fov=90.0),
    dict(position=(3.0, 2.0, 2.5), yaw=45.0, pitch=45.0, fov=75.0),
    dict(position=(0.6, 0.5, 0.6), yaw=60.0, pitch=-30.0, fov=100.0),
    dict(position=(5.5, 2.4, 4.6), yaw=-135.0, pitch=60.0, fov=70.0),
]


@pytest.fixture(scope="module")
def room_renderer():
    solids = room_of_boxes()
    r = Renderer()
    r.load(solids, np.array([[3.0, 2.5, 2.5, 1.0]]))
    yield solids, r
    r.close()


def _compare(frame, ids, depth):
    agree = frame.ids == ids
    both = agree & (ids > 0)
    err = np.abs(frame.depth[both] - depth[both])
    return agree.mean(), (err.max() if err.size else 0.0)


@pytest.mark.parametrize("pose", POSES)
@pytest.mark.parametrize("size", [(96, 72), (64, 80)])
def test_room_ids_and_depth_agree(room_renderer, pose, size):
    solids, r = room_renderer
    cam = Camera(width=size[0], height=size[1], **pose)
    frame = r.render(cam)
    ids, depth = raycast(solids, cam)
    frac, err = _compare(frame, ids, depth)
    assert frac > 0.99, f"only {frac:.4f} of ids agree"
    assert err < 1e-3, f"depth differs by {err} m"
    # Background agrees too: none here, the room is closed.
    assert (frame.ids == 0).mean() < 0.01


def test_random_yawed_boxes_agree():
    rng = np.random.default_rng(3)
    parts = []
    # A grid of non-overlapping boxes with random yaw and size, seen from outside at several poses.
    k = 1
    for gx in range(4):
        for gz in range(4):
            c = (gx * 1.5, rng.uniform(0.2, 1.0), 4.0 + gz * 1.5)
            s = rng.uniform(0.2, 0.9, 3)
            parts.append(box_solid(c, s, yaw=float(rng.uniform(-90, 90)), instance=k))
            k += 1
    solids = Solids.concat(parts)
    r = Renderer()
    r.load(solids, None)
    try:
        for pos, yaw, pitch in [((2.2, 1.5, 0.0), 0.0, 15.0), ((-2.0, 3.0, 2.0), 45.0, 35.0), ((8.0, 0.6, 12.0), -140.0, 0.0)]:
            cam = Camera(pos, yaw=yaw, pitch=pitch, fov=80.0, width=120, height=90)
            frame = r.render(cam)
            ids, depth = raycast(solids, cam)
            frac, err = _compare(frame, ids, depth)
            assert frac > 0.99 and err < 1e-3, (pos, frac, err)
            assert (frame.ids == 0).any()  # open scene: background visible, same as the ray caster
    finally:
        r.close()


def test_cylinders_roughly_agree():
    """y-axis cylinders: 16-segment tessellation vs analytic surface, so only approximately equal."""
    parts = [_box((-3, -0.1, -3), (3, 0, 6), 1)]
    for i, (x, z, rad, h) in enumerate([(-1.0, 2.0, 0.3, 1.0), (0.5, 3.0, 0.5, 0.6), (1.5, 1.5, 0.2, 1.5)]):
        parts.append(box_solid((x, h / 2, z), (2 * rad, h, 2 * rad), kind=CYLINDER, axis=AXIS_Y, instance=10 + i))
    solids = Solids.concat(parts)
    r = Renderer()
    r.load(solids, None)
    try:
        cam = Camera((0.0, 1.4, -1.0), yaw=0.0, pitch=20.0, fov=70.0, width=120, height=90)
        frame = r.render(cam)
        ids, depth = raycast(solids, cam)
        agree = frame.ids == ids
        assert agree.mean() > 0.97
        both = agree & (ids >= 10)
        assert np.median(np.abs(frame.depth[both] - depth[both])) < 0.01
    finally:
        r.close()

"""Every backend honours the Backend contract (sat_env/backends/base.py): the embedded simulator, and the AI2-THOR
backend over a fake controller that answers with the embedded simulator's events. A new backend joins BACKENDS
below and must pass the same checks."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from fake_thor import EmbeddedThorController

from sat_env.backends.base import ActionResult, AgentPose, Backend, View
from sat_env.backends.embedded import EmbeddedBackend
from sat_env.backends.thor import ThorBackend
from sat_env.scene import generate_house
from sat_env.scene.camera import Camera
from sat_env.scene.navgrid import NavGrid

W, H = 48, 40


def embedded(house):
    b = EmbeddedBackend(width=W, height=H)
    b.load(house)
    return b


def thor(house):
    b = ThorBackend(width=W, height=H, controller=EmbeddedThorController(width=W, height=H, house=house))
    b.load(house)
    return b


BACKENDS = {"embedded": embedded, "thor": thor}
ATTRIBUTES = ("width", "height", "fov", "camera_height", "visibility_distance", "horizon_limits", "scene")


@pytest.fixture(scope="module")
def house():
    return generate_house(4)


@pytest.fixture(params=sorted(BACKENDS))
def backend(request, house):
    b = BACKENDS[request.param](house)
    yield b
    b.close()


def test_every_abstract_member_is_documented():
    members = sorted(Backend.__abstractmethods__)
    assert {"load", "pose", "navgrid", "camera", "teleport", "step", "place_object", "view", "reachable_positions",
            "geodesic_distance", "close"} <= set(members)
    for name in [*members, "view_ids"]:
        assert inspect.getdoc(getattr(Backend, name)), f"Backend.{name} has no docstring"
    doc = inspect.getdoc(Backend)
    for attr in ATTRIBUTES:
        assert attr in Backend.__annotations__ and attr in doc, attr


def test_a_backend_missing_a_method_cannot_be_made():
    class Half(Backend):
        def load(self, house, scene=None):
            pass

    with pytest.raises(TypeError, match="abstract"):
        Half()


def test_backend_honours_the_contract(backend, house):
    assert isinstance(backend, Backend)
    for attr in ATTRIBUTES:
        assert hasattr(backend, attr), attr
    assert (backend.width, backend.height) == (W, H) and backend.scene is not None
    start = house["metadata"]["agent"]["position"]
    pose = backend.pose
    assert isinstance(pose, AgentPose) and (pose.x, pose.z) == pytest.approx((start["x"], start["z"]), abs=1e-3)
    assert isinstance(backend.navgrid, NavGrid)
    cam = backend.camera()
    assert isinstance(cam, Camera) and (cam.width, cam.height) == (W, H)
    pts = backend.reachable_positions()
    assert pts.ndim == 2 and pts.shape[1] == 2 and len(pts) > 10
    # teleport, view from the agent and from another pose (the agent stays), step, geodesic distance
    x, z = pts[len(pts) // 2]
    res = backend.teleport(float(x), float(z), 90.0, 0.0)
    assert isinstance(res, ActionResult) and res.success
    assert backend.pose == AgentPose(float(x), float(z), 90.0, 0.0)
    v = backend.view()
    assert isinstance(v, View) and v.rgb.shape == (H, W, 3) and v.ids.shape == v.depth.shape == (H, W)
    other = AgentPose(float(pts[0][0]), float(pts[0][1]), 0.0, 0.0)
    v2 = backend.view(other)
    assert v2.camera.position[0] == pytest.approx(other.x) and backend.pose == AgentPose(float(x), float(z), 90.0, 0.0)
    assert isinstance(backend.step("RotateLeft", degrees=30), ActionResult)
    assert backend.pose.yaw == pytest.approx(60.0)
    assert backend.geodesic_distance(pts[0], pts[0]) == pytest.approx(0.0, abs=1e-6)
    assert np.isfinite(backend.geodesic_distance(pts[0], (x, z)))
    # view_ids: one id image (and depth) per pose at the asked size, the same ids as a full view
    ids = backend.view_ids([other, backend.pose], 32, 24, depth=True)
    assert len(ids) == 2 and ids[0][0].shape == ids[0][1].shape == (24, 32)
    assert (backend.width, backend.height) == (W, H)
    # place_object: a failure is reported, not raised
    assert not backend.place_object("no-such-object", 0.0, 0.0).success


def test_backends_agree_on_views(house):
    e, t = embedded(house), thor(house)
    try:
        for b in (e, t):
            assert b.teleport(*map(float, e.reachable_positions()[5]), 45.0, 0.0).success
        ve, vt = e.view(), t.view()
        assert np.array_equal(ve.rgb, vt.rgb)
        assert [ve.object_ids[i] for i in ve.ids.ravel()] == [vt.object_ids[i] for i in vt.ids.ravel()]
    finally:
        e.close()
        t.close()

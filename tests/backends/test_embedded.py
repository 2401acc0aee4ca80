"""Embedded backend: movement with collision, look limits, object placement, view metadata, errors."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from sat_env.backends import make_backend
from sat_env.backends.base import AgentPose
from sat_env.backends.embedded import EmbeddedBackend
from sat_env.errors import BackendError, ConfigError
from sat_env.scene.catalog import load_catalog
from sat_env.scene.handmade import simple_house

CAT = load_catalog()
TABLE = CAT.assets_of_type("DiningTable")[0]
APPLE = CAT.assets_of_type("Apple")[0]
BOWL = CAT.assets_of_type("Bowl")[0]
TOP = next(s for s in CAT.type_info("DiningTable").surfaces)
TABLE_TOP_Y = TOP.y * TABLE.size[1]


def house():
    # A 4 x 4 m room; a dining table centred at (2, 2) with an apple and a bowl on it.
    return simple_house(
        [("Kitchen", 0, 0, 4, 4)],
        objects=[(TABLE.asset_id, 2.0, 2.0, 0.0, [(APPLE.asset_id, 2.0, TABLE_TOP_Y, 2.0, 0.0),
                                                  (BOWL.asset_id, 2.0 - 0.25 * TOP_WIDTH(), TABLE_TOP_Y, 2.0, 0.0)])],
        agent=(1.0, 1.0, 0.0),
    )


def TOP_WIDTH():
    return (TOP.x1 - TOP.x0) * TABLE.size[0]


@pytest.fixture()
def sim():
    b = EmbeddedBackend(width=96, height=96)
    b.load(house())
    yield b
    b.close()


def test_start_pose_from_metadata(sim):
    assert sim.pose == AgentPose(1.0, 1.0, 0.0, 0.0)


def test_moves_are_exact(sim):
    assert sim.step("MoveAhead", moveMagnitude=0.25)
    assert (sim.pose.x, sim.pose.z) == pytest.approx((1.0, 1.25))
    assert sim.step("MoveRight", moveMagnitude=0.5)  # yaw 0: right is +x
    assert (sim.pose.x, sim.pose.z) == pytest.approx((1.5, 1.25))
    assert sim.step("RotateRight", degrees=90)
    assert sim.pose.yaw == 90.0
    assert sim.step("MoveAhead", moveMagnitude=0.3)  # yaw 90 faces +x
    assert (sim.pose.x, sim.pose.z) == pytest.approx((1.8, 1.25))
    assert sim.step("MoveBack", moveMagnitude=0.3)
    assert sim.step("RotateLeft", degrees=120)
    assert sim.pose.yaw == 330.0


def test_move_into_table_fails_and_names_it(sim):
    # Table front edge at z = 2 - depth/2; agent disc radius 0.2.
    front = 2.0 - TABLE.size[2] / 2
    assert sim.teleport(2.0, front - 0.3, yaw=0.0)
    before = sim.pose
    res = sim.step("MoveAhead", moveMagnitude=0.25)
    assert not res.success and "DiningTable|0" in res.error
    assert sim.pose == before
    assert sim.step("MoveAhead", moveMagnitude=0.1)  # 0.2 left: touching is fine
    assert sim.pose.z == pytest.approx(front - 0.2)


def test_move_into_wall_fails(sim):
    assert sim.teleport(0.5, 2.0, yaw=270.0)
    res = sim.step("MoveAhead", moveMagnitude=0.5)
    assert not res.success and "wall|" in res.error
    assert sim.step("MoveAhead", moveMagnitude=0.25)  # wall face at x = 0.05: x = 0.25 just touches


def test_look_limits(sim):
    assert sim.step("LookDown", degrees=30) and sim.step("LookDown", degrees=30)
    assert sim.pose.horizon == 60.0
    res = sim.step("LookDown", degrees=30)
    assert not res.success and "outside" in res.error and sim.pose.horizon == 60.0
    assert sim.step("LookUp", degrees=90)
    assert not sim.step("LookUp", degrees=30)


def test_teleport_checks(sim):
    assert not sim.teleport(2.0, 2.0)  # inside the table
    assert not sim.teleport(-1.0, 2.0)  # outside the house
    assert not sim.teleport(0.1, 2.0)  # overlapping the wall
    assert sim.teleport(3.5, 3.5, yaw=45.0, horizon=10.0)
    assert sim.pose == AgentPose(3.5, 3.5, 45.0, 10.0)


def test_place_object_on_surface_and_floor(sim):
    apple = sim.scene.objects["DiningTable|0|0"]
    assert apple.object_type == "Apple"
    assert sim.place_object("DiningTable|0|0", 2.1, 2.05)
    assert apple.center[[0, 2]] == pytest.approx([2.1, 2.05])
    assert apple.y_range[0] == pytest.approx(TABLE_TOP_Y, abs=1e-5)  # still on the table top
    # Beyond the table's edge the floor supports it.
    assert sim.place_object("DiningTable|0|0", 3.5, 0.6)
    assert apple.y_range[0] == pytest.approx(0.0, abs=1e-9) and apple.parent is None
    assert "DiningTable|0|0" not in sim.scene.objects["DiningTable|0"].children
    # The house dict follows, so save_house() saves the current state.
    assert any(o["id"] == "DiningTable|0|0" for o in sim.scene.house["objects"])


def test_place_object_failures(sim):
    bowl = sim.scene.objects["DiningTable|0|1"]
    res = sim.place_object("DiningTable|0|0", *bowl.center[[0, 2]])
    assert not res.success and "collide" in res.error
    res = sim.place_object("DiningTable|0|0", 9.0, 9.0)
    assert not res.success and "nothing supports" in res.error
    res = sim.place_object("DiningTable|0", 1.0, 1.0)  # the agent stands there
    assert not res.success and "agent" in res.error
    res = sim.place_object("DiningTable|0", 0.2, 2.0)  # into the wall
    assert not res.success
    assert not sim.place_object("Nope|1", 1.0, 1.0).success


def test_moving_a_table_carries_its_objects(sim):
    apple = sim.scene.objects["DiningTable|0|0"]
    before = apple.center.copy()
    assert sim.place_object("DiningTable|0", 2.5, 2.6)
    assert apple.center == pytest.approx(before + [0.5, 0.0, 0.6], abs=1e-5)
    # The agent can no longer stand where the table is now.
    assert not sim.teleport(2.5, 2.6)


def test_view_outputs_and_metadata(sim):
    assert sim.teleport(2.0, 0.6, yaw=0.0, horizon=30.0)
    v = sim.view()
    assert v.rgb.shape == (96, 96, 3) and v.rgb.dtype == np.uint8
    assert v.depth.shape == (96, 96) and v.depth.dtype == np.float32
    assert v.ids.shape == (96, 96) and v.ids.dtype == np.int32
    meta = {o["objectId"]: o for o in v.objects}
    t = meta["DiningTable|0"]
    assert t["objectType"] == "DiningTable" and t["assetId"] == TABLE.asset_id
    assert t["pixelCount"] > 0 and t["visible"] == (t["distance"] <= 1.5)
    assert t["receptacleObjectIds"] == ["DiningTable|0|0", "DiningTable|0|1"]
    assert meta["DiningTable|0|0"]["parentReceptacles"] == ["DiningTable|0"]
    size = t["axisAlignedBoundingBox"]["size"]
    assert [size["x"], size["y"], size["z"]] == pytest.approx(list(TABLE.size))
    # The mask's 2D box lies inside the box spanned by the projected 3D box corners.
    x0, y0, x1, y1 = t["bbox2d"]
    uv, z = v.camera.project(np.array(t["axisAlignedBoundingBox"]["cornerPoints"]))
    assert (z > 0).all()
    assert uv[:, 0].min() - 1 <= x0 and x1 + 1 <= uv[:, 0].max() + 1
    assert uv[:, 1].min() - 1 <= y0 and y1 + 1 <= uv[:, 1].max() + 1
    assert v.agent["cameraHorizon"] == 30.0


def test_depth_matches_geometry(sim):
    # Facing the +z wall from 1 m away (wall face at z = 3.95): planar depth at the image centre is 0.95 m... the
    # camera stands at z = 3.0, so the face is 0.95 m ahead.
    assert sim.teleport(0.6, 3.0, yaw=0.0, horizon=0.0)
    v = sim.view()
    assert float(v.depth[48, 48]) == pytest.approx(0.95, abs=1e-3)
    assert v.object_types[v.ids[48, 48]] == "Wall"


def test_errors():
    b = EmbeddedBackend(width=32, height=32)
    with pytest.raises(BackendError, match="load"):
        b.view()
    b.load(house())
    with pytest.raises(BackendError, match="unknown action"):
        b.step("Fly")
    b.close()
    with pytest.raises(ConfigError, match="embedded"):
        make_backend("unity")


def test_load_takes_over_a_fresh_generated_scene_once():
    """load(house, scene) skips rebuilding: same frames as load(house); a scene is handed over once only (a backend
    moves its objects), and must be the scene of that very dict."""
    import copy

    from sat_env.scene.generate import generate_scene

    scene = generate_scene(4)
    house = scene.house
    a, b = EmbeddedBackend(width=48, height=48), EmbeddedBackend(width=48, height=48)
    a.load(copy.deepcopy(house))
    b.load(house, scene=scene)
    assert b.scene is scene
    np.testing.assert_array_equal(a.view().rgb, b.view().rgb)
    np.testing.assert_array_equal(a.reachable_positions(), b.reachable_positions())
    with pytest.raises(BackendError, match="loaded before"):
        a.load(house, scene=scene)
    with pytest.raises(BackendError, match="house dict itself"):
        a.load(copy.deepcopy(house), scene=generate_scene(4))
    a.close()
    b.close()


def test_generated_house_frames_deterministic_across_processes(houses, tmp_path):
    from sat_env.scene import save_house

    path = save_house(houses[3], tmp_path / "h.json")
    code = (
        "import hashlib,sys; from sat_env.scene import load_house; from sat_env.backends.embedded import EmbeddedBackend;"
        "b=EmbeddedBackend(width=64,height=48); b.load(load_house(sys.argv[1])); v=b.view();"
        "print(hashlib.sha256(v.rgb.tobytes()+v.depth.tobytes()+v.ids.tobytes()).hexdigest())"
    )
    shas = {subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True).stdout
            for _ in range(2)}
    b = EmbeddedBackend(width=64, height=48)
    b.load(houses[3])
    v = b.view()
    shas.add(hashlib.sha256(v.rgb.tobytes() + v.depth.tobytes() + v.ids.tobytes()).hexdigest() + "\n")
    assert len(shas) == 1

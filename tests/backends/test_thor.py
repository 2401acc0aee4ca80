"""AI2-THOR backend without a Unity build: type and house conversion, event translation, the actions sent for each
backend call, and the error when no build can be found. ``test_live_*`` (marker ``thor``) runs with a real build."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from fake_thor import EmbeddedThorController, ReplayController, load_fixture

from sat_env.backends import make_backend
from sat_env.backends.base import AgentPose
from sat_env.backends.thor import ThorBackend
from sat_env.backends.thor_convert import from_thor_house, object_geometry, to_thor_house, walk_objects
from sat_env.backends.thor_types import SAT_TO_THOR, THOR_OBJECT_TYPES, THOR_TO_SAT
from sat_env.errors import BackendError, ConfigError, HouseFormatError
from sat_env.scene.build import build_scene
from sat_env.scene.catalog import load_catalog

CAT = load_catalog()
FX = load_fixture()
EVENT = FX["event"]
META = {o["objectId"]: o for o in EVENT["metadata"]["objects"]}


def replay_backend(**kw) -> tuple[ThorBackend, ReplayController]:
    fake = ReplayController(**kw)
    b = ThorBackend(width=8, height=6, controller=fake)
    b.load(FX["house"])
    return b, fake


# --- mapping table ----------------------------------------------------------------------------------------------
def test_every_catalog_type_maps_to_a_thor_type():
    assert len(THOR_OBJECT_TYPES) == 109
    for t in CAT.types():
        assert SAT_TO_THOR[t] in THOR_OBJECT_TYPES, t
    # every THOR type the catalog lacks has a decision, with a reason, and a real target
    assert set(THOR_TO_SAT) == THOR_OBJECT_TYPES - set(CAT.types())
    for t, (target, why) in THOR_TO_SAT.items():
        assert why and (target is None or target in CAT.types()), t


# --- house conversion -------------------------------------------------------------------------------------------
def test_to_thor_house_is_loadable_shape(houses):
    h = houses[3]
    before = copy.deepcopy(h)
    t = to_thor_house(h)
    assert h == before  # input untouched
    assert "satEnv" not in json.dumps(t)
    assert [o["id"] for o, _ in walk_objects(t["objects"])] == [o["id"] for o, _ in walk_objects(h["objects"])]
    for o, _ in walk_objects(t["objects"]):
        assert SAT_TO_THOR[CAT.asset(o["assetId"]).object_type] in THOR_OBJECT_TYPES
    assert {r["floorMaterial"]["name"] for r in t["rooms"]} <= {"WoodFloorsCross", "CeramicTiles3", "Carpet2"}
    assert {w["material"]["name"] for w in t["walls"]} == {"PureWhite"}
    assert all(r["ceilings"] == [] and "children" in r for r in t["rooms"])
    assert all(d["assetId"].startswith(("Doorway_", "Window_")) for d in t["doors"] + t["windows"])
    pp = t["proceduralParameters"]
    assert pp["lights"][0]["id"] == "DirectionalLight" and pp["skyboxId"] and pp["ceilingMaterial"]["name"]
    assert t["metadata"]["agent"] == h["metadata"]["agent"] == t["metadata"]["agentPoses"]["default"]


def test_round_trip_keeps_our_houses(houses):
    h = houses[5]
    back = from_thor_house(to_thor_house(h))
    assert back["metadata"]["satEnv"]["thor"] == {"mapped": {}, "dropped": []}
    strip = lambda os_: [(o["id"], o["assetId"], o["position"], o["rotation"]) for o, _ in walk_objects(os_)]  # noqa
    assert strip(back["objects"]) == strip(h["objects"])
    assert set(build_scene(back).objects) == set(build_scene(h).objects)


def procthor_like_house() -> dict:
    """Our fixture house plus objects of THOR types the catalog lacks, with ProcTHOR ids and assetIds."""
    h = copy.deepcopy(FX["house"])
    vase = CAT.assets_of_type("Vase")[0]
    h["objects"] += [
        {"id": "Footstool|0|3", "assetId": "Footstool_1", "position": {"x": 3.3, "y": 0.2, "z": 3.3},
         "rotation": {"x": 0, "y": 90, "z": 0}, "kinematic": True},
        {"id": "RoomDecor|0|4", "assetId": "Room_Decor_12", "position": {"x": 0.5, "y": 0.4, "z": 3.4},
         "rotation": {"x": 0, "y": 0, "z": 0}, "kinematic": True,
         "children": [{"id": "Vase|0|4|0", "assetId": vase.asset_id, "position": {"x": 0.5, "y": 0.9, "z": 3.4},
                       "rotation": {"x": 0, "y": 0, "z": 0}}]},
    ]
    h["objects"][0]["children"].append({"id": "Fork|0|0|2", "assetId": "Fork_1", "rotation": {"x": 0, "y": 0, "z": 0},
                                        "position": {"x": 2.2, "y": 0.8, "z": 2.2}})
    return h


def test_from_thor_house_maps_and_drops_types_we_lack():
    src = procthor_like_house()
    before = copy.deepcopy(src)
    h = from_thor_house(src)
    assert src == before
    info = h["metadata"]["satEnv"]["thor"]
    assert info["mapped"] == {"Footstool|0|3": "Footstool->Ottoman"}
    assert sorted(info["dropped"]) == ["Fork|0|0|2", "RoomDecor|0|4"]
    objs = {o["id"]: (o, p) for o, p in walk_objects(h["objects"])}
    stool = objs["Footstool|0|3"][0]
    asset = CAT.asset(stool["assetId"])
    assert asset.object_type == "Ottoman" and stool["position"]["y"] == pytest.approx(asset.size[1] / 2)
    assert stool["satEnv"]["thor"]["assetId"] == "Footstool_1"
    assert objs["Vase|0|4|0"][1] is None  # the dropped decor's vase is a floor object now
    scene = build_scene(h)
    assert scene.objects["Footstool|0|3"].object_type == "Ottoman"
    # and back to THOR: the original asset at its own height; the dropped ones stay dropped
    t = {o["id"]: o for o, _ in walk_objects(to_thor_house(h)["objects"])}
    assert t["Footstool|0|3"]["assetId"] == "Footstool_1"
    assert t["Footstool|0|3"]["position"]["y"] == pytest.approx(0.2)


def test_to_thor_house_rejects_assets_no_one_knows():
    h = copy.deepcopy(FX["house"])
    h["objects"][0]["assetId"] = "Spaceship_9"
    h["objects"][0]["id"] = "Spaceship|0"
    with pytest.raises(HouseFormatError, match="Spaceship_9"):
        to_thor_house(h)


def test_from_thor_house_takes_poses_and_sizes_from_metadata():
    h = from_thor_house(FX["house"], objects=EVENT["metadata"]["objects"])
    apple = next(o for o, _ in walk_objects(h["objects"]) if o["id"] == "DiningTable|0|0")
    c = META["DiningTable|0|0"]["axisAlignedBoundingBox"]["center"]
    assert apple["position"] == pytest.approx(c)
    meta = [dict(META["Faucet|1|2"], objectId="Desktop|9", objectType="Desktop")]
    house = copy.deepcopy(FX["house"])
    house["objects"].append({"id": "Desktop|9", "assetId": "Desktop_7", "position": {"x": 3.9, "y": 1, "z": 0.5},
                             "rotation": {"x": 0, "y": 0, "z": 0}})
    out = from_thor_house(house, objects=meta)
    desk = next(o for o, _ in walk_objects(out["objects"]) if o["id"] == "Desktop|9")
    size = np.array([0.05, 0.2, 0.2])
    best = min(CAT.assets_of_type("Laptop"), key=lambda a: np.abs(np.array(a.size) - size).sum())
    assert desk["assetId"] == best.asset_id  # the closest-size variant
    assert desk["position"]["y"] - best.size[1] / 2 == pytest.approx(1.0 - 0.1)  # same bottom


def test_object_geometry_from_oriented_and_axis_aligned_boxes():
    size = np.array([1.0, 0.5, 0.3])
    local = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)]) * size
    for yaw in (30.0, 90.0):
        t = np.radians(yaw)
        world = np.stack([local[:, 0] * np.cos(t) + local[:, 2] * np.sin(t), local[:, 1],
                          -local[:, 0] * np.sin(t) + local[:, 2] * np.cos(t)], 1) + [1, 2, 3]
        aabb = {"cornerPoints": [[x, y, z] for x in (world[:, 0].min(), world[:, 0].max())
                                 for y in (1.75, 2.25) for z in (world[:, 2].min(), world[:, 2].max())], "center": None}
        c, y, s = object_geometry({"axisAlignedBoundingBox": aabb, "rotation": {"y": yaw + 360},
                                   "objectOrientedBoundingBox": {"cornerPoints": world.tolist()}})
        assert c == pytest.approx([1, 2, 3]) and y == pytest.approx(yaw) and s == pytest.approx(size)
    # no oriented box: the axis-aligned one, turned back (exact at 90 degrees)
    _, _, s = object_geometry({"axisAlignedBoundingBox": aabb, "rotation": {"y": 90.0},
                               "objectOrientedBoundingBox": None})
    assert s == pytest.approx(size)


# --- event translation ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("masks", [False, True])
def test_view_from_recorded_event(masks):
    b, _ = replay_backend(masks=masks)
    v = b.view()
    assert v.rgb.shape == (6, 8, 3) and v.rgb.dtype == np.uint8
    assert np.array_equal(v.rgb, np.array(EVENT["frame"], np.uint8))
    assert v.depth.dtype == np.float32 and np.allclose(v.depth, EVENT["depth_frame"])  # metres, as THOR gives them
    seg = np.array(EVENT["instance_segmentation_frame"])
    by_color = {tuple(c["color"]): c["name"] for c in EVENT["metadata"]["colors"]}
    for r in range(6):
        for c in range(8):
            name = by_color.get(tuple(seg[r, c]))
            assert v.object_ids[v.ids[r, c]] == name  # None (background) for the unnamed colour
    apple = v.instance_of("DiningTable|0|0")
    assert v.object_types[apple] == "Apple" and v.object_types[v.instance_of("Faucet|1|2")] == "Faucet"
    assert set(v.records) == {"DiningTable|0", "DiningTable|0|0", "DiningTable|0|1"}  # no faucet in our house
    for oid, rec in v.records.items():
        box = META[oid]["axisAlignedBoundingBox"]
        assert rec.center == pytest.approx([box["center"][k] for k in "xyz"])  # box centre, not the pivot
        assert rec.size == pytest.approx([box["size"][k] for k in "xyz"], abs=1e-5)  # OBB rounded to 1 um
        assert v.object_ids[rec.instance] == oid
    assert v.camera.position == pytest.approx((1.0, 1.5756, 1.0)) and v.camera.yaw == pytest.approx(0.0, abs=1e-3)
    assert v.camera.pitch == 0.0 and v.camera.fov == 90.0
    objs = {o["objectId"]: o for o in v.objects}
    assert objs["DiningTable|0|0"]["pixelCount"] == 2 and objs["DiningTable|0|0"]["bbox2d"] == [3, 2, 4, 2]
    # drawn, but farther than visibilityDistance (1.5 m) from the camera: not visible, as AI2-THOR defines it
    assert objs["DiningTable|0|0"]["distance"] > 1.5 and objs["DiningTable|0|0"]["visible"] is False
    assert b.pose == AgentPose(1.0, 1.0, 0.0, 0.0)  # float32 noise rounded away


def test_views_share_instance_ids_and_resize():
    b, _ = replay_backend()
    v1 = b.view()
    b.width, b.height = 4, 3  # sample_views renders small views this way
    v2 = b.view()
    assert v2.rgb.shape == (3, 4, 3) and v2.ids.shape == (3, 4) and v2.camera.width == 4
    assert v2.object_ids is v1.object_ids and np.array_equal(v2.ids, v1.ids[::2, ::2])


# --- actions sent for each backend call -------------------------------------------------------------------------
def test_actions_sent_for_each_backend_call():
    b, fake = replay_backend()
    assert fake.actions() == ["reset", "TeleportFull"]
    scene = fake.calls[0][1]["scene"]
    assert "satEnv" not in json.dumps(scene) and scene["objects"][0]["id"] == "DiningTable|0"
    assert fake.calls[1][1] == {"position": {"x": 1.0, "y": 0.95, "z": 1.0}, "rotation": {"x": 0.0, "y": 0.0, "z": 0.0},
                                "horizon": 0.0, "standing": True}

    def sent(fn):
        n = len(fake.calls)
        out = fn()
        return out, fake.calls[n:]

    r, calls = sent(lambda: b.step("MoveAhead"))
    assert r and calls == [("MoveAhead", {"moveMagnitude": 0.25})] and b.pose.z == pytest.approx(1.25)
    r, calls = sent(lambda: b.step("RotateRight", degrees=30))
    assert calls == [("RotateRight", {"degrees": 30.0})] and b.pose.yaw == pytest.approx(30.0)
    r, calls = sent(lambda: b.step("LookDown"))
    assert calls == [("LookDown", {"degrees": 30.0})] and b.pose.horizon == 30.0
    r, calls = sent(lambda: b.step("LookDown", degrees=60))  # 90 > 60: refused before THOR, as embedded does
    assert not r and "outside" in r.error and calls == []
    r, calls = sent(lambda: b.teleport(2.5, 1.0, 180.0, 0.0))
    assert r and calls == [("TeleportFull", {"position": {"x": 2.5, "y": 0.9009995, "z": 1.0},
                                             "rotation": {"x": 0.0, "y": 180.0, "z": 0.0}, "horizon": 0.0,
                                             "standing": True})]
    r, calls = sent(lambda: b.step("Teleport", x=1.0, z=1.0, yaw=0.0))
    assert r and [a for a, _ in calls] == ["TeleportFull"]
    r, calls = sent(lambda: b.step("Pass"))
    assert r and calls == [("Done", {})]
    _, calls = sent(lambda: b.view(AgentPose(3.0, 3.0, 90.0, 10.0)))
    assert [(a, k["position"]["x"], k["forceAction"]) for a, k in calls] == [("TeleportFull", 3.0, True),
                                                                           ("TeleportFull", 1.0, True)]
    assert b.pose == AgentPose(1.0, 1.0, 0.0, 0.0)  # the agent did not move
    pts, calls = sent(b.reachable_positions)
    assert calls == [("GetReachablePositions", {})] and pts.shape == (16, 2)
    assert np.array_equal(pts, np.array(sorted((p["x"], p["z"]) for p in FX["reachable"])))
    _, calls = sent(b.reachable_positions)
    assert calls == []  # cached
    d, calls = sent(lambda: b.geodesic_distance((0.5, 0.5), (1.25, 1.0)))
    assert calls == [("GetShortestPathToPoint", {"position": {"x": 0.5, "y": 0.9009995, "z": 0.5}, "x": 1.25,
                                                 "y": 0.9009995, "z": 1.0})]
    assert d == pytest.approx(0.5 + 0.75)  # the fake's path: along z, then along x
    apple = b.scene.objects["DiningTable|0|0"].center.copy()
    r, calls = sent(lambda: b.place_object("DiningTable|0|0", 2.2, 1.9))
    assert r and [a for a, _ in calls] == ["TeleportObject"]
    kw = calls[0][1]
    assert kw["objectId"] == "DiningTable|0|0" and kw["forceKinematic"] is True and kw["forceAction"] is False
    pivot = META["DiningTable|0|0"]["position"]
    assert kw["position"] == pytest.approx({"x": pivot["x"] + 0.1, "y": pivot["y"], "z": pivot["z"] - 0.1})
    assert b.scene.objects["DiningTable|0|0"].center == pytest.approx(apple + [0.1, 0.0, -0.1])
    house_apple = next(o for o, _ in walk_objects(b.scene.house["objects"]) if o["id"] == "DiningTable|0|0")
    assert house_apple["position"]["x"] == pytest.approx(2.2)
    r, calls = sent(lambda: b.place_object("DiningTable|0|0", 3.5, 3.5))  # off the table: refused before THOR
    assert not r and "supports" in r.error and calls == []
    with pytest.raises(BackendError, match="unknown action"):
        b.step("Fly")
    _, calls = sent(b.close)
    assert calls == [("stop", {})]


def test_moving_a_receptacle_moves_what_stands_on_it():
    b, fake = replay_backend()
    r = b.place_object("DiningTable|0", 2.0, 2.5)
    assert r
    sent = [(a, k["objectId"], k["forceAction"]) for a, k in fake.calls[2:]]
    assert sent[0] == ("TeleportObject", "DiningTable|0", False)
    assert sorted(sent[1:]) == [("TeleportObject", "DiningTable|0|0", True),
                                ("TeleportObject", "DiningTable|0|1", True)]
    for oid in ("DiningTable|0|0", "DiningTable|0|1"):
        c = META[oid]["axisAlignedBoundingBox"]["center"]
        assert b.scene.objects[oid].center == pytest.approx([c["x"], c["y"], c["z"] + 0.5])
    assert b._reachable is None  # a floor object moved: ask THOR again


def test_failures_are_reported_not_raised():
    b, fake = replay_backend(fail={"MoveAhead", "TeleportFull", "TeleportObject", "GetShortestPathToPoint"})
    # the start pose failed too: the agent went to the first reachable position
    assert fake.actions()[:4] == ["reset", "TeleportFull", "GetReachablePositions", "TeleportFull"]
    r = b.step("MoveAhead")
    assert not r and "blocked" in r.error
    assert not b.teleport(2.0, 2.0)
    assert not b.place_object("DiningTable|0|0", 2.1, 2.1)
    assert b.geodesic_distance((0.5, 0.5), (1.0, 1.0)) == float("inf")
    with pytest.raises(BackendError, match="cannot render"):
        b.view(AgentPose(3.0, 3.0))
    fake2 = ReplayController(fail={"CreateHouse"})
    with pytest.raises(BackendError, match="could not create the house"):
        ThorBackend(controller=fake2).load(FX["house"])
    with pytest.raises(BackendError, match="load"):
        ThorBackend(controller=ReplayController()).view()


def test_navgrid_reachable_set_is_thors():
    b, _ = replay_backend()
    assert np.array_equal(b.navgrid.positions(), b.reachable_positions())


def test_make_backend_passes_controller_settings():
    seen = {}

    def factory(**kw):
        seen.update(kw)
        return ReplayController()

    b = make_backend("thor", width=32, height=24, fov=60.0, controller_factory=factory, quality="Low")
    assert isinstance(b, ThorBackend)
    assert seen["width"] == 32 and seen["height"] == 24 and seen["fieldOfView"] == 60.0 and seen["quality"] == "Low"
    assert seen["renderDepthImage"] and seen["renderInstanceSegmentation"] and seen["scene"] == "Procedural"
    assert seen["snapToGrid"] is False and seen["agentMode"] == "default"
    with pytest.raises(ConfigError, match="'embedded', 'thor'"):
        make_backend("unity")


# --- a ThorBackend over the embedded simulator agrees with the embedded backend -------------------------------
def test_thor_backend_over_embedded_events_matches_embedded(houses):
    from sat_env.backends.embedded import EmbeddedBackend

    house = houses[2]
    fake = EmbeddedThorController(width=48, height=40, house=house)
    b = ThorBackend(width=48, height=40, controller=fake)
    b.load(house)
    e = EmbeddedBackend(width=48, height=40)
    e.load(house)
    try:
        for act in ({}, {"action": "RotateRight", "degrees": 90}, {"action": "MoveAhead"}):
            if act:
                assert bool(b.step(**act)) == bool(e.step(**act))
            assert b.pose == e.pose
            vb, ve = b.view(), e.view()
            assert np.array_equal(vb.rgb, ve.rgb) and np.array_equal(vb.depth, ve.depth)
            assert [vb.object_ids[i] for i in vb.ids.ravel()] == [ve.object_ids[i] for i in ve.ids.ravel()]
            ob = {o["objectId"]: o for o in vb.objects}
            for o in ve.objects:
                assert ob[o["objectId"]]["axisAlignedBoundingBox"]["center"] == pytest.approx(
                    o["axisAlignedBoundingBox"]["center"])
                mine = ob[o["objectId"]]
                assert mine["pixelCount"] == o["pixelCount"] and mine["visible"] == o["visible"]
        assert set(map(tuple, b.navgrid.positions())) == set(map(tuple, e.navgrid.positions()))
        a, z = b.reachable_positions()[0], b.reachable_positions()[-1]
        assert b.geodesic_distance(a, z) == pytest.approx(e.geodesic_distance(a, z))
    finally:
        b.close()
        e.close()


def test_dynamic_env_runs_on_thor_backend(monkeypatch):
    import gymnasium as gym

    import sat_env  # noqa: F401  (registers the ids)
    from sat_env.backends import thor_build

    monkeypatch.setattr(thor_build, "find_build", lambda *a, **k: {"fake": True})
    monkeypatch.setattr(thor_build, "start_controller", lambda build, **kw: EmbeddedThorController(**kw))
    env = gym.make("SAT-Dynamic-v0", backend="thor", size=48, num_questions=2, houses=[1])
    try:
        obs, info = env.reset(seed=0)
        be = env.unwrapped.privileged()["backend"]
        assert isinstance(be, ThorBackend) and obs["question"]
        assert "reset" in be.controller.actions() and "TeleportFull" in be.controller.actions()
        obs, reward, terminated, truncated, info = env.step(0)
        assert reward in (0.0, 1.0)
    finally:
        env.close()
    from sat_env.envs.qa_env import SATQAEnv

    env = SATQAEnv(families=("object_movement",), size=96, num_questions=2, houses=[1, 2, 3, 4], backend="thor")
    try:
        obs, info = env.reset(seed=0)  # moves objects with place_object -> TeleportObject, and back
        sent = env.privileged()["backend"].controller.actions()
        assert info["family"] == "object_movement" and "TeleportObject" in sent
    finally:
        env.close()
    with pytest.raises(ConfigError, match="'thor'"):
        SATQAEnv(backend="unity")


# --- no build: a clear error, fast ------------------------------------------------------------------------------
@pytest.fixture()
def no_build_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.ai2thor/releases
    monkeypatch.delenv("SAT_THOR_EXECUTABLE", raising=False)
    monkeypatch.delenv("SAT_THOR_PLATFORM", raising=False)
    return tmp_path


def test_no_build_offline_error_is_clear_and_fast(no_build_home, monkeypatch):
    import requests

    def offline(*a, **k):
        raise requests.ConnectionError("NameResolutionError: s3-us-west-2.amazonaws.com")

    monkeypatch.setattr(requests, "head", offline)
    with pytest.raises(ConfigError) as ei:
        ThorBackend(platform="CloudRendering")
    msg = str(ei.value)
    assert "thor-CloudRendering-" in msg and "not on this machine" in msg and "cannot be downloaded" in msg
    assert "local_executable_path" in msg and "SAT_THOR_EXECUTABLE" in msg and "download_only=True" in msg
    assert "Invalid commit_id" in msg and "backend='embedded'" in msg


def test_export_with_thor_and_no_build_fails_before_writing(no_build_home, monkeypatch, capsys):
    import requests

    from sat_env.cli import main

    monkeypatch.setattr(requests, "head", lambda *a, **k: (_ for _ in ()).throw(requests.ConnectionError("offline")))
    out = no_build_home / "export"
    assert main(["export", "--out", str(out), "--num-qa", "5", "--backend", "thor", "--no-progress"]) == 2
    assert "not on this machine" in capsys.readouterr().err
    assert not out.exists()


def test_no_build_without_downloads_does_not_touch_the_network(no_build_home, monkeypatch):
    import requests

    monkeypatch.setattr(requests, "head", lambda *a, **k: pytest.fail("no network call expected"))
    with pytest.raises(ConfigError, match="downloads are disabled"):
        ThorBackend(platform="Linux64", download=False)


def test_missing_local_executable(no_build_home):
    with pytest.raises(ConfigError, match="does not exist or is not executable"):
        ThorBackend(local_executable_path=str(no_build_home / "thor-CloudRendering-x" / "thor-CloudRendering-x"))


def test_no_build_error_with_the_real_package_and_no_network(no_build_home):
    # The real ai2thor and requests in a fresh process with a hard timeout, so that nothing can hang the suite. A
    # commit with no published build makes this hold with network access too (HTTP 404, never a download).
    code = ("import time; t=time.monotonic()\n"
            "from sat_env.backends.thor import ThorBackend\n"
            "from sat_env.errors import ConfigError\n"
            "try:\n    ThorBackend(platform='CloudRendering', commit_id='0'*40, probe_timeout=5)\n"
            "except ConfigError as e:\n    print('CONFIGERROR', round(time.monotonic()-t, 1), e)\n")
    env = dict(os.environ, HOME=str(no_build_home))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=90, env=env)
    assert "CONFIGERROR" in out.stdout, out.stdout + out.stderr
    assert "not on this machine" in out.stdout and "local_executable_path" in out.stdout


def test_ai2thor_own_invalid_commit_error_is_translated(no_build_home, monkeypatch):
    # Past our check (e.g. the build vanished), the real Controller reports "Invalid commit_id"; we say what it means.
    from sat_env.backends import thor_build

    ai2thor = thor_build.import_ai2thor()
    monkeypatch.setenv("DISPLAY", ":99")
    import requests

    monkeypatch.setattr(requests, "head", lambda *a, **k: (_ for _ in ()).throw(requests.ConnectionError("offline")))
    build = {"platform": ai2thor.platform.Linux64, "commit_id": "0" * 40}
    with pytest.raises(ConfigError) as ei:
        thor_build.start_controller(build, width=32, height=32, server_start_timeout=5)
    assert "not on this machine" in str(ei.value) and isinstance(ei.value.__cause__, ValueError)
    assert "Invalid commit_id" in str(ei.value.__cause__)


def test_local_executable_keeps_its_platform(no_build_home, monkeypatch):
    from sat_env.backends import thor_build

    ai2thor = thor_build.import_ai2thor()
    name = "thor-CloudRendering-abc123"
    exe = no_build_home / name / name
    exe.parent.mkdir()
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    build = thor_build.find_build(local_executable_path=str(exe.parent))  # the folder works too
    assert build == {"platform": ai2thor.platform.CloudRendering, "local_executable_path": str(exe)}
    monkeypatch.setenv("SAT_THOR_EXECUTABLE", str(exe))
    assert thor_build.find_build(platform="Linux64")["platform"] is ai2thor.platform.Linux64  # explicit wins
    # ai2thor's own local_executable_path would run it as Linux64; ours answers find_build with the right platform
    cls = thor_build._local_controller_class(ai2thor, str(exe), ai2thor.platform.CloudRendering)
    b = cls.find_build(None, False, None, None, None)
    assert b.platform is ai2thor.platform.CloudRendering and b.executable_path == str(exe)
    assert issubclass(cls, ai2thor.controller.Controller)


def test_unspawned_objects_leave_the_ground_truth():
    fx = copy.deepcopy(FX)
    fx["event"]["metadata"]["objects"] = [o for o in fx["event"]["metadata"]["objects"]
                                          if o["objectId"] != "DiningTable|0|1"]
    b = ThorBackend(width=8, height=6, controller=ReplayController(fixture=fx))
    with pytest.warns(UserWarning, match="did not spawn 1"):
        b.load(FX["house"])
    assert set(b.scene.objects) == {"DiningTable|0", "DiningTable|0|0"}
    assert b.scene.objects["DiningTable|0"].children == ["DiningTable|0|0"]


def test_platform_requirements_and_missing_package(monkeypatch):
    from sat_env.backends import thor_build

    monkeypatch.setattr(thor_build.ctypes.util, "find_library", lambda name: None)
    with pytest.raises(ConfigError, match="libvulkan1"):
        thor_build.check_platform("CloudRendering")
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(ConfigError, match="X server"):
        thor_build.check_platform("Linux64")
    assert thor_build.default_platform("Linux", "") == "CloudRendering"
    assert thor_build.default_platform("Linux", ":0") == "Linux64"
    monkeypatch.setitem(sys.modules, "ai2thor", None)
    monkeypatch.setitem(sys.modules, "ai2thor.controller", None)
    with pytest.raises(ConfigError, match=r'pip install -e "\.\[thor\]"'):
        ThorBackend()


# --- live: a real Unity build -----------------------------------------------------------------------------------
def _live_build() -> str | None:
    """Why the live test cannot run, or None when a build is on this machine (nothing is downloaded)."""
    try:
        from sat_env.backends.thor_build import default_platform, import_ai2thor

        ai2thor = import_ai2thor()
    except ConfigError as e:
        return str(e)
    if os.environ.get("SAT_THOR_EXECUTABLE"):
        return None
    plat = os.environ.get("SAT_THOR_PLATFORM") or default_platform()
    name = ai2thor.build.build_name(plat, ai2thor.build.COMMIT_ID)
    if (Path.home() / ".ai2thor" / "releases" / name).is_dir():
        return None
    return f"no AI2-THOR build: set SAT_THOR_EXECUTABLE or put {name} under ~/.ai2thor/releases"


@pytest.mark.thor
def test_live_thor_backend(houses):
    reason = _live_build()
    if reason:
        pytest.skip(reason)
    b = ThorBackend(width=96, height=96, download=False)
    try:
        b.load(houses[0])
        v = b.view()
        assert v.rgb.shape == (96, 96, 3) and v.depth.dtype == np.float32 and (v.depth > 0).mean() > 0.9
        assert set(v.records) and any(v.object_ids[i] in v.records for i in np.unique(v.ids) if i)
        assert len(b.reachable_positions()) > 10
        p0 = b.pose
        r = b.step("RotateRight", degrees=90)
        assert r and b.pose.yaw == pytest.approx((p0.yaw + 90) % 360, abs=0.5)
        a, z = b.reachable_positions()[0], b.reachable_positions()[-1]
        assert np.isfinite(b.geodesic_distance(a, z)) or b.geodesic_distance(a, z) == float("inf")
    finally:
        b.close()

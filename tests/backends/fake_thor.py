"""Stand-ins for ``ai2thor.controller.Controller`` that need no Unity build, and record every call.

- :class:`ReplayController` replays the hand-written event of ``fixtures/thor_events.json``, with the agent pose and
  object poses following the actions sent (as THOR would report them), and the same frames every time.
- :class:`EmbeddedThorController` answers with the embedded simulator, translated to AI2-THOR's event format
  (metadata from ``View.objects``, which uses THOR's field names; instance colours per object id): a ThorBackend over
  it must behave like the embedded backend, which checks the whole translation, and lets the environments run
  ``backend="thor"`` end to end.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np

FIXTURE = Path(__file__).with_name("fixtures") / "thor_events.json"


def load_fixture() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


class FakeEvent:
    """The parts of ``ai2thor.server.Event`` that SAT-Env reads."""

    def __init__(self, metadata: dict, frame, depth_frame, instance_segmentation_frame=None, instance_masks=None):
        self.metadata = metadata
        self.frame = frame
        self.depth_frame = depth_frame
        self.instance_segmentation_frame = instance_segmentation_frame
        self.instance_masks = instance_masks or {}
        # ai2thor's Event.process_colors: colour -> name from metadata["colors"]
        self.color_to_object_id = {tuple(c["color"]): c["name"] for c in metadata.get("colors") or []}
        self.object_id_to_color = {v: k for k, v in self.color_to_object_id.items()}


class _Recorder:
    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.stopped = False

    def actions(self) -> list[str]:
        return [a for a, _ in self.calls]

    def stop(self):
        self.calls.append(("stop", {}))
        self.stopped = True


class ReplayController(_Recorder):
    """Replays fixtures/thor_events.json. ``fail``: action names that report lastActionSuccess=False; ``masks``:
    give ``instance_masks`` instead of an instance segmentation frame."""

    def __init__(self, fixture: dict | None = None, fail=(), masks: bool = False, **init_kwargs):
        super().__init__()
        fx = fixture or load_fixture()
        self.init_kwargs = init_kwargs
        self.fail = set(fail)
        self.masks = masks
        ev = fx["event"]
        self.md = copy.deepcopy(ev["metadata"])
        self.frame = np.array(ev["frame"], dtype=np.uint8)
        self.depth = np.array(ev["depth_frame"], dtype=np.float32)
        self.seg = np.array(ev["instance_segmentation_frame"], dtype=np.uint8)
        self.reachable = fx["reachable"]

    def _event(self, action: str, ok: bool = True, error: str = "", ret=None) -> FakeEvent:
        md = copy.deepcopy(self.md)
        md.update(lastAction=action, lastActionSuccess=ok, errorMessage=error, actionReturn=ret)
        if self.masks:
            masks = {c["name"]: np.all(self.seg == np.array(c["color"], np.uint8), axis=-1) for c in md["colors"]}
            masks = {k: m for k, m in masks.items() if m.any()}
            return FakeEvent(md, self.frame.copy(), self.depth.copy(), None, masks)
        return FakeEvent(md, self.frame.copy(), self.depth.copy(), self.seg.copy())

    def reset(self, scene=None, **kwargs):
        self.calls.append(("reset", {"scene": scene, **kwargs}))
        return self._event("CreateHouse", "CreateHouse" not in self.fail, "CreateHouse failed (fake)")

    def step(self, action=None, **kw):
        if isinstance(action, dict):
            kw, action = dict(action), action["action"]
            kw.pop("action")
        self.calls.append((action, copy.deepcopy(kw)))
        if action in self.fail:
            return self._event(action, False, f"{action} failed: blocked (fake)")
        agent = self.md["agent"]
        if action in ("TeleportFull", "Teleport"):
            agent["position"] = {**agent["position"], "x": kw["position"]["x"], "z": kw["position"]["z"]}
            agent["rotation"] = {"x": 0.0, "y": kw["rotation"]["y"], "z": 0.0}
            agent["cameraHorizon"] = kw["horizon"]
        elif action in ("MoveAhead", "MoveBack", "MoveLeft", "MoveRight"):
            lat, fwd = {"MoveAhead": (0, 1), "MoveBack": (0, -1), "MoveRight": (1, 0), "MoveLeft": (-1, 0)}[action]
            t, m = math.radians(agent["rotation"]["y"]), kw.get("moveMagnitude", 0.25)
            agent["position"]["x"] += m * (fwd * math.sin(t) + lat * math.cos(t))
            agent["position"]["z"] += m * (fwd * math.cos(t) - lat * math.sin(t))
        elif action in ("RotateLeft", "RotateRight"):
            d = kw.get("degrees", 90) * (1 if action == "RotateRight" else -1)
            agent["rotation"]["y"] = (agent["rotation"]["y"] + d) % 360
        elif action in ("LookUp", "LookDown"):
            agent["cameraHorizon"] += kw.get("degrees", 30) * (1 if action == "LookDown" else -1)
        elif action == "GetReachablePositions":
            return self._event(action, ret=copy.deepcopy(self.reachable))
        elif action == "GetShortestPathToPoint":
            a = kw["position"]
            return self._event(action, ret={"corners": [a, {"x": a["x"], "y": kw["y"], "z": kw["z"]},
                                                        {"x": kw["x"], "y": kw["y"], "z": kw["z"]}]})
        elif action == "TeleportObject":
            o = next(o for o in self.md["objects"] if o["objectId"] == kw["objectId"])
            d = np.array([kw["position"][k] - o["position"][k] for k in "xyz"])
            o["position"] = dict(kw["position"])
            o["rotation"] = dict(kw["rotation"])
            box = o["axisAlignedBoundingBox"]
            box["cornerPoints"] = (np.array(box["cornerPoints"]) + d).tolist()
            box["center"] = {k: box["center"][k] + float(d[i]) for i, k in enumerate("xyz")}
            if o.get("objectOrientedBoundingBox"):
                o["objectOrientedBoundingBox"]["cornerPoints"] = \
                    (np.array(o["objectOrientedBoundingBox"]["cornerPoints"]) + d).tolist()
        elif action != "Done":
            return self._event(action, False, f"Invalid action: {action}")
        return self._event(action)


def id_color(i: int) -> list[int]:
    """A distinct colour per instance index (never black, so that black is background)."""
    return [(37 * i) % 256, (91 * i + 1) % 256, (151 * i + 7) % 256]


class EmbeddedThorController(_Recorder):
    """AI2-THOR's surface over the embedded simulator (see the module docstring)."""

    def __init__(self, width: int = 64, height: int = 64, fieldOfView: float = 90.0, house: dict | None = None,
                 **init_kwargs):
        from sat_env.backends.embedded import EmbeddedBackend

        super().__init__()
        # The house THOR receives has lost our render-only extras (colours, palettes); `house` renders the original.
        self.house = house
        self.init_kwargs = dict(init_kwargs, width=width, height=height, fieldOfView=fieldOfView)
        self.sim = EmbeddedBackend(width=width, height=height, fov=fieldOfView)

    def _event(self, action: str, ok: bool = True, error: str = "", ret=None) -> FakeEvent:
        from sat_env.backends.base import CAMERA_HEIGHT

        v = self.sim.view()
        # THOR reports an object's pivot as `position`; here the pivot is the bottom centre, not the box centre.
        objects = []
        for o in v.objects:
            o = dict(o, position=dict(o["position"]))
            o["position"]["y"] -= o["axisAlignedBoundingBox"]["size"]["y"] / 2
            objects.append(o)
        colors = [{"name": oid, "color": id_color(i)} for i, oid in enumerate(v.object_ids) if oid is not None]
        seg = np.zeros(v.ids.shape + (3,), np.uint8)
        for i in np.unique(v.ids):
            if i:
                seg[v.ids == i] = id_color(int(i))
        p = self.sim.pose
        md = {"agent": {"position": {"x": p.x, "y": 0.9009995, "z": p.z}, "rotation": {"x": 0.0, "y": p.yaw, "z": 0.0},
                        "cameraHorizon": p.horizon, "isStanding": True},
              "objects": objects, "colors": colors, "cameraPosition": {"x": p.x, "y": CAMERA_HEIGHT, "z": p.z},
              "fov": self.sim.fov, "screenWidth": v.rgb.shape[1], "screenHeight": v.rgb.shape[0],
              "lastAction": action, "lastActionSuccess": ok, "errorMessage": error, "actionReturn": ret}
        return FakeEvent(md, v.rgb, v.depth, seg)

    def reset(self, scene=None, **kwargs):
        from sat_env.backends.thor_convert import from_thor_house

        self.calls.append(("reset", {"scene": scene, **kwargs}))
        if self.house is not None:
            assert [o["id"] for o in scene["objects"]] == [o["id"] for o in self.house["objects"]]
        self.sim.load(self.house if self.house is not None else from_thor_house(scene))
        return self._event("CreateHouse")

    def step(self, action=None, **kw):
        from sat_env.backends.base import AgentPose

        self.calls.append((action, copy.deepcopy(kw)))
        sim = self.sim
        if action == "TeleportFull":
            x, z, yaw, h = kw["position"]["x"], kw["position"]["z"], kw["rotation"]["y"], kw["horizon"]
            if kw.get("forceAction"):
                sim._pose = AgentPose(float(x), float(z), float(yaw) % 360.0, float(h))
                return self._event(action)
            r = sim.teleport(x, z, yaw, h)
            return self._event(action, r.success, r.error)
        if action in ("MoveAhead", "MoveBack", "MoveLeft", "MoveRight", "RotateLeft", "RotateRight", "LookUp",
                      "LookDown", "Done"):
            r = sim.step(action, **kw)
            return self._event(action, r.success, r.error)
        if action == "GetReachablePositions":
            return self._event(action, ret=[{"x": float(x), "y": 0.9009995, "z": float(z)}
                                            for x, z in sim.reachable_positions()])
        if action == "GetShortestPathToPoint":
            a = kw["position"]
            path = sim.navgrid.shortest_path((a["x"], a["z"]), (kw["x"], kw["z"]))
            if path is None:
                return self._event(action, False, "no path")
            return self._event(action, ret={"corners": [{"x": x, "y": kw["y"], "z": z} for x, z in path]})
        if action == "TeleportObject":
            rec = sim.scene.objects[kw["objectId"]]
            if kw.get("forceAction"):  # children: the embedded simulator already moved them with their parent
                return self._event(action)
            p = kw["position"]  # pivot = bottom centre here, so x and z are the centre's
            r = sim.place_object(kw["objectId"], p["x"], p["z"], kw["rotation"]["y"])
            ok = r.success and abs(rec.center[1] - rec.size[1] / 2 - p["y"]) < 1e-6
            return self._event(action, ok, r.error)
        return self._event(action, False, f"Invalid action: {action}")

    def stop(self):
        super().stop()
        self.sim.close()

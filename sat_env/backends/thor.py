"""The AI2-THOR backend: the :class:`~sat_env.backends.base.Backend` contract through ``ai2thor.controller.Controller``.

Optional: ``pip install -e ".[thor]"`` and a Unity build (downloaded by ai2thor on first use, or
``local_executable_path`` / ``SAT_THOR_EXECUTABLE`` offline; see :mod:`sat_env.backends.thor_build`).

How the contract maps to AI2-THOR (units as the embedded backend: metres, degrees, yaw 0 = +z, horizon + = down):

========================  ==========================================================================================
``load(house)``           ``controller.reset(scene=to_thor_house(house))`` (Reset + Initialize + CreateHouse), then
                          ``TeleportFull`` to ``metadata.agent``. Our records (:mod:`sat_env.scene.build`) take THOR's
                          geometry from ``metadata.objects`` (ids are the house's ids).
``step(MoveAhead, ...)``  the THOR action of the same name (``moveMagnitude``, ``degrees``); LookUp/LookDown are
                          checked against the same horizon limits first; ``Teleport`` -> ``TeleportFull``;
                          ``Pass`` / ``Done`` -> ``Done`` (a no-op that returns fresh metadata).
``teleport``              ``TeleportFull`` (position, rotation, horizon, standing); fails on collision like THOR.
``place_object``          ``TeleportObject`` (pivot moved by the requested centre displacement, kinematic), then the
                          objects on it by the same displacement; support is checked on our scene first.
``view(pose)``            the last event (or ``TeleportFull`` there and back with ``forceAction``) -> rgb, depth (m),
                          instance ids from ``instance_segmentation_frame`` + ``metadata.colors``, records.
``reachable_positions``   ``GetReachablePositions`` (``actionReturn``: list of {x, y, z}).
``geodesic_distance``     ``GetShortestPathToPoint``: length of ``actionReturn["corners"]`` in x-z (inf on failure).
``navgrid``               our :class:`NavGrid` over the scene, with THOR's reachable positions as its reachable set.
``close``                 ``controller.stop()``.
========================  ==========================================================================================
"""

from __future__ import annotations

import warnings

import numpy as np

from sat_env.backends.base import (CAMERA_HEIGHT, HORIZON_LIMITS, VISIBILITY_DISTANCE, ActionResult, AgentPose,
                                    Backend, View, movable_record)
from sat_env.backends.thor_convert import from_thor_house, to_thor_house, walk_objects
from sat_env.backends.thor_view import (InstanceIndex, color_table, records_from_metadata, update_records,
                                        view_from_event)
from sat_env.errors import BackendError
from sat_env.scene.build import Scene, build_scene
from sat_env.scene.camera import Camera
from sat_env.scene.catalog import load_catalog
from sat_env.scene.navgrid import NavGrid, points_in_polygon
from sat_env.scene.validate import TOL

_MOVES = ("MoveAhead", "MoveBack", "MoveLeft", "MoveRight")
_ACTIONS = sorted([*_MOVES, "RotateLeft", "RotateRight", "LookUp", "LookDown", "Teleport", "Pass", "Done"])
AGENT_Y = 0.95  # ProcTHOR's agent position y (metadata.agent of generated houses)


def _xyz(x: float, y: float, z: float) -> dict:
    return {"x": float(x), "y": float(y), "z": float(z)}


class ThorBackend(Backend):
    """Simulator over a house dict with AI2-THOR (Unity) rendering and physics.

    Args:
        width: image width in pixels.
        height: image height in pixels.
        fov: vertical field of view in degrees (Unity's ``fieldOfView``).
        visibility_distance: AI2-THOR ``visibilityDistance`` (objects farther are not ``visible``).
        camera_height: camera height used when THOR's metadata has no ``cameraPosition``.
        horizon_limits: (min, max) horizon; LookUp/LookDown/Teleport beyond them fail (AI2-THOR: -30, 60).
        platform: "CloudRendering" (default on Linux without a DISPLAY), "Linux64" or "OSXIntel64".
        local_executable_path: a Unity build executable for offline machines (or set ``SAT_THOR_EXECUTABLE``).
        commit_id: AI2-THOR build commit (default: the installed wheel's).
        download: let AI2-THOR download the build when it is not cached (~0.5-0.8 GB).
        probe_timeout: seconds allowed for checking that the build can be downloaded.
        grid_size: AI2-THOR ``gridSize`` (reachable positions are on this grid).
        controller: an already started Controller (or any object with its ``step`` / ``reset`` / ``stop``).
        controller_factory: called with the Controller keyword arguments instead of starting ai2thor's Controller.
        **controller_kwargs: passed on to the Controller (e.g. ``quality``, ``gpu_device``, ``server_start_timeout``).

    Raises:
        ConfigError: ai2thor is missing, or no build can be found or downloaded (the message names the fixes).
    """

    def __init__(self, width: int = 224, height: int = 224, fov: float = 90.0,
                 visibility_distance: float = VISIBILITY_DISTANCE, camera_height: float = CAMERA_HEIGHT,
                 horizon_limits: tuple[float, float] = HORIZON_LIMITS, *, platform=None,
                 local_executable_path: str | None = None, commit_id: str | None = None, download: bool = True,
                 probe_timeout: float = 10.0, grid_size: float = 0.25, controller=None, controller_factory=None,
                 **controller_kwargs):
        self.width, self.height, self.fov = int(width), int(height), float(fov)
        self.visibility_distance = float(visibility_distance)
        self.camera_height = float(camera_height)
        self.horizon_limits = horizon_limits
        self.catalog = load_catalog()
        self.scene: Scene | None = None
        self._index: InstanceIndex | None = None
        self._event = None
        self._agent_y = AGENT_Y
        self._reachable: np.ndarray | None = None
        self._nav: NavGrid | None = None
        if controller is None:
            kwargs = dict(width=self.width, height=self.height, fieldOfView=self.fov,
                          visibilityDistance=self.visibility_distance, gridSize=float(grid_size), snapToGrid=False,
                          rotateStepDegrees=90, renderDepthImage=True, renderInstanceSegmentation=True,
                          agentMode="default", scene="Procedural", **controller_kwargs)
            if controller_factory is None:
                from sat_env.backends.thor_build import find_build, start_controller

                build = find_build(platform, local_executable_path, commit_id, download, probe_timeout)
                controller = start_controller(build, **kwargs)
            else:
                controller = controller_factory(**kwargs)
        self.controller = controller

    # --- plumbing -------------------------------------------------------------------------------------------
    def _require(self) -> Scene:
        if self.scene is None:
            raise BackendError("no house loaded: call backend.load(house) first")
        return self.scene

    def _step(self, action: str, **kwargs):
        ev = self.controller.step(action=action, **kwargs)
        self._event = ev
        agent = ev.metadata.get("agent") or {}
        if agent.get("position"):
            self._agent_y = float(agent["position"].get("y", self._agent_y))
        return ev

    @staticmethod
    def _result(name: str, ev) -> ActionResult:
        md = ev.metadata
        ok = bool(md.get("lastActionSuccess", False))
        return ActionResult(name, ok, "" if ok else str(md.get("errorMessage") or f"{name} failed"))

    def _teleport_full(self, x: float, z: float, yaw: float, horizon: float, force: bool = False):
        kw = {"forceAction": True} if force else {}
        return self._step("TeleportFull", position=_xyz(x, self._agent_y, z), rotation=_xyz(0.0, yaw, 0.0),
                          horizon=float(horizon), standing=True, **kw)

    # --- loading --------------------------------------------------------------------------------------------
    def load(self, house: dict, scene=None) -> None:
        """Load a house dict (ours or ProcTHOR's) in AI2-THOR and put the agent at its start pose (a prebuilt
        `scene` is ignored: THOR builds its own)."""
        sat_house = from_thor_house(house, catalog=self.catalog)  # ours unchanged; THOR-only assets mapped
        ev = self.controller.reset(scene=to_thor_house(sat_house, self.catalog))
        self._event = ev
        if not ev.metadata.get("lastActionSuccess", True):
            raise BackendError(f"AI2-THOR could not create the house: {ev.metadata.get('errorMessage')}")
        scene = build_scene(sat_house, self.catalog)
        self.scene, self._reachable, self._nav = scene, None, None
        agent = (house.get("metadata") or {}).get("agent")
        placed = False
        if agent:
            p = agent["position"]
            self._agent_y = float(p.get("y", AGENT_Y))
            ev = self._teleport_full(p["x"], p["z"], float((agent.get("rotation") or {}).get("y", 0.0)),
                                     float(agent.get("horizon", 0.0)))
            placed = bool(ev.metadata.get("lastActionSuccess"))
        if not placed:  # no start pose, or THOR finds it blocked: the first reachable position
            pts = self.reachable_positions()
            if len(pts) == 0:
                raise BackendError("AI2-THOR reports no reachable position in this house")
            self._teleport_full(pts[0][0], pts[0][1], 0.0, 0.0)
        md = self._event.metadata
        records = records_from_metadata(md.get("objects") or [], scene.objects)
        if len(records) < len(scene.objects):
            missing = sorted(set(scene.objects) - set(records))
            warnings.warn(f"AI2-THOR did not spawn {len(missing)} object(s) of the house: {missing[:10]}; they are left "
                          "out of the ground truth", stacklevel=2)
        scene.objects = records
        index = InstanceIndex(scene.table.object_ids, scene.table.object_types)
        for m in md.get("objects") or []:  # pre-register what THOR draws, so ids rarely grow later
            index.index(m["objectId"], m.get("objectType"))
        for name in color_table(self._event).values():
            index.index(name)
        self._index = index

    @property
    def pose(self) -> AgentPose:
        if self._event is None:
            return AgentPose(0.0, 0.0)
        a = self._event.metadata.get("agent") or {}
        p = a.get("position") or {"x": 0.0, "z": 0.0}
        # THOR reports float32 noise (1.2500001); round below anything that matters to the grid or the questions.
        return AgentPose(round(float(p["x"]), 4), round(float(p["z"]), 4),
                         round(float((a.get("rotation") or {}).get("y", 0.0)), 3) % 360.0,
                         round(float(a.get("cameraHorizon", 0.0)), 3))

    def camera(self, pose: AgentPose | None = None) -> Camera:
        p = pose or self.pose
        return Camera((p.x, self.camera_height, p.z), p.yaw, p.horizon, self.fov, self.width, self.height)

    # --- agent ----------------------------------------------------------------------------------------------
    def teleport(self, x: float, z: float, yaw: float | None = None, horizon: float | None = None) -> ActionResult:
        """Put the agent at (x, z) with an optional yaw/horizon (``TeleportFull``); fails if the spot is blocked."""
        self._require()
        p = self.pose
        h = p.horizon if horizon is None else float(horizon)
        lo, hi = self.horizon_limits
        if not (lo <= h <= hi):
            return ActionResult("Teleport", False, f"horizon {h} outside limits {self.horizon_limits}")
        ev = self._teleport_full(x, z, p.yaw if yaw is None else float(yaw) % 360.0, h)
        return self._result("Teleport", ev)

    def step(self, action: str, **kwargs) -> ActionResult:
        """Run an AI2-THOR action (same names, arguments and defaults as the embedded backend)."""
        self._require()
        if action in _MOVES:
            mag = float(kwargs.get("moveMagnitude", 0.25))
            if mag < 0:
                raise BackendError(f"{action}: moveMagnitude must be >= 0, got {mag}")
            return self._result(action, self._step(action, moveMagnitude=mag))
        if action in ("RotateLeft", "RotateRight"):
            return self._result(action, self._step(action, degrees=float(kwargs.get("degrees", 90.0))))
        if action in ("LookUp", "LookDown"):
            deg = float(kwargs.get("degrees", 30.0))
            h = self.pose.horizon + (deg if action == "LookDown" else -deg)
            lo, hi = self.horizon_limits
            if h < lo - 1e-6 or h > hi + 1e-6:  # the embedded backend's rule, whatever THOR would clamp to
                return ActionResult(action, False, f"{action} failed: horizon {h:g} is outside [{lo:g}, {hi:g}]")
            return self._result(action, self._step(action, degrees=deg))
        if action == "Teleport":
            return self.teleport(float(kwargs["x"]), float(kwargs["z"]), kwargs.get("yaw"), kwargs.get("horizon"))
        if action in ("Pass", "Done"):
            self._step("Done")
            return ActionResult(action, True)
        raise BackendError(f"unknown action {action!r}; valid: {_ACTIONS}")

    # --- objects --------------------------------------------------------------------------------------------
    def _supported(self, rec, x: float, z: float, yaw: float) -> bool:
        """Whether the object's current support (floor or parent surface) still holds it at (x, z)."""
        from sat_env.scene.build import ObjectRecord

        scene = self._require()
        probe = ObjectRecord(**{**rec.__dict__, "center": np.array([x, rec.center[1], z]), "yaw": yaw, "children": []})
        f = probe.footprint
        corners = np.array([[f[0], f[1]], [f[0], f[3]], [f[2], f[1]], [f[2], f[3]]])
        if rec.parent is None:
            return any(points_in_polygon(corners, r.polygon).all() for r in scene.rooms)
        other = scene.objects[rec.parent]
        t = np.radians(other.yaw)
        c, s = np.cos(t), np.sin(t)
        for surf in self.catalog.type_info(other.object_type).surfaces:
            pts = np.array([[surf.x0, surf.z0], [surf.x1, surf.z1]]) * other.size[[0, 2]]
            wx = pts[:, 0] * c + pts[:, 1] * s + other.center[0]
            wz = -pts[:, 0] * s + pts[:, 1] * c + other.center[2]
            if wx.min() - TOL <= f[0] and f[2] <= wx.max() + TOL and wz.min() - TOL <= f[1] and f[3] <= wz.max() + TOL:
                return True
        return False

    def place_object(self, object_id: str, x: float, z: float, yaw: float | None = None) -> ActionResult:
        """Move an object (and what stands on it) so that its centre is above (x, z) on its current support.

        Fails, leaving everything unchanged, when its support does not reach there or AI2-THOR finds a collision.
        Unlike the embedded backend, an object does not move onto another receptacle.
        """
        scene = self._require()
        name = "PlaceObjectAtPoint"
        rec, refused = movable_record(scene, object_id)
        if refused is not None:
            return refused
        new_yaw = rec.yaw if yaw is None else float(yaw) % 360.0
        if not self._supported(rec, x, z, new_yaw):
            return ActionResult(name, False, f"{name} failed: nothing supports {object_id} at ({x:.3f}, {z:.3f})")
        meta = {m["objectId"]: m for m in self._event.metadata.get("objects") or []}
        family, stack = [], [object_id]
        while stack:
            o = stack.pop()
            family.append(o)
            stack.extend(scene.objects[o].children)
        d = np.array([x - rec.center[0], 0.0, z - rec.center[2]])
        dyaw = new_yaw - rec.yaw
        t = np.radians(dyaw)
        c, s = np.cos(t), np.sin(t)
        for k, oid in enumerate(family):
            m = meta.get(oid)
            if m is None:
                return ActionResult(name, False, f"{name} failed: AI2-THOR does not know {oid!r}")
            pivot = np.array([m["position"]["x"], m["position"]["y"], m["position"]["z"]])
            rel = pivot - rec.center  # turn every pivot about the moved object's centre, then shift
            rel = np.array([rel[0] * c + rel[2] * s, rel[1], -rel[0] * s + rel[2] * c])
            new = rec.center + rel + d
            rot = m.get("rotation") or {}
            ev = self._step("TeleportObject", objectId=oid, position=_xyz(*new),
                            rotation=_xyz(rot.get("x", 0.0), float(rot.get("y", 0.0)) + dyaw, rot.get("z", 0.0)),
                            forceAction=k > 0, forceKinematic=True)
            if not ev.metadata.get("lastActionSuccess"):
                if k:
                    err = ev.metadata.get("errorMessage")
                    raise BackendError(f"AI2-THOR moved {object_id} but not {oid} on it: {err}")
                return self._result(name, ev)
        update_records(scene.objects, self._event.metadata.get("objects") or [])
        flat = {o["id"]: o for o, _ in walk_objects(scene.house.get("objects", []))}
        for oid in family:  # keep the house dict in step, as the embedded backend does (save_house)
            r = scene.objects[oid]
            flat[oid]["position"] = {k: round(float(v), 6) for k, v in zip("xyz", r.center)}
            flat[oid]["rotation"] = {"x": 0, "y": round(float(r.yaw), 6), "z": 0}
        if rec.parent is None:
            self._reachable, self._nav = None, None  # the floor layout changed
        return ActionResult(name, True)

    # --- observations ---------------------------------------------------------------------------------------
    def view(self, pose: AgentPose | None = None) -> View:
        """The agent's view (or the view from `pose`, the agent staying where it is) with ground truth."""
        scene = self._require()
        here = self.pose
        if pose is None or pose == here:
            ev = self._event
        else:  # THOR renders only from the agent: go there (even if blocked, like a free camera) and come back
            ev = self._teleport_full(pose.x, pose.z, pose.yaw, pose.horizon, force=True)
            back = self._teleport_full(here.x, here.z, here.yaw, here.horizon, force=True)
            if not ev.metadata.get("lastActionSuccess"):
                raise BackendError(f"AI2-THOR cannot render from {pose}: {ev.metadata.get('errorMessage')}")
            if not back.metadata.get("lastActionSuccess"):
                err = back.metadata.get("errorMessage")
                raise BackendError(f"AI2-THOR could not put the agent back at {here}: {err}")
        return view_from_event(ev, self._index, scene.objects, fov=self.fov, camera_height=self.camera_height,
                               size=(self.width, self.height), visibility_distance=self.visibility_distance)

    def reachable_positions(self) -> np.ndarray:
        """(N, 2) reachable (x, z) from ``GetReachablePositions``, sorted by x then z (cached until objects move)."""
        self._require()
        if self._reachable is None:
            ev = self._step("GetReachablePositions")
            if not ev.metadata.get("lastActionSuccess"):
                raise BackendError(f"GetReachablePositions failed: {ev.metadata.get('errorMessage')}")
            pts = np.array([[p["x"], p["z"]] for p in ev.metadata.get("actionReturn") or []], dtype=np.float64)
            pts = np.round(pts.reshape(-1, 2), 4)
            self._reachable = pts[np.lexsort((pts[:, 1], pts[:, 0]))] if len(pts) else pts
        return self._reachable

    @property
    def navgrid(self) -> NavGrid:
        """Our grid (line of sight, distance fields) with AI2-THOR's reachable positions as the reachable set."""
        scene = self._require()
        if self._nav is None:
            nav = NavGrid(scene.obstacles(), [r.polygon for r in scene.rooms], grid_size=scene.navgrid.grid)
            mask = np.zeros_like(nav.reachable)
            for x, z in self.reachable_positions():
                i, j = nav.index_of(x, z)
                if 0 <= i < mask.shape[0] and 0 <= j < mask.shape[1]:
                    mask[i, j] = True
            nav.reachable = mask
            nav.free = nav.free | mask
            self._nav = nav
        return self._nav

    def geodesic_distance(self, a, b) -> float:
        """Length (m, in x-z) of AI2-THOR's shortest path from a to b (x, z); inf if there is none."""
        self._require()
        y = self._agent_y
        ev = self._step("GetShortestPathToPoint", position=_xyz(a[0], y, a[1]), x=float(b[0]), y=y, z=float(b[1]))
        ret = ev.metadata.get("actionReturn") if ev.metadata.get("lastActionSuccess") else None
        corners = (ret or {}).get("corners")
        if not corners:
            return float("inf")
        p = np.array([[c["x"], c["z"]] for c in corners], dtype=np.float64)
        return float(np.sum(np.hypot(np.diff(p[:, 0]), np.diff(p[:, 1]))))

    def close(self) -> None:
        if self.controller is not None:
            try:
                self.controller.stop()
            finally:
                self.controller = None
        self.scene = None



__all__ = ["ThorBackend"]

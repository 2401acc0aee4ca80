"""The embedded backend: scene + headless renderer + kinematics, no download needed.

Movement follows AI2-THOR: a move that would bring the agent's disc (radius 0.2 m) into a wall or a piece of
furniture fails and leaves the agent where it was, with an error message naming what it hit (AI2-THOR's
``lastActionSuccess`` / ``errorMessage``). Objects can be moved onto the floor or onto receptacle surfaces; a move
fails on collision or when nothing supports the object.
"""

from __future__ import annotations

import numpy as np

from sat_env.backends.base import (CAMERA_HEIGHT, HORIZON_LIMITS, VISIBILITY_DISTANCE, ActionResult, AgentPose,
                                    Backend, View, movable_record)
from sat_env.errors import BackendError
from sat_env.scene.build import AGENT_HEIGHT, Scene, build_scene, object_solids
from sat_env.scene.camera import Camera
from sat_env.scene.catalog import load_catalog
from sat_env.scene.navgrid import AGENT_RADIUS, NavGrid, points_in_polygon, rect_distance
from sat_env.scene.validate import TOL, _obb_overlap

MOVE_SUBSTEP = 0.05  # collision is checked every 5 cm along a move, finer than any obstacle is thin
_MOVES = {"MoveAhead": (0.0, 1.0), "MoveBack": (0.0, -1.0), "MoveRight": (1.0, 0.0), "MoveLeft": (-1.0, 0.0)}


class EmbeddedBackend(Backend):
    """Simulator over a house dict with the embedded renderer.

    Args:
        width: image width in pixels.
        height: image height in pixels.
        fov: vertical field of view in degrees (AI2-THOR default 90).
        visibility_distance: objects farther than this from the camera are not ``visible`` (AI2-THOR: 1.5 m).
        camera_height: camera height above the floor in metres.
        horizon_limits: (min, max) camera horizon in degrees; LookUp/LookDown beyond them fail.
    """

    def __init__(self, width: int = 224, height: int = 224, fov: float = 90.0,
                 visibility_distance: float = VISIBILITY_DISTANCE, camera_height: float = CAMERA_HEIGHT,
                 horizon_limits: tuple[float, float] = HORIZON_LIMITS):
        self.width, self.height, self.fov = int(width), int(height), float(fov)
        self.visibility_distance = visibility_distance
        self.camera_height = camera_height
        self.horizon_limits = horizon_limits
        self.catalog = load_catalog()
        self._renderer = None
        self.scene: Scene | None = None
        self._pose = AgentPose(0.0, 0.0)
        self._nav: NavGrid | None = None
        self._obstacles: tuple[np.ndarray, list[str]] | None = None
        self._dirty_render = False

    # --- loading --------------------------------------------------------------------------------------------
    def load(self, house: dict, scene: Scene | None = None) -> None:
        """Load a house dict and put the agent at its start pose (metadata.agent).

        Args:
            house: the house dict.
            scene: optionally, the freshly built scene of exactly this dict (``scene.house is house``), e.g. from
                :func:`sat_env.scene.generate.generate_scene`, to skip building it again. The backend takes it over.
        """
        from sat_env.render import Renderer

        if scene is not None and scene.house is not house:
            raise BackendError("load(house, scene): scene.house must be the house dict itself")
        if scene is not None and scene.in_use:
            raise BackendError("load(house, scene): this scene was loaded before and may have changed since; pass a "
                               "freshly built scene, or only the house dict")
        self.scene = scene if scene is not None else build_scene(house, self.catalog)
        self.scene.in_use = True
        self._nav = self.scene.navgrid
        self._obstacles = None
        if self._renderer is None:
            self._renderer = Renderer()
        self._renderer.load(self.scene.solids, self.scene.lights)
        self._dirty_render = False
        agent = (house.get("metadata") or {}).get("agent")
        if agent:
            p = agent["position"]
            self._pose = AgentPose(float(p["x"]), float(p["z"]), float(agent.get("rotation", {}).get("y", 0.0)),
                                   float(agent.get("horizon", 0.0)))
        else:
            x, z = self._nav.positions()[0]
            self._pose = AgentPose(float(x), float(z), 0.0, 0.0)

    def _require(self) -> Scene:
        if self.scene is None:
            raise BackendError("no house loaded: call backend.load(house) first")
        return self.scene

    @property
    def pose(self) -> AgentPose:
        return self._pose

    @property
    def navgrid(self) -> NavGrid:
        scene = self._require()
        if self._nav is None:  # rebuilt lazily after a floor object moved
            self._nav = NavGrid(scene.obstacles(), [r.polygon for r in scene.rooms],
                                seeds=[(self._pose.x, self._pose.z)])
        return self._nav

    def camera(self, pose: AgentPose | None = None) -> Camera:
        p = pose or self._pose
        return Camera((p.x, self.camera_height, p.z), p.yaw, p.horizon, self.fov, self.width, self.height)

    # --- agent ----------------------------------------------------------------------------------------------
    def _blocker(self, x: float, z: float) -> str | None:
        """Name of what the agent's disc at (x, z) touches, or None when the spot is free and inside the house."""
        scene = self._require()
        x, z = float(x), float(z)
        if not any(r.contains(x, z) for r in scene.rooms):
            # On a wall line (a doorway) the point is inside no polygon; accept it if a nudge is inside a room.
            nudged = ((x + 1e-4, z + 1e-4), (x - 1e-4, z - 1e-4))
            if not any(r.contains(*p) for r in scene.rooms for p in nudged):
                return "the outside of the house"
        if self._obstacles is None:  # cached until an object moves
            self._obstacles = (scene.obstacles(), scene.obstacle_owners())
        rects, owners = self._obstacles
        d = rect_distance(np.array([x]), np.array([z]), rects)[0]
        k = int(np.argmin(d))
        if d[k] < AGENT_RADIUS - 1e-9:  # touching is allowed, overlapping is not
            return owners[k]
        return None

    def teleport(self, x: float, z: float, yaw: float | None = None, horizon: float | None = None) -> ActionResult:
        """Put the agent at (x, z) with an optional yaw/horizon; fails if the spot is blocked."""
        hit = self._blocker(x, z)
        if hit:
            return ActionResult("Teleport", False, f"Teleport to ({x:.3f}, {z:.3f}) failed: collides with {hit}")
        h = self._pose.horizon if horizon is None else float(horizon)
        if not (self.horizon_limits[0] <= h <= self.horizon_limits[1]):
            return ActionResult("Teleport", False, f"horizon {h} outside limits {self.horizon_limits}")
        self._pose = AgentPose(float(x), float(z), self._pose.yaw if yaw is None else float(yaw) % 360.0, h)
        return ActionResult("Teleport", True)

    def step(self, action: str, **kwargs) -> ActionResult:
        """Run an AI2-THOR-style action.

        Actions: MoveAhead / MoveBack / MoveLeft / MoveRight (``moveMagnitude``, default 0.25 m), RotateLeft /
        RotateRight (``degrees``, default 90), LookUp / LookDown (``degrees``, default 30), Teleport (``x``, ``z``,
        ``yaw``, ``horizon``), Pass / Done (no-op).
        """
        self._require()
        p = self._pose
        if action in _MOVES:
            mag = float(kwargs.get("moveMagnitude", 0.25))
            if mag < 0:
                raise BackendError(f"{action}: moveMagnitude must be >= 0, got {mag}")
            lat, fwd = _MOVES[action]
            t = np.radians(p.yaw)
            dx = mag * (fwd * np.sin(t) + lat * np.cos(t))
            dz = mag * (fwd * np.cos(t) - lat * np.sin(t))
            n = max(1, int(np.ceil(mag / MOVE_SUBSTEP)))
            for k in range(1, n + 1):
                hit = self._blocker(p.x + dx * k / n, p.z + dz * k / n)
                if hit:
                    return ActionResult(action, False, f"{action} failed: the agent would collide with {hit}")
            self._pose = AgentPose(p.x + dx, p.z + dz, p.yaw, p.horizon)
            return ActionResult(action, True)
        if action in ("RotateLeft", "RotateRight"):
            deg = float(kwargs.get("degrees", 90.0))
            yaw = (p.yaw + (deg if action == "RotateRight" else -deg)) % 360.0
            self._pose = AgentPose(p.x, p.z, yaw, p.horizon)
            return ActionResult(action, True)
        if action in ("LookUp", "LookDown"):
            deg = float(kwargs.get("degrees", 30.0))
            h = p.horizon + (deg if action == "LookDown" else -deg)
            lo, hi = self.horizon_limits
            if h < lo - 1e-9 or h > hi + 1e-9:
                return ActionResult(action, False, f"{action} failed: horizon {h:g} is outside [{lo:g}, {hi:g}]")
            self._pose = AgentPose(p.x, p.z, p.yaw, h)
            return ActionResult(action, True)
        if action == "Teleport":
            return self.teleport(float(kwargs["x"]), float(kwargs["z"]), kwargs.get("yaw"), kwargs.get("horizon"))
        if action in ("Pass", "Done"):
            return ActionResult(action, True)
        raise BackendError(f"unknown action {action!r}; valid: {sorted([*_MOVES, 'RotateLeft', 'RotateRight', 'LookUp', 'LookDown', 'Teleport', 'Pass', 'Done'])}")

    # --- objects --------------------------------------------------------------------------------------------
    def _supports(self, rec, fp, exclude: set[str]):
        """Support heights under a footprint: floor (0.0) if inside a room, and receptacle surfaces holding it."""
        scene = self._require()
        out = []
        corners = np.array([[fp[0], fp[1]], [fp[0], fp[3]], [fp[2], fp[1]], [fp[2], fp[3]]])
        for r in scene.rooms:
            if points_in_polygon(corners, r.polygon).all():
                out.append((0.0, None))
                break
        if rec.pickupable:
            for other in scene.objects.values():
                if other.object_id in exclude or not other.receptacle:
                    continue
                info = self.catalog.type_info(other.object_type)
                for s in info.surfaces:
                    lo = np.array([s.x0, s.z0]) * other.size[[0, 2]]
                    hi = np.array([s.x1, s.z1]) * other.size[[0, 2]]
                    t = np.radians(other.yaw)
                    c, si = np.cos(t), np.sin(t)
                    pts = np.array([[lo[0], lo[1]], [hi[0], hi[1]]])
                    wx = pts[:, 0] * c + pts[:, 1] * si + other.center[0]
                    wz = -pts[:, 0] * si + pts[:, 1] * c + other.center[2]
                    if wx.min() - TOL <= fp[0] and fp[2] <= wx.max() + TOL and wz.min() - TOL <= fp[1] and fp[3] <= wz.max() + TOL:
                        y = other.y_range[0] + s.y * other.size[1]
                        if rec.size[1] <= s.clearance * other.size[1] + TOL:
                            out.append((y, other.object_id))
        return out

    def place_object(self, object_id: str, x: float, z: float, yaw: float | None = None) -> ActionResult:
        """Move an object (and what stands on it) so that its centre is above (x, z), resting on the floor or on
        the receptacle surface that supports it (its current support if it still does, else the highest).

        Fails, leaving everything unchanged, when nothing supports it there or it would collide with walls, other
        objects or the agent.
        """
        scene = self._require()
        name = "PlaceObjectAtPoint"
        rec, refused = movable_record(scene, object_id)
        if refused is not None:
            return refused
        family = self._descendants(object_id)
        new_yaw = rec.yaw if yaw is None else float(yaw) % 360.0
        from sat_env.scene.build import ObjectRecord

        probe = ObjectRecord(**{**rec.__dict__, "center": np.array([x, rec.center[1], z]), "yaw": new_yaw, "children": []})
        supports = self._supports(probe, probe.footprint, exclude=family)
        if not supports:
            return ActionResult(name, False, f"{name} failed: nothing supports {object_id} at ({x:.3f}, {z:.3f})")
        current = [s for s in supports if s[1] == rec.parent]
        y0, parent = current[0] if current else max(supports, key=lambda s: s[0])
        probe.center[1] = y0 + rec.size[1] / 2
        # Collisions with other objects (its new parent may touch it from below).
        for other in scene.objects.values():
            if other.object_id in family:
                continue
            if _obb_overlap(probe, other):
                return ActionResult(name, False, f"{name} failed: {object_id} would collide with {other.object_id}")
        walls = scene.structure_obstacles
        f = probe.footprint
        hit = (walls[:, 0] < f[2] - TOL) & (f[0] < walls[:, 2] - TOL) & (walls[:, 1] < f[3] - TOL) & (f[1] < walls[:, 3] - TOL)
        if hit.any():
            return ActionResult(name, False, f"{name} failed: {object_id} would go into a wall")
        if probe.y_range[0] < AGENT_HEIGHT:
            d = rect_distance(np.array([self._pose.x]), np.array([self._pose.z]), np.array([f]))[0, 0]
            if d < AGENT_RADIUS - 1e-9:
                return ActionResult(name, False, f"{name} failed: {object_id} would collide with the agent")
        # Commit: move the object and its descendants rigidly.
        delta = probe.center - rec.center
        dyaw = new_yaw - rec.yaw
        pivot = rec.center.copy()
        old_parent = rec.parent
        for oid in family:
            o = scene.objects[oid]
            rel = o.center - pivot
            t = np.radians(dyaw)
            c, s = np.cos(t), np.sin(t)
            rel = np.array([rel[0] * c + rel[2] * s, rel[1], -rel[0] * s + rel[2] * c])
            o.center = pivot + rel + delta
            o.yaw = (o.yaw + dyaw) % 360.0
            sl = scene.object_solid_slices[oid]
            new = object_solids(o, self.catalog)
            scene.solids.center[sl] = new.center
            scene.solids.yaw[sl] = new.yaw
            scene.solids.size[sl] = new.size
            scene.solids.room[sl] = new.room
        if parent != old_parent:
            if old_parent:
                scene.objects[old_parent].children.remove(object_id)
            if parent:
                scene.objects[parent].children.append(object_id)
            rec.parent = parent
        self._sync_house(scene)
        self._dirty_render = True  # re-uploaded on the next render (a move and its undo cost one upload, or none)
        self._obstacles = None
        if rec.parent is None or old_parent is None:
            self._nav = None  # floor layout changed
        return ActionResult(name, True)

    def _descendants(self, object_id: str) -> set[str]:
        scene = self._require()
        out, stack = set(), [object_id]
        while stack:
            o = stack.pop()
            out.add(o)
            stack.extend(scene.objects[o].children)
        return out

    def _sync_house(self, scene: Scene) -> None:
        """Write object poses and parenting back into the house dict, so save_house() saves the current state."""
        flat = {}

        def walk(objs):
            for o in objs:
                flat[o["id"]] = o
                walk(o.get("children", []) or [])

        walk(scene.house["objects"])
        for oid, rec in scene.objects.items():
            d = flat[oid]
            d["position"] = {"x": round(float(rec.center[0]), 6), "y": round(float(rec.center[1]), 6), "z": round(float(rec.center[2]), 6)}
            d["rotation"] = {"x": 0, "y": round(float(rec.yaw), 6), "z": 0}
        # Re-parent: rebuild the children lists from the records.
        for d in flat.values():
            d.pop("children", None)
        roots = []
        for oid, rec in scene.objects.items():
            if rec.parent is None:
                roots.append(flat[oid])
            else:
                flat[rec.parent].setdefault("children", []).append(flat[oid])
        scene.house["objects"] = roots

    # --- observations ---------------------------------------------------------------------------------------
    def view(self, pose: AgentPose | None = None) -> View:
        """Render the agent's view (or the view from `pose`) with ground truth."""
        scene = self._require()
        cam = self.camera(pose)
        frame = self._synced_renderer().render(cam)
        p = pose or self._pose
        return View(
            rgb=frame.rgb,
            depth=frame.depth,
            ids=frame.ids,
            camera=cam,
            object_ids=[None, *scene.table.object_ids],
            object_types=[None, *scene.table.object_types],
            records=scene.objects,
            visibility_distance=self.visibility_distance,
            agent={
                "position": {"x": p.x, "y": 0.95, "z": p.z},
                "rotation": {"x": 0.0, "y": p.yaw, "z": 0.0},
                "cameraHorizon": p.horizon,
                "isStanding": True,
            },
        )

    def view_ids(self, poses: list[AgentPose], width: int = 64, height: int = 64, depth: bool = False) -> list:
        """Only the instance-id images (with `depth`: (ids, planar depth) pairs) from several poses at a (small)
        resolution, rendered side by side and read back once: for scoring candidate viewpoints."""
        self._require()
        cams = [Camera((p.x, self.camera_height, p.z), p.yaw, p.horizon, self.fov, width, height) for p in poses]
        return self._synced_renderer().render_ids_many(cams, depth=depth)

    def _synced_renderer(self):
        """The renderer, with the scene re-uploaded if objects moved since the last upload."""
        if self._dirty_render:
            self._renderer.load(self.scene.solids, self.scene.lights)
            self._dirty_render = False
        return self._renderer

    def reachable_positions(self) -> np.ndarray:
        return self.navgrid.positions()

    def geodesic_distance(self, a, b) -> float:
        return self.navgrid.geodesic_distance(a, b)

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self.scene = None


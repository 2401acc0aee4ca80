"""The Backend base class shared by the embedded simulator and AI2-THOR, and the records it returns."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from sat_env.scene.camera import Camera

# AI2-THOR's default agent: camera 1.5756 m above the floor when standing; horizon limits for LookUp/LookDown.
CAMERA_HEIGHT = 1.5756
HORIZON_LIMITS = (-30.0, 60.0)
VISIBILITY_DISTANCE = 1.5
SIZE_RANGE = (8, 4096)  # image pixels per side that the envs and the exporter accept


@dataclass(frozen=True)
class AgentPose:
    """Where the agent stands and looks: x, z on the floor (m), yaw (deg, 0 = +z), horizon (deg, + = down)."""

    x: float
    z: float
    yaw: float = 0.0
    horizon: float = 0.0


@dataclass(frozen=True)
class ActionResult:
    """Outcome of an action, as AI2-THOR's lastActionSuccess / errorMessage."""

    action: str
    success: bool
    error: str = ""

    def __bool__(self) -> bool:
        return self.success


@dataclass
class View:
    """One rendered observation with its ground truth.

    Attributes:
        rgb: (H, W, 3) uint8.
        depth: (H, W) float32 planar depth in metres (0 where nothing was hit).
        ids: (H, W) int32 instance ids (0 = background); ``object_ids[i]`` is the object id of instance i.
        camera: the camera that took it.
        object_ids: instance id -> object id (index 0 is None).
        object_types: instance id -> object type (index 0 is None).
        records: object id -> ground-truth record of every object of the house (furniture and small objects).
        visibility_distance: objects farther than this are not ``visible`` (AI2-THOR semantics).
    """

    rgb: np.ndarray
    depth: np.ndarray
    ids: np.ndarray
    camera: Camera
    object_ids: list
    object_types: list
    records: dict
    visibility_distance: float = VISIBILITY_DISTANCE
    agent: dict = field(default_factory=dict)

    @cached_property
    def _runs(self) -> tuple[np.ndarray, dict[int, tuple[int, int, int, int]]]:
        """Pixel counts and 2D boxes from the image's horizontal runs of equal ids (a 512^2 view has a few thousand
        runs, so this is ~10x faster than per-pixel binning)."""
        ids = self.ids
        h, w = ids.shape
        n = len(self.object_ids)
        if ids.size == 0:
            return np.zeros(n, np.int64), {}
        start = np.empty((h, w), bool)
        start[:, 0] = True  # every row starts a run, so a run's end is the next run's start - 1
        np.not_equal(ids[:, 1:], ids[:, :-1], out=start[:, 1:])
        s = np.flatnonzero(start)
        e = np.empty_like(s)
        e[:-1] = s[1:] - 1
        e[-1] = h * w - 1
        rid = ids.ravel()[s].astype(np.intp)
        if len(rid) and (rid.min() < 0 or rid.max() >= n):
            raise ValueError(f"instance ids outside [0, {n}) in the id image")
        counts = np.bincount(rid, weights=e - s + 1, minlength=n).astype(np.int64)
        keep = rid > 0
        rid, s, e = rid[keep], s[keep], e[keep]
        y = s // w
        x0, x1 = s - y * w, e - y * w
        bx0, by0 = np.full(n, w, np.intp), np.full(n, h, np.intp)
        bx1, by1 = np.full(n, -1, np.intp), np.full(n, -1, np.intp)
        np.minimum.at(bx0, rid, x0)
        np.maximum.at(bx1, rid, x1)
        np.minimum.at(by0, rid, y)
        np.maximum.at(by1, rid, y)
        present = np.nonzero(bx1 >= 0)[0].tolist()
        return counts, {i: (int(bx0[i]), int(by0[i]), int(bx1[i]), int(by1[i])) for i in present}

    @property
    def pixel_counts(self) -> np.ndarray:
        """Pixels per instance id: array of length len(object_ids)."""
        return self._runs[0]

    @property
    def boxes(self) -> dict[int, tuple[int, int, int, int]]:
        """2D boxes (x0, y0, x1, y1), inclusive pixel bounds, of every instance present in the image."""
        return self._runs[1]

    def instance_of(self, object_id: str) -> int:
        return self.object_ids.index(object_id)

    def mask(self, object_id: str) -> np.ndarray:
        """Boolean mask of the object's pixels."""
        return self.ids == self.instance_of(object_id)

    @cached_property
    def objects(self) -> list[dict]:
        """Per-object metadata in AI2-THOR's field names (objects of the house, not walls or floors)."""
        counts, boxes = self.pixel_counts, self.boxes
        cam = np.asarray(self.camera.position)
        out = []
        for rec in self.records.values():
            inst = rec.instance
            lo, hi = rec.aabb()
            corners = [[float(x), float(y), float(z)] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])]
            dist = float(np.linalg.norm(rec.center - cam))
            px = int(counts[inst]) if inst < len(counts) else 0
            out.append({
                "objectId": rec.object_id,
                "objectType": rec.object_type,
                "name": rec.object_id,
                "assetId": rec.asset_id,
                "position": {"x": float(rec.center[0]), "y": float(rec.center[1]), "z": float(rec.center[2])},
                "rotation": {"x": 0.0, "y": float(rec.yaw), "z": 0.0},
                "axisAlignedBoundingBox": {
                    "cornerPoints": corners,
                    "center": {"x": float((lo[0] + hi[0]) / 2), "y": float((lo[1] + hi[1]) / 2), "z": float((lo[2] + hi[2]) / 2)},
                    "size": {"x": float(hi[0] - lo[0]), "y": float(hi[1] - lo[1]), "z": float(hi[2] - lo[2])},
                },
                "objectOrientedBoundingBox": {"cornerPoints": rec.obb_corners().tolist()},
                "distance": dist,
                "visible": bool(px > 0 and dist <= self.visibility_distance),
                "pixelCount": px,
                "bbox2d": list(boxes[inst]) if inst in boxes else None,
                "parentReceptacles": [rec.parent] if rec.parent else None,
                "receptacle": rec.receptacle,
                "receptacleObjectIds": list(rec.children) if rec.receptacle else None,
                "pickupable": rec.pickupable,
                "moveable": rec.movable and not rec.pickupable,
            })
        return out


def movable_record(scene, object_id: str) -> tuple[object, ActionResult | None]:
    """(the object's record, None) when ``place_object`` may move it, else (None or the record, the failed result)."""
    name = "PlaceObjectAtPoint"
    rec = scene.objects.get(object_id)
    if rec is None:
        return None, ActionResult(name, False, f"unknown objectId {object_id!r}")
    if rec.on_wall:
        return rec, ActionResult(name, False, f"{object_id} hangs on a wall and cannot be moved")
    return rec, None


class Backend(abc.ABC):
    """What every simulator backend offers the environments, the question families and the agents (the embedded
    simulator and AI2-THOR both subclass it). A new backend implements every abstract member below, sets the
    attributes in its ``__init__``, and passes ``tests/backends/test_conformance.py``.

    Attributes:
        width, height: image size in pixels of ``view()`` (callers may change both between views).
        fov: vertical field of view in degrees.
        camera_height: camera height above the floor in metres.
        visibility_distance: AI2-THOR's ``visible`` cut-off in metres (``View.objects``).
        horizon_limits: (min, max) camera horizon in degrees; LookUp/LookDown/teleports beyond them fail.
        catalog: the asset catalog the house is built with.
        scene: the loaded house as a :class:`sat_env.scene.build.Scene` (object records, rooms, nav grid), or None
            before ``load``. The ground truth every question is computed from.

    Use as a context manager to ``close()`` at the end of a block.
    """

    width: int
    height: int
    fov: float
    camera_height: float
    visibility_distance: float
    horizon_limits: tuple[float, float]
    scene: object | None

    @abc.abstractmethod
    def load(self, house: dict, scene=None) -> None:
        """Load a house dict and put the agent at its start pose (``metadata.agent``). `scene`: optionally the
        freshly built scene of exactly this dict (``scene.house is house``), which a backend may take over instead of
        building it again (others ignore it)."""

    @property
    @abc.abstractmethod
    def pose(self) -> AgentPose:
        """The agent's current pose."""

    @property
    @abc.abstractmethod
    def navgrid(self):
        """The :class:`sat_env.scene.navgrid.NavGrid` of the loaded house (reachable cells, line of sight, distance
        fields), kept up to date when objects move."""

    @abc.abstractmethod
    def camera(self, pose: AgentPose | None = None) -> Camera:
        """The camera of the current pose (or of `pose`) at the current width, height and fov."""

    @abc.abstractmethod
    def teleport(self, x: float, z: float, yaw: float | None = None, horizon: float | None = None) -> ActionResult:
        """Put the agent at (x, z), optionally turning to yaw and horizon; fails (agent unmoved) where it cannot
        stand."""

    @abc.abstractmethod
    def step(self, action: str, **kwargs) -> ActionResult:
        """One AI2-THOR-named action: MoveAhead/MoveBack/MoveLeft/MoveRight (``moveMagnitude``),
        RotateLeft/RotateRight (``degrees``), LookUp/LookDown (``degrees``)."""

    @abc.abstractmethod
    def place_object(self, object_id: str, x: float, z: float, yaw: float | None = None) -> ActionResult:
        """Move an object (with what stands on it) to (x, z) on the floor or its support; fails where it would
        collide or fall."""

    @abc.abstractmethod
    def view(self, pose: AgentPose | None = None) -> View:
        """The rendered view (RGB, depth, instance ids and ground truth) from the agent, or from `pose` with the agent
        staying where it is."""

    def view_ids(self, poses: list[AgentPose], width: int = 64, height: int = 64, depth: bool = False) -> list:
        """Only the instance-id images (with `depth`: (ids, planar depth) pairs) from several poses at a small
        resolution, for scoring candidate viewpoints. This default renders each pose with ``view``; a backend that
        can do better (the embedded one draws them side by side in one pass) overrides it."""
        saved = (self.width, self.height)
        self.width, self.height = width, height
        try:
            views = [self.view(p) for p in poses]
        finally:
            self.width, self.height = saved
        return [(v.ids, v.depth) if depth else v.ids for v in views]

    @abc.abstractmethod
    def reachable_positions(self) -> np.ndarray:
        """(N, 2) reachable (x, z) grid points."""

    @abc.abstractmethod
    def geodesic_distance(self, a, b) -> float:
        """Shortest walkable path length (m) from a to b, each (x, z); inf when unreachable."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the renderer or the simulator process; the backend is unusable afterwards."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

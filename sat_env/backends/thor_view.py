"""AI2-THOR events -> SAT-Env views and object records.

An AI2-THOR ``Event`` carries ``frame`` (H, W, 3 uint8 RGB), ``depth_frame`` (H, W float32 metres with the
controller's default ``DepthFormat.Meters``), ``instance_segmentation_frame`` (H, W, 3 uint8, one colour per object)
with ``color_to_object_id`` (built by ai2thor from ``metadata["colors"]``: ``[{"name", "color": [r, g, b]}]``), and
``metadata`` (``agent``, ``objects`` with ``axisAlignedBoundingBox`` / ``objectOrientedBoundingBox``, ...). This
module turns them into the :class:`~sat_env.backends.base.View` the embedded backend produces: an instance-index
image with its id table, planar depth in metres, the camera, and ground-truth :class:`ObjectRecord` s.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sat_env.backends.base import VISIBILITY_DISTANCE, View
from sat_env.backends.thor_convert import object_geometry
from sat_env.errors import BackendError
from sat_env.scene.build import ObjectRecord
from sat_env.scene.camera import Camera


class InstanceIndex:
    """Stable instance ids for one loaded house: 0 = background, then our scene's table, then anything else THOR
    draws (floors, ceilings, objects we dropped).

    The id lists only grow, and every view shares them, so an instance id means the same object in all views of a
    house (callers may read ids of one view through another view's ``object_ids``).
    """

    def __init__(self, object_ids: list[str], object_types: list[str]):
        self.object_ids: list = [None, *object_ids]
        self.object_types: list = [None, *object_types]
        self._index = {oid: i for i, oid in enumerate(self.object_ids) if oid is not None}

    def index(self, object_id: str, object_type: str | None = None) -> int:
        i = self._index.get(object_id)
        if i is None:
            i = self._index[object_id] = len(self.object_ids)
            self.object_ids.append(object_id)
            self.object_types.append(object_type or str(object_id).split("|", 1)[0])
        return i


def _pack(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb).astype(np.int64)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def color_table(event) -> dict[tuple[int, int, int], str]:
    """Colour -> object id of an event: ``event.color_to_object_id`` or, when empty, ``metadata["colors"]``."""
    table = dict(getattr(event, "color_to_object_id", None) or {})
    if not table:
        for c in event.metadata.get("colors") or []:
            table[tuple(int(v) for v in c["color"][:3])] = c["name"]
    return table


def instance_ids(event, index: InstanceIndex, types: dict[str, str] | None = None) -> np.ndarray:
    """(H, W) int32 instance ids of an event's instance segmentation, through ``index`` (0 where no object).

    Uses ``instance_segmentation_frame`` + colours; falls back to ``instance_masks`` (object id -> bool mask).
    """
    types = types or {}
    seg = getattr(event, "instance_segmentation_frame", None)
    if seg is not None:
        seg = np.asarray(seg)
        keys: dict[int, str] = {}
        # Object ids ("Type|...") win over class names (no "|") should a colour be listed for both.
        for color, name in sorted(color_table(event).items(), key=lambda kv: "|" in str(kv[1])):
            keys[int(_pack(np.array(color)))] = name
        uniq, inv = np.unique(_pack(seg[..., :3]), return_inverse=True)
        lut = np.zeros(len(uniq), dtype=np.int32)
        for k, u in enumerate(uniq):
            name = keys.get(int(u))
            if name is not None:
                lut[k] = index.index(name, types.get(name))
        return lut[inv.reshape(seg.shape[:2])]
    masks = getattr(event, "instance_masks", None)
    if masks:
        out = None
        for name in list(masks.keys()):
            m = np.asarray(masks[name], dtype=bool)
            if out is None:
                out = np.zeros(m.shape, dtype=np.int32)
            out[m] = index.index(name, types.get(name))
        if out is not None:
            return out
    raise BackendError("the AI2-THOR event has no instance segmentation: start the controller with "
                       "renderInstanceSegmentation=True (ThorBackend does)")


def update_records(records: dict[str, ObjectRecord], objects: list[dict]) -> list[str]:
    """Set centre, yaw and size of our records from AI2-THOR object metadata, in place.

    Returns the ids of records THOR does not report (not spawned); they are left unchanged.
    """
    meta = {m.get("objectId"): m for m in objects or []}
    missing = []
    for oid, rec in records.items():
        m = meta.get(oid)
        if m is None or not m.get("axisAlignedBoundingBox"):
            missing.append(oid)
            continue
        rec.center, rec.yaw, rec.size = object_geometry(m)
    return missing


def records_from_metadata(objects: list[dict], base: dict[str, ObjectRecord]) -> dict[str, ObjectRecord]:
    """Copies of ``base`` (our records of the house) with THOR's geometry; objects THOR did not spawn are left out
    (and out of their parents' children)."""
    out = {oid: dataclasses.replace(r, center=r.center.copy(), size=r.size.copy(), children=list(r.children))
           for oid, r in base.items()}
    for oid in update_records(out, objects):
        del out[oid]
    for r in out.values():
        r.children = [c for c in r.children if c in out]
        if r.parent is not None and r.parent not in out:
            r.parent = None
    return out


def _resize_nearest(a: np.ndarray, h: int, w: int) -> np.ndarray:
    rows = (np.arange(h) * a.shape[0] // h).astype(np.intp)
    cols = (np.arange(w) * a.shape[1] // w).astype(np.intp)
    return a[rows][:, cols]


def view_from_event(event, index: InstanceIndex, records: dict[str, ObjectRecord], *, fov: float,
                    camera_height: float, size: tuple[int, int] | None = None,
                    visibility_distance: float = VISIBILITY_DISTANCE) -> View:
    """Build our :class:`View` from an AI2-THOR event.

    Args:
        event: an ai2thor ``Event`` (or anything with the same attributes).
        index: the house's instance index (shared by its views).
        records: our object records (object id -> :class:`ObjectRecord`), already in THOR's geometry.
        fov: vertical field of view in degrees (Unity's ``fieldOfView`` is vertical), used when the metadata has none.
        camera_height: camera height when the metadata has no ``cameraPosition``.
        size: (width, height) of the returned images; frames of another size are resampled (nearest pixel).
        visibility_distance: AI2-THOR's ``visibilityDistance``.
    """
    md = event.metadata
    if getattr(event, "frame", None) is None:
        raise BackendError("the AI2-THOR event has no frame: do not start the controller with headless=True "
                           "(it renders nothing); use platform=CloudRendering for off-screen rendering")
    if getattr(event, "depth_frame", None) is None:
        raise BackendError("the AI2-THOR event has no depth frame: start the controller with renderDepthImage=True "
                           "(ThorBackend does)")
    types = {m["objectId"]: m.get("objectType") for m in md.get("objects") or [] if "objectId" in m}
    rgb = np.ascontiguousarray(np.asarray(event.frame, dtype=np.uint8)[..., :3])
    depth = np.asarray(event.depth_frame, dtype=np.float32)
    ids = instance_ids(event, index, types)
    h, w = rgb.shape[:2]
    if size is not None and (size[0], size[1]) != (w, h):
        w, h = int(size[0]), int(size[1])
        rgb, depth, ids = (_resize_nearest(a, h, w) for a in (rgb, depth, ids))
    agent = md.get("agent") or {}
    pos = agent.get("position") or {"x": 0.0, "y": 0.0, "z": 0.0}
    cam_y = float((md.get("cameraPosition") or {}).get("y", camera_height))
    yaw = float((agent.get("rotation") or {}).get("y", 0.0)) % 360.0
    camera = Camera((float(pos["x"]), cam_y, float(pos["z"])), yaw, float(agent.get("cameraHorizon", 0.0)),
                    float(md.get("fov") or fov), w, h)
    return View(rgb=np.ascontiguousarray(rgb), depth=np.ascontiguousarray(depth), ids=np.ascontiguousarray(ids),
                camera=camera, object_ids=index.object_ids, object_types=index.object_types, records=records,
                visibility_distance=visibility_distance, agent=dict(agent))


__all__ = ["InstanceIndex", "color_table", "instance_ids", "records_from_metadata", "update_records",
           "view_from_event"]

"""From a house dict to the things a simulator needs: solids with instance ids, object records, lights, obstacles
and the navigation grid."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sat_env.scene.catalog import Catalog, load_catalog
from sat_env.scene.geometry import Solids, rotate_yaw, yaw_extent
from sat_env.scene.navgrid import NavGrid
from sat_env.scene.structure import (
    PLANE_WALL_THICKNESS,
    InstanceTable,
    RoomShape,
    build_structure,
    room_at,
    wall_thickness,
)
from sat_env.scene.validate import check_schema

AGENT_HEIGHT = 1.8  # objects whose vertical extent lies above this do not block the agent


@dataclass
class ObjectRecord:
    """Ground-truth state of one object of the house (furniture or a small object on a surface)."""

    object_id: str
    object_type: str
    asset_id: str
    instance: int
    center: np.ndarray  # bbox centre (x, y, z)
    yaw: float
    size: np.ndarray  # bbox extents in the object's own frame (x, y, z)
    palette: int
    room: int  # index of the room it stands in (-1 if outside every room)
    parent: str | None = None
    children: list[str] = field(default_factory=list)
    pickupable: bool = False
    movable: bool = False
    receptacle: bool = False
    on_wall: bool = False

    @property
    def footprint(self) -> tuple[float, float, float, float]:
        dx, dz = yaw_extent(self.size[0], self.size[2], self.yaw)
        return (self.center[0] - dx / 2, self.center[2] - dz / 2, self.center[0] + dx / 2, self.center[2] + dz / 2)

    @property
    def y_range(self) -> tuple[float, float]:
        return (self.center[1] - self.size[1] / 2, self.center[1] + self.size[1] / 2)

    def aabb(self) -> tuple[np.ndarray, np.ndarray]:
        f = self.footprint
        y0, y1 = self.y_range
        return np.array([f[0], y0, f[1]]), np.array([f[2], y1, f[3]])

    def obb_corners(self) -> np.ndarray:
        """(8, 3) corners of the oriented bounding box in world space."""
        s = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)]) * self.size
        return rotate_yaw(s, self.yaw) + self.center


@dataclass
class Scene:
    """Everything derived from one house dict."""

    house: dict
    solids: Solids
    table: InstanceTable
    rooms: list[RoomShape]
    objects: dict[str, ObjectRecord]
    lights: np.ndarray  # (R, 4): x, y, z, intensity per room index
    structure_obstacles: np.ndarray  # (K, 5) [x0, z0, x1, z1, instance]
    object_solid_slices: dict[str, slice]
    navgrid: NavGrid
    wall_thickness: float
    # Set when a backend loads it: the backend then owns it (moves its objects), so it cannot be handed on again.
    in_use: bool = field(default=False, repr=False, compare=False)

    def _floor_objects(self, exclude):
        """Objects that block the agent: standing on the floor. Wall hangings (paintings) hang above its
        shoulders and only a few centimetres proud of the wall, so they do not count."""
        for o in self.objects.values():
            if o.object_id in exclude or o.parent is not None or o.on_wall or o.y_range[0] > AGENT_HEIGHT:
                continue
            yield o

    def obstacles(self, exclude: set[str] = frozenset()) -> np.ndarray:
        """(K, 4) footprints the agent may not touch: walls, trims and floor objects (minus `exclude`)."""
        rects = [self.structure_obstacles[:, :4]]
        for o in self._floor_objects(exclude):
            rects.append(np.array([o.footprint]))
        return np.concatenate(rects)

    def obstacle_owners(self, exclude: set[str] = frozenset()) -> list[str]:
        owners = [self.table.object_ids[int(i) - 1] if i > 0 else "wall" for i in self.structure_obstacles[:, 4]]
        for o in self._floor_objects(exclude):
            owners.append(o.object_id)
        return owners


def _walk_objects(objs: list[dict], parent: str | None = None):
    for o in objs:
        yield o, parent
        yield from _walk_objects(o.get("children", []) or [], o["id"])


def object_records(house: dict, catalog: Catalog, table: InstanceTable, rooms: list[RoomShape]) -> dict[str, ObjectRecord]:
    out: dict[str, ObjectRecord] = {}
    for o, parent in _walk_objects(house.get("objects", [])):
        asset = catalog.resolve(o["assetId"], o["id"])  # unknown assets: AI2-THOR size or a default, warned
        info = catalog.type_info(asset.object_type)
        c = np.array([o["position"]["x"], o["position"]["y"], o["position"]["z"]], dtype=np.float64)
        room = room_at(rooms, c[0], c[2])
        rec = ObjectRecord(
            object_id=o["id"],
            object_type=asset.object_type,
            asset_id=asset.asset_id,
            instance=table.add(o["id"], asset.object_type),
            center=c,
            yaw=float((o.get("rotation") or {}).get("y", 0.0)),
            size=np.array(asset.size, dtype=np.float64),
            palette=int((o.get("satEnv") or {}).get("palette", 0)),
            room=room.index if room else -1,
            parent=parent,
            pickupable=info.pickupable,
            movable=info.movable or info.pickupable,
            receptacle=info.receptacle,
            on_wall=info.on_wall and not info.on_floor,
        )
        out[rec.object_id] = rec
        if parent is not None:
            out[parent].children.append(rec.object_id)
    return out


def object_solids(rec: ObjectRecord, catalog: Catalog) -> Solids:
    return catalog.solids(rec.asset_id, position=rec.center, yaw=rec.yaw, color_index=rec.palette,
                          instance=rec.instance, room=rec.room)


def build_scene(house: dict, catalog: Catalog | None = None) -> Scene:
    """Build solids, object records, lights, obstacles and the navigation grid of a house dict (HouseFormatError
    naming the first problem if it does not follow the house schema)."""
    check_schema(house)
    catalog = catalog or load_catalog()
    table = InstanceTable()
    structure, rooms, obstacles = build_structure(house, table)
    objects = object_records(house, catalog, table, rooms)
    parts, slices, start = [structure], {}, len(structure)
    for rec in objects.values():
        s = object_solids(rec, catalog)
        parts.append(s)
        slices[rec.object_id] = slice(start, start + len(s))
        start += len(s)
    solids = Solids.concat(parts)
    lights = np.zeros((len(rooms), 4))
    for r in rooms:  # default: a light at the centre of the room's bounding box under the ceiling
        c = r.polygon.mean(axis=0)
        lights[r.index] = (c[0], 2.4, c[1], 1.0)
    for lt in (house.get("proceduralParameters") or {}).get("lights", []):
        p = lt.get("position") or {}
        room = room_at(rooms, p.get("x", 0.0), p.get("z", 0.0))
        if room is not None:
            lights[room.index] = (p["x"], p["y"], p["z"], float(lt.get("intensity", 1.0)))
    thickness = wall_thickness(house) or PLANE_WALL_THICKNESS
    agent = (house.get("metadata") or {}).get("agent")
    seeds = [(agent["position"]["x"], agent["position"]["z"])] if agent else None
    scene = Scene(house, solids, table, rooms, objects, lights, obstacles, slices, None, thickness)  # type: ignore[arg-type]
    scene.navgrid = NavGrid(scene.obstacles(), [r.polygon for r in rooms], seeds=seeds)
    return scene

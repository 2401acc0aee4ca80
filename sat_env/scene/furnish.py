"""Furniture and small objects: placed by room type, against walls and in groups, then small objects on surfaces.

Floor furniture is yawed by multiples of 90 degrees with its back to a wall (or in the middle of the room, as a
dining table), so footprints are axis-aligned rectangles. Every placement keeps a gap to walls and other objects,
keeps the approach to every doorway clear, and is rejected if it would cut the room's free floor in two or leave an
object out of the agent's reach (checked on the 0.25 m navigation grid with the agent's radius).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sat_env.scene.asset_types import Asset, TypeInfo
from sat_env.scene.catalog import Catalog
from sat_env.scene.floorplan import GRID, Doorway, Room
from sat_env.scene.navgrid import AGENT_RADIUS, REACH_DISTANCE, grid_component
from sat_env.scene.structure import FRAME

GAP = 0.02  # between furniture and walls / other furniture: touching solids would share face planes
CHILD_GAP = 0.01  # between small objects on one surface
DOOR_CLEAR_DEPTH = 0.9  # keep this much floor free in front of a doorway (m), plus DOOR_CLEAR_SIDE on each side
DOOR_CLEAR_SIDE = 0.1
WALL_SIDES = ("S", "N", "W", "E")  # walls at z0, z1, x0, x1 of the room
SIDE_YAW = {"S": 0.0, "N": 180.0, "W": 90.0, "E": 270.0}  # furniture against that wall faces into the room
PAINTING_CENTER_Y = 1.55


@dataclass
class Placed:
    """An object placed in a room (floor furniture or a child on a surface)."""

    object_type: str
    asset: Asset
    center: np.ndarray  # bbox centre (x, y, z)
    yaw: float
    palette: int
    room: int
    children: list["Placed"] = field(default_factory=list)
    on_wall: bool = False

    @property
    def footprint(self) -> tuple[float, float, float, float]:
        sx, _, sz = self.asset.size
        t = np.radians(self.yaw)
        c, s = abs(np.cos(t)), abs(np.sin(t))
        dx, dz = (sx * c + sz * s) / 2, (sx * s + sz * c) / 2
        return (self.center[0] - dx, self.center[2] - dz, self.center[0] + dx, self.center[2] + dz)

    @property
    def y_range(self) -> tuple[float, float]:
        h = self.asset.size[1]
        return (self.center[1] - h / 2, self.center[1] + h / 2)


def _overlap(a, b, gap=0.0) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


class RoomFurnisher:
    """Places furniture in one room. Keeps the placed list and the room's free-floor bookkeeping."""

    def __init__(self, room: Room, doors: list[Doorway], wall_thickness: float, catalog: Catalog,
                 rng: np.random.Generator):
        self.room, self.catalog, self.rng = room, catalog, rng
        ht = wall_thickness / 2
        self.inner = (room.x0 + ht, room.z0 + ht, room.x1 - ht, room.z1 - ht)
        self.placed: list[Placed] = []
        self._grid = None  # nav_ok's agent grid over the room
        self._free_cache: tuple[int, np.ndarray] | None = None  # (len(placed), free mask of placed + trims)
        self.door_zones: list[tuple[float, float, float, float]] = []
        self.door_entries: list[tuple[float, float]] = []
        self.trims: list[tuple[float, float, float, float]] = []  # doorway jambs stand proud of the wall faces
        self.wall_holes: dict[str, list[tuple[float, float]]] = {s: [] for s in WALL_SIDES}
        for d in doors:
            if room.index not in (d.room_a, d.room_b):
                continue
            lo, hi = d.center - d.width / 2 - DOOR_CLEAR_SIDE, d.center + d.width / 2 + DOOR_CLEAR_SIDE
            a0, a1 = d.line - ht - FRAME / 2, d.line + ht + FRAME / 2
            for u0, u1 in ((d.center - d.width / 2, d.center - d.width / 2 + FRAME),
                           (d.center + d.width / 2 - FRAME, d.center + d.width / 2)):
                self.trims.append((u0, a0, u1, a1) if d.horizontal else (a0, u0, a1, u1))
            if d.horizontal:
                side = "S" if abs(d.line - room.z0) < 1e-6 else "N"
                sign = 1 if side == "S" else -1
                z = d.line + sign * (ht + DOOR_CLEAR_DEPTH)
                self.door_zones.append((lo, min(d.line, z), hi, max(d.line, z)))
                self.door_entries.append((d.center, d.line + sign * 0.5))
            else:
                side = "W" if abs(d.line - room.x0) < 1e-6 else "E"
                sign = 1 if side == "W" else -1
                x = d.line + sign * (ht + DOOR_CLEAR_DEPTH)
                self.door_zones.append((min(d.line, x), lo, max(d.line, x), hi))
                self.door_entries.append((d.line + sign * 0.5, d.center))
            self.wall_holes[side].append((lo, hi))

    # --- helpers ------------------------------------------------------------------------------------------
    def pick_asset(self, object_type: str, max_size=None) -> Asset | None:
        try:
            assets = self.catalog.assets_of_type(object_type)
        except KeyError:
            return None
        if max_size is not None:
            assets = [a for a in assets if all(a.size[i] <= max_size[i] + 1e-9 for i in range(3))]
        if not assets:
            return None
        return assets[int(self.rng.integers(len(assets)))]

    def palette(self, object_type: str) -> int:
        return int(self.rng.integers(len(self.catalog.type_info(object_type).palettes)))

    def _fits(self, fp) -> bool:
        x0, z0, x1, z1 = self.inner
        if fp[0] < x0 + GAP - 1e-9 or fp[1] < z0 + GAP - 1e-9 or fp[2] > x1 - GAP + 1e-9 or fp[3] > z1 - GAP + 1e-9:
            return False
        if any(_overlap(fp, dz) for dz in self.door_zones):
            return False
        return not any(_overlap(fp, p.footprint, GAP) for p in self.placed if not p.on_wall)

    def nav_ok(self, extra: list[Placed] = ()) -> bool:
        """The room's free floor stays one piece joining every doorway, and every object is within reach."""
        grid = self._nav_grid()
        if grid is None:
            return False
        xs, zs, gx, gz = grid
        # Same rule as the house-level NavGrid: the agent's disc may touch a wall or an object, not overlap it.
        # The free mask of what is placed already is kept (the placed list only grows); `extra` is added to a copy.
        n = len(self.placed)
        if self._free_cache is None or self._free_cache[0] != n:
            base = self._free_cache[1].copy() if self._free_cache is not None else np.ones(gx.shape, dtype=bool)
            start = self._free_cache[0] if self._free_cache is not None else 0
            fresh = [p.footprint for p in self.placed[start:] if not p.on_wall]
            if self._free_cache is None:
                fresh += self.trims
            for f in fresh:
                base &= self._clear_of(f, gx, gz)
            self._free_cache = (n, base)
        free = self._free_cache[1].copy()
        extra = [p for p in extra if not p.on_wall]
        for p in extra:
            free &= self._clear_of(p.footprint, gx, gz)
        comp = _component(free, [(int(round((ex - xs[0]) / GRID)), int(round((ez - zs[0]) / GRID)))
                                 for ex, ez in self.door_entries])
        if comp is None:
            return False
        objs = [p for p in self.placed if not p.on_wall] + extra
        if not objs:
            return True
        px, pz = gx[comp][:, None], gz[comp][:, None]
        f = np.array([p.footprint for p in objs], dtype=np.float64)
        dx = np.maximum(np.maximum(f[:, 0] - px, px - f[:, 2]), 0.0)
        dz = np.maximum(np.maximum(f[:, 1] - pz, pz - f[:, 3]), 0.0)
        return bool(np.all(np.any(dx * dx + dz * dz <= REACH_DISTANCE**2, axis=0)))

    @staticmethod
    def _clear_of(f, gx: np.ndarray, gz: np.ndarray) -> np.ndarray:
        """Grid points whose agent disc does not overlap footprint f (touching is allowed)."""
        dx = np.maximum(np.maximum(f[0] - gx, gx - f[2]), 0.0)
        dz = np.maximum(np.maximum(f[1] - gz, gz - f[3]), 0.0)
        return dx * dx + dz * dz >= AGENT_RADIUS**2 - 1e-9

    def _nav_grid(self):
        """(xs, zs, gx, gz) of the room's agent grid (None when the room is too small for the agent), computed once."""
        if self._grid is None:
            x0, z0, x1, z1 = self.inner
            xs = np.arange(np.ceil((x0 + AGENT_RADIUS) / GRID - 1e-6),
                           np.floor((x1 - AGENT_RADIUS) / GRID + 1e-6) + 1) * GRID
            zs = np.arange(np.ceil((z0 + AGENT_RADIUS) / GRID - 1e-6),
                           np.floor((z1 - AGENT_RADIUS) / GRID + 1e-6) + 1) * GRID
            self._grid = (None,) if len(xs) == 0 or len(zs) == 0 else (xs, zs, *np.meshgrid(xs, zs, indexing="ij"))
        return None if self._grid[0] is None else self._grid

    def _try_add(self, items: list[Placed]) -> bool:
        for it in items:
            if not self._fits(it.footprint):
                return False
            others = [o for o in items if o is not it]
            if any(_overlap(it.footprint, o.footprint, GAP) for o in others):
                return False
        if not self.nav_ok(items):
            return False
        self.placed.extend(items)
        return True

    def make(self, object_type: str, asset: Asset, x: float, z: float, yaw: float, y0: float = 0.0) -> Placed:
        return Placed(object_type, asset, np.array([x, y0 + asset.size[1] / 2, z]), yaw, self.palette(object_type),
                      self.room.index)

    def against_wall(self, object_type: str, side: str, asset: Asset, along: float | None = None) -> Placed | None:
        """An object with its back to wall `side`, at `along` (or random), facing into the room."""
        x0, z0, x1, z1 = self.inner
        sx, _, sz = asset.size
        yaw = SIDE_YAW[side]
        w, d = (sx, sz)
        if side in ("S", "N"):
            lo, hi = x0 + GAP + w / 2, x1 - GAP - w / 2
            if hi < lo:
                return None
            a = float(self.rng.uniform(lo, hi)) if along is None else along
            z = z0 + GAP + d / 2 if side == "S" else z1 - GAP - d / 2
            return self.make(object_type, asset, a, z, yaw)
        lo, hi = z0 + GAP + w / 2, z1 - GAP - w / 2
        if hi < lo:
            return None
        a = float(self.rng.uniform(lo, hi)) if along is None else along
        x = x0 + GAP + d / 2 if side == "W" else x1 - GAP - d / 2
        return self.make(object_type, asset, x, a, yaw)

    def sides_by_preference(self) -> list[str]:
        """Walls without doorways first, longer walls first, ties broken at random."""
        x0, z0, x1, z1 = self.inner
        length = {"S": x1 - x0, "N": x1 - x0, "W": z1 - z0, "E": z1 - z0}
        keys = {s: (len(self.wall_holes[s]) > 0, -length[s], self.rng.random()) for s in WALL_SIDES}
        return sorted(WALL_SIDES, key=lambda s: keys[s])

    def place_wall_object(self, object_type: str, tries: int = 12, sides=None) -> Placed | None:
        for _ in range(tries):
            asset = self.pick_asset(object_type)
            if asset is None:
                return None
            for side in sides or self.sides_by_preference():
                p = self.against_wall(object_type, side, asset)
                if p is not None and self._try_add([p]):
                    return p
        return None

    def place_middle(self, object_type: str, asset: Asset, margin: float) -> Placed | None:
        x0, z0, x1, z1 = self.inner
        yaw = float(self.rng.choice([0.0, 90.0]))
        p = self.make(object_type, asset, 0.0, 0.0, yaw)
        fp = p.footprint
        hw, hd = (fp[2] - fp[0]) / 2, (fp[3] - fp[1]) / 2
        lo_x, hi_x = x0 + margin + hw, x1 - margin - hw
        lo_z, hi_z = z0 + margin + hd, z1 - margin - hd
        if hi_x < lo_x or hi_z < lo_z:
            return None
        p.center[0] = float(self.rng.uniform(lo_x, hi_x))
        p.center[2] = float(self.rng.uniform(lo_z, hi_z))
        return p


def _component(free: np.ndarray, seeds: list[tuple[int, int]]) -> np.ndarray | None:
    """Mask of the free component holding every seed (None if the seeds are blocked or apart); without seeds, the
    largest component."""
    valid = [(i, j) for i, j in seeds if 0 <= i < free.shape[0] and 0 <= j < free.shape[1]]
    if len(valid) != len(seeds):
        return None
    return grid_component(free, valid)


# --- groups -------------------------------------------------------------------------------------------------------
def _facing_offset(yaw: float, forward: float, lateral: float = 0.0) -> np.ndarray:
    """World (dx, dz) of a point `forward` metres in front of and `lateral` to the right of an object with yaw."""
    t = np.radians(yaw)
    return np.array([forward * np.sin(t) + lateral * np.cos(t), forward * np.cos(t) - lateral * np.sin(t)])


def group_bed(f: RoomFurnisher) -> None:
    """A bed against a wall with a nightstand (side table) on either side when they fit."""
    bed = f.place_wall_object("Bed")
    if bed is None:
        return
    stand_asset = f.pick_asset("SideTable", max_size=(0.7, 0.75, 0.7))
    if stand_asset is None:
        return
    side = {0.0: "S", 180.0: "N", 90.0: "W", 270.0: "E"}[bed.yaw]
    half = bed.asset.size[0] / 2 + GAP * 2 + stand_asset.size[0] / 2
    for lateral in (-half, half):
        along = bed.center[0] + _facing_offset(bed.yaw, 0.0, lateral)[0] if side in ("S", "N") else \
            bed.center[2] + _facing_offset(bed.yaw, 0.0, lateral)[1]
        p = f.against_wall("SideTable", side, stand_asset, along=float(along))
        if p is not None:
            f._try_add([p])


def group_sofa_tv(f: RoomFurnisher) -> None:
    """A sofa against a wall; a TV stand with a television on the opposite wall facing it; a coffee table between."""
    sofa = f.place_wall_object("Sofa")
    if sofa is None:
        return
    side = {0.0: "S", 180.0: "N", 90.0: "W", 270.0: "E"}[sofa.yaw]
    opposite = {"S": "N", "N": "S", "W": "E", "E": "W"}[side]
    along = float(sofa.center[0] if side in ("S", "N") else sofa.center[2])
    stand = None
    for _ in range(6):
        asset = f.pick_asset("TVStand")
        if asset is None:
            break
        p = f.against_wall("TVStand", opposite, asset, along=along)
        if p is not None and f._try_add([p]):
            stand = p
            break
    if stand is not None:
        surf = f.catalog.type_info("TVStand").surfaces
        tv = f.pick_asset("Television", max_size=(stand.asset.size[0] * 0.95, 1.2, stand.asset.size[2]))
        if tv is not None and surf:
            y0 = stand.y_range[0] + surf[0].y * stand.asset.size[1]
            tv_p = Placed("Television", tv, np.array([stand.center[0], y0 + tv.size[1] / 2, stand.center[2]]),
                          stand.yaw, f.palette("Television"), f.room.index)
            stand.children.append(tv_p)
        # Coffee table centred between the sofa's front and the stand's front.
        table = f.pick_asset("CoffeeTable")
        if table is not None:
            mid = (sofa.center[[0, 2]] + stand.center[[0, 2]]) / 2
            yaw = sofa.yaw
            p = f.make("CoffeeTable", table, float(mid[0]), float(mid[1]), yaw)
            fp, sf, st = p.footprint, sofa.footprint, stand.footprint
            axis = 1 if side in ("S", "N") else 0
            gap_a = min(abs(fp[axis] - sf[axis + 2]), abs(sf[axis] - fp[axis + 2]))
            gap_b = min(abs(fp[axis] - st[axis + 2]), abs(st[axis] - fp[axis + 2]))
            if min(gap_a, gap_b) >= 0.45:
                f._try_add([p])


def group_dining(f: RoomFurnisher, min_area: float = 9.0) -> None:
    """A dining table in the open floor with chairs facing it along its long sides."""
    if f.room.area < min_area:
        return
    for _ in range(8):
        asset = f.pick_asset("DiningTable")
        chair = f.pick_asset("Chair")
        if asset is None or chair is None:
            return
        table = f.place_middle("DiningTable", asset, margin=0.9)
        if table is None:
            continue
        items = [table]
        palette = f.palette("Chair")
        n_per_side = max(1, min(3, int(asset.size[0] // (chair.size[0] + 0.15))))
        for side in (1, -1):  # chairs on both long sides, facing the table
            for k in range(n_per_side):
                lateral = (k - (n_per_side - 1) / 2) * (asset.size[0] / n_per_side)
                fwd = side * (asset.size[2] / 2 + GAP * 2 + chair.size[2] / 2)
                off = _facing_offset(table.yaw, fwd, lateral)
                yaw = (table.yaw + (180.0 if side > 0 else 0.0)) % 360.0
                c = Placed("Chair", chair, np.array([table.center[0] + off[0], chair.size[1] / 2,
                                                     table.center[2] + off[1]]), yaw, palette, f.room.index)
                items.append(c)
        if f._try_add(items):
            return


def group_desk(f: RoomFurnisher) -> None:
    """A desk against a wall with a chair in front of it, facing it."""
    desk = f.place_wall_object("Desk", tries=4)
    if desk is None:
        return
    chair = f.pick_asset("Chair")
    if chair is None:
        return
    off = _facing_offset(desk.yaw, desk.asset.size[2] / 2 + 2 * GAP + chair.size[2] / 2)
    p = Placed("Chair", chair, np.array([desk.center[0] + off[0], chair.size[1] / 2, desk.center[2] + off[1]]),
               (desk.yaw + 180.0) % 360.0, f.palette("Chair"), f.room.index)
    f._try_add([p])


def group_counters(f: RoomFurnisher) -> None:
    """Kitchen counters side by side along the preferred wall, a fridge at the end of the run."""
    side = f.sides_by_preference()[0]
    x0, z0, x1, z1 = f.inner
    lo, hi = (x0, x1) if side in ("S", "N") else (z0, z1)
    # The run starts at either end of the wall (the fridge is not always on the same side of the counters).
    sign = 1.0 if f.rng.random() < 0.5 else -1.0
    start, end = (lo, hi) if sign > 0 else (hi, lo)
    cur = start + sign * GAP
    fridge = f.pick_asset("Fridge")
    if fridge is not None:
        p = f.against_wall("Fridge", side, fridge, along=cur + sign * fridge.size[0] / 2)
        if p is not None and f._try_add([p]):
            cur += sign * (fridge.size[0] + GAP)
    asset = f.pick_asset("CounterTop")
    while asset is not None and sign * (end - sign * GAP - (cur + sign * asset.size[0])) >= 0:
        p = f.against_wall("CounterTop", side, asset, along=cur + sign * asset.size[0] / 2)
        if p is None or not f._try_add([p]):
            break
        cur += sign * (asset.size[0] + GAP)


ROOM_GROUPS = {
    "LivingRoom": [group_sofa_tv],
    "Kitchen": [group_counters, group_dining],
    "Bedroom": [group_bed],
    "Bathroom": [],
}
# Wall furniture every room of a type should have (after the groups), in order.
ROOM_CORE = {
    "LivingRoom": ["ArmChair", "ShelvingUnit"],
    "Kitchen": ["GarbageCan"],
    "Bedroom": ["Dresser"],
    "Bathroom": ["Toilet", "Sink"],
}
GROUP_TYPES = {"Bed", "SideTable", "Sofa", "TVStand", "Television", "CoffeeTable", "DiningTable", "Chair", "Desk",
               "CounterTop", "Fridge"}


def furnish_room(f: RoomFurnisher, density: float) -> None:
    """Groups, core pieces, then optional furniture drawn by ProcTHOR's room weights."""
    rt = f.room.room_type
    for g in ROOM_GROUPS[rt]:
        g(f)
    if rt == "Bedroom" and f.rng.random() < 0.5:
        group_desk(f)
    for t in ROOM_CORE[rt]:
        if t in f.catalog.types():
            f.place_wall_object(t, tries=4)
    # Optional pieces: floor types ProcTHOR puts in this room type, weighted by its annotation counts.
    infos = [f.catalog.type_info(t) for t in f.catalog.types()]
    opts = [i for i in infos if i.on_floor and not i.pickupable and i.rooms.get(rt, 0) > 0 and i.object_type not in GROUP_TYPES]
    if not opts:
        return
    w = np.array([i.rooms[rt] for i in opts], dtype=float)
    n = int(f.rng.poisson(density * max(1.0, f.room.area / 6.0)))
    present = {p.object_type for p in f.placed}
    for _ in range(n):
        info = opts[int(f.rng.choice(len(opts), p=w / w.sum()))]
        if info.object_type in present and not info.multiple_per_room:
            continue
        if f.place_wall_object(info.object_type, tries=2) is not None:
            present.add(info.object_type)


def add_paintings(f: RoomFurnisher, count: int) -> None:
    """Paintings on walls, clear of doorways, windows and furniture that would overlap them."""
    if "Painting" not in f.catalog.types() or f.room.room_type == "Bathroom":
        return
    x0, z0, x1, z1 = f.inner
    for _ in range(count):
        asset = f.pick_asset("Painting")
        if asset is None:
            return
        for side in f.sides_by_preference():
            p = f.against_wall("Painting", side, asset)
            if p is None:
                continue
            p.on_wall = True
            p.center[1] = PAINTING_CENTER_Y
            fp, (y0, y1) = p.footprint, p.y_range
            along = (fp[0], fp[2]) if side in ("S", "N") else (fp[1], fp[3])
            if any(along[0] < h1 + GAP and h0 - GAP < along[1] for h0, h1 in f.wall_holes[side]):
                continue
            clash = False
            for q in f.placed:
                qy0, qy1 = q.y_range
                top = max([qy1] + [c.y_range[1] for c in q.children])
                if _overlap(fp, q.footprint, GAP) and y0 < top + GAP and qy0 < y1:
                    clash = True
                    break
            if not clash:
                f.placed.append(p)
                break


def add_small_objects(f: RoomFurnisher, density: float) -> None:
    """Small objects on the support surfaces of receptacles, drawn from ProcTHOR's receptacle statistics."""
    if density <= 0:
        return
    for parent in list(f.placed):
        info: TypeInfo = f.catalog.type_info(parent.object_type)
        if not info.receptacle or not info.surfaces:
            continue
        contents = f.catalog.receptacle_contents(parent.object_type)
        if not contents:
            continue
        types = sorted(contents)
        w = np.array([contents[t] for t in types], dtype=float)
        sx, sy, sz = parent.asset.size
        for surf in info.surfaces:
            area = (surf.x1 - surf.x0) * sx * (surf.z1 - surf.z0) * sz
            n = int(f.rng.poisson(density * min(4.0, 0.6 + area * 3.0)))
            y0 = parent.y_range[0] + surf.y * sy
            clearance = surf.clearance * sy
            for _ in range(n):
                t = types[int(f.rng.choice(len(types), p=w / w.sum()))]
                asset = f.pick_asset(t)
                if asset is None or asset.size[1] > clearance - 0.01:
                    continue
                yaw = (parent.yaw + float(f.rng.choice([0.0, 90.0, 180.0, 270.0])) + float(f.rng.uniform(-20, 20))) % 360.0
                probe = Placed(t, asset, np.array([0.0, y0 + asset.size[1] / 2, 0.0]), yaw, f.palette(t), f.room.index)
                pf = probe.footprint
                hx, hz = (pf[2] - pf[0]) / 2, (pf[3] - pf[1]) / 2
                # Surface rectangle in world (parent yaw is a multiple of 90, so it stays axis-aligned).
                corners = np.array([[surf.x0 * sx, surf.z0 * sz], [surf.x1 * sx, surf.z1 * sz]])
                t_ = np.radians(parent.yaw)
                c, s = np.cos(t_), np.sin(t_)
                wx = corners[:, 0] * c + corners[:, 1] * s + parent.center[0]
                wz = -corners[:, 0] * s + corners[:, 1] * c + parent.center[2]
                lo_x, hi_x = wx.min() + hx + CHILD_GAP, wx.max() - hx - CHILD_GAP
                lo_z, hi_z = wz.min() + hz + CHILD_GAP, wz.max() - hz - CHILD_GAP
                if hi_x < lo_x or hi_z < lo_z:
                    continue
                probe.center[0] = float(f.rng.uniform(lo_x, hi_x))
                probe.center[2] = float(f.rng.uniform(lo_z, hi_z))
                same = [ch for ch in parent.children if abs(ch.y_range[0] - y0) < 1e-6]
                if any(_overlap(probe.footprint, ch.footprint, CHILD_GAP) for ch in same):
                    continue
                parent.children.append(probe)

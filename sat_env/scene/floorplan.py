"""Floor plans: a rectangle of the apartment cut into rectangular rooms (a guillotine partition), and doorways.

All room boundaries lie on a 0.25 m grid, the same grid as the navigation grid, so wall centre lines and doorway
centres fall on grid points and every doorway has grid points the agent can stand on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sat_env.errors import GenerationError
from sat_env.scene.config import HouseConfig

GRID = 0.25
# Smallest side of a room: a bathroom needs a toilet and a sink side by side with room to stand (1.75 m); other
# rooms need a bed or a sofa plus a walkway (2.5 m).
MIN_SIDE = {"Bathroom": 1.75, "Kitchen": 2.5, "LivingRoom": 3.0, "Bedroom": 2.75}
MAX_ASPECT = 2.6  # rooms longer than this relative to their width read as corridors, not rooms
# Doorways keep this much wall between their edge and the end of the shared wall (room corners), plus half a wall.
DOOR_END_MARGIN = 0.25


@dataclass
class Room:
    """A rectangular room: [x0, x1] x [z0, z1] in metres (wall centre lines)."""

    index: int
    room_type: str
    x0: float
    z0: float
    x1: float
    z1: float

    @property
    def id(self) -> str:
        return f"room|{self.index}"

    @property
    def area(self) -> float:
        return (self.x1 - self.x0) * (self.z1 - self.z0)

    def polygon(self) -> list[tuple[float, float]]:
        """Corners in ProcTHOR's order (counter-clockwise seen from above in x-z with z up the page)."""
        return [(self.x0, self.z0), (self.x0, self.z1), (self.x1, self.z1), (self.x1, self.z0)]


@dataclass
class Doorway:
    """A doorway in the wall shared by rooms a and b, centred at `center` along the wall line."""

    room_a: int
    room_b: int
    horizontal: bool  # True: the wall runs along x (constant z = line); False: along z (constant x = line)
    line: float
    center: float
    width: float
    height: float


def choose_room_types(config: HouseConfig, rng: np.random.Generator) -> list[str]:
    """Room types of a house: the config's list, or a ProcTHOR-like mix for a random count of rooms."""
    if config.room_types is not None:
        return list(config.room_types)
    n = int(rng.integers(config.min_rooms, config.max_rooms + 1))
    if n == 1:
        return [str(rng.choice(["Kitchen", "LivingRoom", "Bedroom", "Bathroom"]))]
    if n == 2:
        pairs = [["Kitchen", "LivingRoom"], ["Bedroom", "Bathroom"], ["LivingRoom", "Bedroom"]]
        return list(pairs[int(rng.integers(len(pairs)))])
    rest = ["Bedroom", "Bathroom", "Bedroom", "Bedroom", "Bathroom", "Bedroom"][: n - 2]
    return ["LivingRoom", "Kitchen", *rest]


def _snap(v: float) -> float:
    return round(v / GRID) * GRID


def _split(rect, rooms, rng, out) -> bool:
    """Recursively cut rect = (x0, z0, x1, z1) among rooms [(type, area)]; append (type, rect) to out.

    Tries the group splits closest to half the area and both cut directions (longer side first), backtracking on
    failure; the search is tiny for <= 8 rooms.
    """
    x0, z0, x1, z1 = rect
    w, d = x1 - x0, z1 - z0
    if len(rooms) == 1:
        t = rooms[0][0]
        if min(w, d) < MIN_SIDE[t] - 1e-9 or max(w, d) / min(w, d) > MAX_ASPECT:
            return False
        out.append((t, rect))
        return True
    total = sum(a for _, a in rooms)
    acc = np.cumsum([a for _, a in rooms])[:-1]
    ks = sorted(range(1, len(rooms)), key=lambda k: abs(acc[k - 1] - total / 2))[:2]
    dirs = [w >= d, w < d] if abs(w - d) > 0.5 else ([True, False] if rng.integers(2) else [False, True])
    for k in ks:
        left, right = rooms[:k], rooms[k:]
        frac = sum(a for _, a in left) / total
        for cut_x in dirs:
            mark = len(out)
            if cut_x:
                c = _snap(x0 + frac * w)
                ok = x0 < c < x1 and _split((x0, z0, c, z1), left, rng, out) and _split((c, z0, x1, z1), right, rng, out)
            else:
                c = _snap(z0 + frac * d)
                ok = z0 < c < z1 and _split((x0, z0, x1, c), left, rng, out) and _split((x0, c, x1, z1), right, rng, out)
            if ok:
                return True
            del out[mark:]
    return False


def make_rooms(types: list[str], config: HouseConfig, rng: np.random.Generator) -> list[Room]:
    """Cut an apartment rectangle into rooms of the given types with sizes drawn from config.room_areas."""
    for _ in range(config.max_attempts * 10):
        areas = [float(rng.uniform(*config.room_areas[t])) for t in types]
        order = rng.permutation(len(types))
        rooms = [(types[i], areas[i]) for i in order]
        total = sum(areas)
        aspect = float(rng.uniform(1.0, 1.6))
        w = max(_snap(np.sqrt(total * aspect)), 1.75)
        d = max(_snap(total / w), 1.75)
        if rng.integers(2):
            w, d = d, w
        out: list = []
        if _split((0.0, 0.0, w, d), rooms, rng, out):
            return [Room(i, t, *r) for i, (t, r) in enumerate(out)]
    raise GenerationError(
        f"could not lay out rooms {types} within {config.max_attempts} attempts; widen room_areas or raise max_attempts"
    )


def shared_walls(rooms: list[Room]) -> list[tuple[int, int, bool, float, float, float]]:
    """Pairs of rooms sharing a wall: (a, b, horizontal, line, lo, hi) with [lo, hi] the shared extent."""
    out = []
    for i, a in enumerate(rooms):
        for b in rooms[i + 1 :]:
            for line_a, line_b, horiz in ((a.z1, b.z0, True), (a.z0, b.z1, True), (a.x1, b.x0, False), (a.x0, b.x1, False)):
                if abs(line_a - line_b) > 1e-9:
                    continue
                lo = max(a.x0, b.x0) if horiz else max(a.z0, b.z0)
                hi = min(a.x1, b.x1) if horiz else min(a.z1, b.z1)
                if hi - lo > 1e-9:
                    out.append((a.index, b.index, horiz, line_a, lo, hi))
    return out


# Which room types may be joined by a doorway, in order of preference. Bathrooms open onto bedrooms or the living
# room, never onto the kitchen; the living room is the hub.
_PREF = {
    frozenset(["LivingRoom", "Kitchen"]): 0,
    frozenset(["LivingRoom", "Bedroom"]): 1,
    frozenset(["LivingRoom", "Bathroom"]): 2,
    frozenset(["Bedroom", "Bathroom"]): 2,
    frozenset(["LivingRoom"]): 1,
    frozenset(["Kitchen", "Bedroom"]): 4,
    frozenset(["Bedroom"]): 4,
    frozenset(["Kitchen"]): 3,
    frozenset(["Bathroom"]): 6,
    frozenset(["Kitchen", "Bathroom"]): 7,
}


def make_doors(rooms: list[Room], config: HouseConfig, rng: np.random.Generator) -> list[Doorway]:
    """Doorways forming a spanning tree of the room adjacency graph (every room reachable), preferring sensible
    connections; raises GenerationError if some room cannot be connected."""
    if len(rooms) == 1:
        return []
    half_t = config.wall_thickness / 2
    need = config.door_width + 2 * (DOOR_END_MARGIN + half_t)
    cands = [s for s in shared_walls(rooms) if s[5] - s[4] >= need - 1e-9]
    cands.sort(key=lambda s: (_PREF[frozenset([rooms[s[0]].room_type, rooms[s[1]].room_type])], rng.random()))
    # Kruskal with preference order: a spanning tree of preferred connections.
    parent = list(range(len(rooms)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    doors = []
    for a, b, horiz, line, lo, hi in cands:
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        # Doorway centre on the 0.25 m grid, with DOOR_END_MARGIN of wall at both ends.
        c_lo = lo + half_t + DOOR_END_MARGIN + config.door_width / 2
        c_hi = hi - half_t - DOOR_END_MARGIN - config.door_width / 2
        grid = np.arange(np.ceil(c_lo / GRID - 1e-9), np.floor(c_hi / GRID + 1e-9) + 1) * GRID
        if len(grid) == 0:
            continue
        parent[ra] = rb
        center = float(grid[int(rng.integers(len(grid)))])
        doors.append(Doorway(a, b, horiz, line, center, config.door_width, config.door_height))
    roots = {find(i) for i in range(len(rooms))}
    if len(roots) != 1:
        raise GenerationError("floor plan has rooms that cannot be joined by a doorway")
    return doors

"""Walls, floors, ceilings, doorways and windows of a house dict, as solids.

Works from the house JSON alone (rooms' floor polygons, walls, doors, windows), so a loaded house renders exactly
like a generated one. Walls have thickness: every wall line is cut at every junction into pieces; each piece is two
half-thickness slabs (one per side, painted like the room on that side) and every junction gets a post made of four
quadrant columns, each painted like the room it faces. Pieces stop at the posts, so no two solids overlap and no two
faces facing the same way share a plane (the source of z-fighting).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from sat_env.scene.geometry import BOX, CYLINDER, MATERIALS, Solids

EPS = 1e-6
FLOOR_THICKNESS = 0.02
CEILING_THICKNESS = 0.02
FRAME = 0.04  # doorway trim: jamb width and how far it stands proud of the wall faces (half of it each side)
WINDOW_GAP = 0.005  # windows hang this far in front of the wall face (never coplanar with it)
# Walls without a "thickness" (ProcTHOR houses) are planes in AI2-THOR, with furniture flush against them and
# paintings 5 mm in front. They are drawn this thick, so that each side has its own face and a painting stays in
# front of it, but collide as planes (zero-width obstacles), so that flush furniture does not count as inside them.
PLANE_WALL_THICKNESS = 0.008
EXTERIOR_COLOR = (0.85, 0.85, 0.83)
TRIM_COLOR = (0.93, 0.92, 0.89)
GLASS_COLOR = (0.70, 0.82, 0.92)


class InstanceTable:
    """Instance ids (1, 2, ...) handed out to object ids; 0 is the background."""

    def __init__(self) -> None:
        self.object_ids: list[str] = []
        self.object_types: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, object_id: str, object_type: str) -> int:
        if object_id in self._index:
            return self._index[object_id]
        self.object_ids.append(object_id)
        self.object_types.append(object_type)
        self._index[object_id] = len(self.object_ids)
        return self._index[object_id]

    def id_of(self, object_id: str) -> int:
        return self._index[object_id]

    def __len__(self) -> int:
        return len(self.object_ids)


def xz(points) -> np.ndarray:
    return np.array([[p["x"], p["z"]] for p in points], dtype=np.float64)


def point_in_polygon(px: float, pz: float, poly) -> bool:
    """Even-odd rule point-in-polygon test in the x-z plane (poly: (k, 2) array or list of (x, z) pairs; a list of
    Python floats is several times faster than an array, see RoomShape.contains)."""
    if isinstance(poly, np.ndarray):
        poly = poly.tolist()
    inside = False
    n = len(poly)
    for i in range(n):
        x1, z1 = poly[i]
        x2, z2 = poly[i + 1 - n]
        if (z1 > pz) != (z2 > pz):
            xi = x1 + (pz - z1) * (x2 - x1) / (z2 - z1)
            if px < xi:
                inside = not inside
    return inside


@dataclass
class RoomShape:
    index: int
    room_id: str
    room_type: str
    polygon: np.ndarray  # (k, 2) x-z
    color: tuple[float, float, float]
    floor_color: tuple[float, float, float]
    floor_material: int

    def contains(self, x: float, z: float) -> bool:
        return point_in_polygon(float(x), float(z), self._points)

    @functools.cached_property
    def _points(self) -> list:
        return self.polygon.tolist()


def _color(d, default) -> tuple[float, float, float]:
    if isinstance(d, dict) and all(k in d for k in "rgb"):
        return (float(d["r"]), float(d["g"]), float(d["b"]))
    return default


def material_code(name: str | None, default: str) -> int:
    """Map a material name to a shader material: our own names directly, ProcTHOR names by keyword."""
    if not name:
        return MATERIALS[default]
    n = name.lower()
    if n in MATERIALS:
        return MATERIALS[n]
    for key, code in (("wood", "wood"), ("tile", "tile"), ("marble", "tile"), ("carpet", "carpet"), ("rug", "carpet"),
                      ("fabric", "fabric"), ("metal", "metal"), ("paint", "paint"), ("plaster", "paint")):
        if key in n:
            return MATERIALS[code]
    return MATERIALS[default]


def room_shapes(house: dict) -> list[RoomShape]:
    out = []
    for i, r in enumerate(house["rooms"]):
        fm = r.get("floorMaterial") or {}
        default_floor = "tile" if r["roomType"] in ("Kitchen", "Bathroom") else "wood"
        wall_color = _color((r.get("satEnv") or {}).get("wallColor"), (0.9, 0.89, 0.86))
        out.append(
            RoomShape(
                index=i,
                room_id=r["id"],
                room_type=r["roomType"],
                polygon=xz(r["floorPolygon"]),
                color=wall_color,
                floor_color=_color(fm.get("color"), (0.6, 0.45, 0.3)),
                floor_material=material_code(fm.get("name"), default_floor),
            )
        )
    return out


def room_at(rooms: list[RoomShape], x: float, z: float) -> RoomShape | None:
    for r in rooms:
        if r.contains(x, z):
            return r
    return None


def wall_segment(wall: dict) -> tuple[np.ndarray, np.ndarray]:
    """Bottom edge (start, end) of a wall polygon, in x-z."""
    pts = [p for p in wall["polygon"] if abs(p["y"]) < EPS] or wall["polygon"][:2]
    a, b = xz(pts[:2])
    return a, b


def wall_thickness(house: dict) -> float | None:
    """The walls' thickness in metres (the largest given), or None when no wall gives one (planes, as in
    AI2-THOR: see PLANE_WALL_THICKNESS)."""
    given = [float(w["thickness"]) for w in house.get("walls", []) if w.get("thickness")]
    return max(given) if given else None


def wall_height(house: dict) -> float:
    ys = [p["y"] for w in house.get("walls", []) for p in w["polygon"]]
    return float(max(ys)) if ys else 2.5


class _Builder:
    """Accumulates box solids as plain lists, converted to Solids once."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def box(self, lo, hi, color, material, instance, room, kind=BOX, taper=1.0) -> None:
        lo, hi = np.asarray(lo, float), np.asarray(hi, float)
        if np.any(hi - lo <= EPS):
            return
        self.rows.append((kind, (lo + hi) / 2, hi - lo, color, material, instance, room, taper))

    def solids(self) -> Solids:
        if not self.rows:
            return Solids.empty()
        n = len(self.rows)
        return Solids(
            kind=[r[0] for r in self.rows],
            center=[r[1] for r in self.rows],
            size=[r[2] for r in self.rows],
            yaw=np.zeros(n),
            axis=np.zeros(n),
            taper=[r[7] for r in self.rows],
            color=[r[3] for r in self.rows],
            material=[r[4] for r in self.rows],
            instance=[r[5] for r in self.rows],
            room=[r[6] for r in self.rows],
        )


def _rectangles(poly: np.ndarray) -> list[tuple[float, float, float, float]]:
    """Decompose a rectilinear polygon into rectangles (x0, z0, x1, z1), merged along x."""
    xs, zs = np.unique(poly[:, 0]), np.unique(poly[:, 1])
    out = []
    for j in range(len(zs) - 1):
        run = None
        for i in range(len(xs) - 1):
            inside = point_in_polygon((xs[i] + xs[i + 1]) / 2, (zs[j] + zs[j + 1]) / 2, poly)
            if inside and run is None:
                run = xs[i]
            if not inside and run is not None:
                out.append((run, zs[j], xs[i], zs[j + 1]))
                run = None
        if run is not None:
            out.append((run, zs[j], xs[-1], zs[j + 1]))
    return out


@dataclass
class WallPiece:
    horizontal: bool  # along x (constant z)
    line: float
    lo: float
    hi: float
    sides: dict  # +1 / -1 -> (RoomShape | None, wall id | None)


def wall_pieces(house: dict, rooms: list[RoomShape]) -> tuple[list[WallPiece], set[tuple[float, float]]]:
    """Cut all wall lines at all junctions into elementary pieces, with the room and wall id on each side."""
    lines: dict[tuple[bool, float], list[tuple[float, float, str, str]]] = defaultdict(list)
    for w in house.get("walls", []):
        a, b = wall_segment(w)
        if abs(a[1] - b[1]) < EPS:  # along x
            lines[(True, round(a[1], 6))].append((min(a[0], b[0]), max(a[0], b[0]), w["id"], w.get("roomId")))
        elif abs(a[0] - b[0]) < EPS:
            lines[(False, round(a[0], 6))].append((min(a[1], b[1]), max(a[1], b[1]), w["id"], w.get("roomId")))
        # Non-axis-aligned walls do not occur in ProcTHOR houses; they are skipped rather than drawn wrongly.
    endpoints: set[tuple[float, float]] = set()
    for (horiz, line), ivs in lines.items():
        for lo, hi, _, _ in ivs:
            for v in (lo, hi):
                endpoints.add((round(v, 6), line) if horiz else (line, round(v, 6)))
    pieces: list[WallPiece] = []
    junctions: set[tuple[float, float]] = set()
    for (horiz, line), ivs in lines.items():
        cuts = {round(v, 6) for lo, hi, _, _ in ivs for v in (lo, hi)}
        for ex, ez in endpoints:  # perpendicular walls touching this line
            if horiz and abs(ez - line) < EPS:
                cuts.add(ex)
            if not horiz and abs(ex - line) < EPS:
                cuts.add(ez)
        cuts = sorted(cuts)
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            mid = (lo + hi) / 2
            covering = [iv for iv in ivs if iv[0] - EPS <= lo and hi <= iv[1] + EPS]
            if not covering:
                continue
            sides = {}
            for s in (1, -1):
                px, pz = (mid, line + s * 1e-3) if horiz else (line + s * 1e-3, mid)
                room = room_at(rooms, px, pz)
                wid = None
                if room is not None:
                    wid = next((iv[2] for iv in covering if iv[3] == room.room_id), covering[0][2])
                sides[s] = (room, wid)
            if sides[1][0] is None and sides[-1][0] is None:
                continue
            if sides[1][1] is None:
                sides[1] = (None, sides[-1][1])
            if sides[-1][1] is None:
                sides[-1] = (None, sides[1][1])
            pieces.append(WallPiece(horiz, line, lo, hi, sides))
            junctions.add((lo, line) if horiz else (line, lo))
            junctions.add((hi, line) if horiz else (line, hi))
    return pieces, junctions


def openings(house: dict) -> dict[str, list[tuple[float, float, float, float, str, str]]]:
    """Holes per wall id: (along_lo, along_hi, y_lo, y_hi, kind, id) in world coordinate along the wall line."""
    walls = {w["id"]: w for w in house.get("walls", [])}
    out: dict[str, list] = defaultdict(list)
    for kind, items in (("door", house.get("doors", [])), ("window", house.get("windows", []))):
        for d in items:
            w = walls.get(d.get("wall0"))
            if w is None:
                continue
            a, b = wall_segment(w)
            horiz = abs(a[1] - b[1]) < EPS
            sign = np.sign((b - a)[0 if horiz else 1]) or 1.0
            start = a[0] if horiz else a[1]
            h0, h1 = d["holePolygon"][0], d["holePolygon"][1]
            u0, u1 = start + sign * h0["x"], start + sign * h1["x"]
            hole = (min(u0, u1), max(u0, u1), float(h0["y"]), float(h1["y"]), kind, d["id"])
            for wid in {d.get("wall0"), d.get("wall1")} - {None}:
                out[wid].append(hole)
    return out


def build_structure(house: dict, table: InstanceTable) -> tuple[Solids, list[RoomShape], np.ndarray]:
    """Solids of walls, floors, ceilings, doorway trims and windows; the rooms; and footprint obstacles.

    Returns:
        (solids, rooms, obstacles) where obstacles is (K, 5) [x0, z0, x1, z1, instance] of wall and trim footprints
        that the agent cannot cross.
    """
    rooms = room_shapes(house)
    height = wall_height(house)
    t = wall_thickness(house)
    oh = t / 2 if t is not None else 0.0  # half-width of wall obstacles: 0 for planes
    t = t if t is not None else PLANE_WALL_THICKNESS
    ht, qt = t / 2, t / 4
    bld = _Builder()
    obstacles: list[tuple[float, float, float, float, int]] = []
    paint, wood = MATERIALS["paint"], MATERIALS["wood"]

    # Floors and ceilings, with a round ceiling light fixture (emissive disc) at each room's light.
    lights = (house.get("proceduralParameters") or {}).get("lights", [])
    for r in rooms:
        fid = table.add(f"floor|{r.index}", "Floor")
        cid = table.add(f"ceiling|{r.index}", "Ceiling")
        for x0, z0, x1, z1 in _rectangles(r.polygon):
            bld.box((x0, -FLOOR_THICKNESS, z0), (x1, 0.0, z1), r.floor_color, r.floor_material, fid, r.index)
            bld.box((x0, height, z0), (x1, height + CEILING_THICKNESS, z1), (0.96, 0.96, 0.95), paint, cid, r.index)
    for lt in lights:
        p = lt.get("position", {})
        room = room_at(rooms, p.get("x", 0.0), p.get("z", 0.0))
        if room is None:
            continue
        c = np.array([p["x"], height - 0.02, p["z"]])
        bld.box(c - (0.2, 0.02, 0.2), c + (0.2, 0.02, 0.2), (1.0, 0.97, 0.88), MATERIALS["emissive"],
                table.id_of(f"ceiling|{room.index}"), room.index, kind=CYLINDER)

    holes = openings(house)
    pieces, junctions = wall_pieces(house, rooms)
    for pc in pieces:
        a, b = pc.lo + ht, pc.hi - ht
        piece_holes = []
        for s in (1, -1):
            wid = pc.sides[s][1]
            for hole in holes.get(wid, []):
                if hole[0] < pc.hi and hole[1] > pc.lo and hole not in piece_holes:
                    piece_holes.append(hole)
        doors = sorted(h for h in piece_holes if h[4] == "door")
        # Solid spans along the wall: full height outside door holes, lintels above doors.
        spans, cur = [], a
        for d0, d1, _, dy1, _, _ in doors:
            spans.append((cur, max(cur, d0), 0.0, height))
            spans.append((d0, d1, dy1, height))
            cur = d1
        spans.append((cur, b, 0.0, height))
        for s in (1, -1):
            room, wid = pc.sides[s]
            inst = table.add(wid, "Wall")
            color = room.color if room else EXTERIOR_COLOR
            ri = room.index if room else -1
            for u0, u1, y0, y1 in spans:
                if pc.horizontal:
                    z0, z1 = (pc.line, pc.line + ht) if s > 0 else (pc.line - ht, pc.line)
                    bld.box((u0, y0, z0), (u1, y1, z1), color, paint, inst, ri)
                else:
                    x0, x1 = (pc.line, pc.line + ht) if s > 0 else (pc.line - ht, pc.line)
                    bld.box((x0, y0, u0), (x1, y1, u1), color, paint, inst, ri)
        for u0, u1, y0, y1 in spans:
            if y0 == 0.0 and u1 - u0 > EPS:
                obstacles.append((u0, pc.line - oh, u1, pc.line + oh, table.id_of(pc.sides[1][1]))
                                 if pc.horizontal else (pc.line - oh, u0, pc.line + oh, u1, table.id_of(pc.sides[1][1])))
        # Doorway trims: two jambs and a head lining the hole, standing FRAME/2 proud of both wall faces.
        for d0, d1, _, dy1, _, did in doors:
            inst = table.add(did, "Doorway")
            depth = (pc.line - ht - FRAME / 2, pc.line + ht + FRAME / 2)
            for u0, u1, y0, y1 in ((d0, d0 + FRAME, 0.0, dy1), (d1 - FRAME, d1, 0.0, dy1), (d0 + FRAME, d1 - FRAME, dy1 - FRAME, dy1)):
                lo = (u0, y0, depth[0]) if pc.horizontal else (depth[0], y0, u0)
                hi = (u1, y1, depth[1]) if pc.horizontal else (depth[1], y1, u1)
                bld.box(lo, hi, TRIM_COLOR, wood, inst, -1)
                if y0 == 0.0:
                    obstacles.append((lo[0], lo[2], hi[0], hi[2], inst))
        # Windows hang in front of the room-side face: a white frame and a bright pane.
        for w0, w1, wy0, wy1, kind, wid_ in piece_holes:
            if kind != "window":
                continue
            inst = table.add(wid_, "Window")
            for s in (1, -1):
                room = pc.sides[s][0]
                if room is None:
                    continue
                face = pc.line + s * ht
                for (m, d0_, d1_, col, mat) in ((0.0, WINDOW_GAP - 0.001, 0.04, TRIM_COLOR, paint),
                                                (0.05, WINDOW_GAP, 0.055, GLASS_COLOR, MATERIALS["emissive"])):
                    n0, n1 = sorted((face + s * d0_, face + s * d1_))
                    lo = (w0 + m, wy0 + m, n0) if pc.horizontal else (n0, wy0 + m, w0 + m)
                    hi = (w1 - m, wy1 - m, n1) if pc.horizontal else (n1, wy1 - m, w1 - m)
                    bld.box(lo, hi, col, mat, inst, room.index)
    # Posts: four quadrant columns at every junction, each painted for the room it belongs to.
    wall_of_room: dict[tuple[int, tuple[float, float]], str] = {}
    for pc in pieces:
        for s in (1, -1):
            room, wid = pc.sides[s]
            if room is None:
                continue
            for u in (pc.lo, pc.hi):
                key = (room.index, (u, pc.line) if pc.horizontal else (pc.line, u))
                wall_of_room.setdefault(key, wid)
    any_wall = pieces[0].sides[1][1] if pieces else None
    for jx, jz in sorted(junctions):
        for sx in (1, -1):
            for sz in (1, -1):
                room = room_at(rooms, jx + sx * 1e-3, jz + sz * 1e-3)
                if room is not None:
                    wid = wall_of_room.get((room.index, (jx, jz)), any_wall)
                    color, ri = room.color, room.index
                else:
                    wid, color, ri = any_wall, EXTERIOR_COLOR, -1
                inst = table.add(wid, "Wall")
                cx, cz = jx + sx * qt, jz + sz * qt
                bld.box((cx - qt, 0.0, cz - qt), (cx + qt, height, cz + qt), color, paint, inst, ri)
        obstacles.append((jx - oh, jz - oh, jx + oh, jz + oh, table.id_of(any_wall) if any_wall else 0))
    obs = np.array(obstacles, dtype=np.float64).reshape(-1, 5)
    return bld.solids(), rooms, obs

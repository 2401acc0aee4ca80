"""`generate_house(seed, config)`: a procedural apartment in the ProcTHOR house-JSON schema.

A pipeline of small stages, each with its own RNG stream from one SeedSequence (so changing how many numbers one
stage draws never changes another stage): room types -> floor plan -> doorways -> walls and windows -> furniture
groups -> optional furniture and paintings -> small objects -> agent start -> validation.
"""

from __future__ import annotations

import numpy as np

from sat_env.errors import GenerationError
from sat_env.scene.catalog import load_catalog
from sat_env.scene.config import HouseConfig
from sat_env.scene.floorplan import Doorway, Room, choose_room_types, make_doors, make_rooms
from sat_env.scene.furnish import (
    Placed,
    RoomFurnisher,
    add_paintings,
    add_small_objects,
    furnish_room,
)
from sat_env.scene.navgrid import REACH_DISTANCE, rect_distance

SCHEMA = "1.0.0"
AGENT_Y = 0.95  # ProcTHOR writes the agent's (centre) height as 0.95 m
START_HORIZON = 30.0  # ProcTHOR's start pose looks 30 degrees down

WALL_PAINTS = [  # tidy apartment wall colours (sRGB)
    (0.93, 0.92, 0.89), (0.90, 0.89, 0.86), (0.86, 0.88, 0.88), (0.88, 0.86, 0.80), (0.82, 0.86, 0.82),
    (0.85, 0.87, 0.92), (0.93, 0.88, 0.84), (0.80, 0.80, 0.80),
]
WOOD_FLOORS = [(0.58, 0.42, 0.28), (0.70, 0.55, 0.38), (0.45, 0.32, 0.22), (0.76, 0.64, 0.48)]
TILE_FLOORS = [(0.85, 0.85, 0.83), (0.70, 0.70, 0.70), (0.80, 0.76, 0.68), (0.60, 0.64, 0.66)]
CARPETS = [(0.55, 0.56, 0.60), (0.72, 0.66, 0.58), (0.50, 0.45, 0.52)]


def _rgb(c) -> dict:
    return {"r": round(float(c[0]), 4), "g": round(float(c[1]), 4), "b": round(float(c[2]), 4)}


def _p(x, y, z) -> dict:
    return {"x": round(float(x), 6), "y": round(float(y), 6), "z": round(float(z), 6)}


def _room_edges(room: Room, rooms: list[Room]) -> list[tuple[float, float, float, float]]:
    """Edges of a room polygon, cut at other rooms' corners that lie on them: (x0, z0, x1, z1) each."""
    poly = room.polygon()
    corners = {(round(x, 6), round(z, 6)) for r in rooms for x, z in r.polygon()}
    out = []
    for (ax, az), (bx, bz) in zip(poly, poly[1:] + poly[:1]):
        if abs(az - bz) < 1e-9:
            cuts = sorted({ax, bx} | {x for x, z in corners if abs(z - az) < 1e-9 and min(ax, bx) < x < max(ax, bx)})
            if ax > bx:
                cuts = cuts[::-1]
            out += [(u, az, v, az) for u, v in zip(cuts[:-1], cuts[1:])]
        else:
            cuts = sorted({az, bz} | {z for x, z in corners if abs(x - ax) < 1e-9 and min(az, bz) < z < max(az, bz)})
            if az > bz:
                cuts = cuts[::-1]
            out += [(ax, u, ax, v) for u, v in zip(cuts[:-1], cuts[1:])]
    return out


def _wall_id(room: Room, e) -> str:
    return f"wall|{room.index}|{e[0]:.2f}|{e[1]:.2f}|{e[2]:.2f}|{e[3]:.2f}"


def _walls(rooms: list[Room], height: float, thickness: float, paints: list) -> list[dict]:
    walls = []
    for r in rooms:
        for e in _room_edges(r, rooms):
            walls.append({
                "id": _wall_id(r, e),
                "roomId": r.id,
                "polygon": [_p(e[0], 0, e[1]), _p(e[2], 0, e[3]), _p(e[2], height, e[3]), _p(e[0], height, e[1])],
                "material": {"name": "paint", "color": _rgb(paints[r.index])},
                "thickness": thickness,
            })
    return walls


def _wall_on(walls: list[dict], room: Room, horizontal: bool, line: float, u: float) -> dict:
    for w in walls:
        if w["roomId"] != room.id:
            continue
        a, b = w["polygon"][0], w["polygon"][1]
        if horizontal and abs(a["z"] - line) < 1e-6 and abs(b["z"] - line) < 1e-6 and min(a["x"], b["x"]) <= u <= max(a["x"], b["x"]):
            return w
        if not horizontal and abs(a["x"] - line) < 1e-6 and abs(b["x"] - line) < 1e-6 and min(a["z"], b["z"]) <= u <= max(a["z"], b["z"]):
            return w
    raise GenerationError(f"internal: no wall of {room.id} at line {line} covering {u}")


def _hole(wall: dict, u0: float, u1: float, y0: float, y1: float) -> list[dict]:
    """holePolygon in the wall's own frame: x along the wall from its first point, y up."""
    a, b = wall["polygon"][0], wall["polygon"][1]
    horiz = abs(a["z"] - b["z"]) < 1e-9
    start = a["x"] if horiz else a["z"]
    sign = np.sign((b["x"] - a["x"]) if horiz else (b["z"] - a["z"])) or 1.0
    h0, h1 = sign * (u0 - start), sign * (u1 - start)
    return [_p(min(h0, h1), y0, 0), _p(max(h0, h1), y1, 0)]


def _door_dict(d: Doorway, rooms: list[Room], walls: list[dict]) -> dict:
    ra, rb = rooms[d.room_a], rooms[d.room_b]
    w0 = _wall_on(walls, ra, d.horizontal, d.line, d.center)
    w1 = _wall_on(walls, rb, d.horizontal, d.line, d.center)
    u0, u1 = d.center - d.width / 2, d.center + d.width / 2
    return {
        "id": f"door|{d.room_a}|{d.room_b}",
        "assetId": "Doorway_2",
        "room0": ra.id,
        "room1": rb.id,
        "wall0": w0["id"],
        "wall1": w1["id"],
        "holePolygon": _hole(w0, u0, u1, 0.0, d.height),
        "assetPosition": _p(abs(d.center - (w0["polygon"][0]["x"] if d.horizontal else w0["polygon"][0]["z"])), d.height / 2, 0),
        "openable": False,
        "openness": 0,
    }


def _windows(rooms: list[Room], walls: list[dict], doors: list[dict], rng: np.random.Generator) -> list[dict]:
    """One window on an exterior wall of each room that has one long enough (not bathrooms: privacy)."""
    xs0 = min(r.x0 for r in rooms); xs1 = max(r.x1 for r in rooms)
    zs0 = min(r.z0 for r in rooms); zs1 = max(r.z1 for r in rooms)
    out = []
    for r in rooms:
        if r.room_type == "Bathroom":
            continue
        cands = []
        for w in walls:
            if w["roomId"] != r.id:
                continue
            a, b = w["polygon"][0], w["polygon"][1]
            horiz = abs(a["z"] - b["z"]) < 1e-9
            line = a["z"] if horiz else a["x"]
            exterior = (horiz and line in (zs0, zs1)) or (not horiz and line in (xs0, xs1))
            length = abs(b["x"] - a["x"]) + abs(b["z"] - a["z"])
            if exterior and length >= 2.0:
                cands.append((w, horiz, line, min(a["x"], b["x"]) if horiz else min(a["z"], b["z"]), length))
        if not cands:
            continue
        w, horiz, line, lo, length = cands[int(rng.integers(len(cands)))]
        width = 1.53 if length >= 2.6 else 0.92
        asset = "Window_Fixed_60x48" if width > 1 else "Window_Fixed_36x48"
        c = lo + length / 2 + float(rng.uniform(-1, 1)) * max(0.0, length / 2 - width / 2 - 0.4)
        out.append({
            "id": f"window|{r.index}|0",
            "assetId": asset,
            "room0": r.id,
            "room1": r.id,
            "wall0": w["id"],
            "wall1": w["id"],
            "holePolygon": _hole(w, c - width / 2, c + width / 2, 0.9, 2.12),
            "assetPosition": _p(abs(c - lo), 1.51, 0),
        })
    return out


def _object_dict(p: Placed, object_id: str) -> dict:
    d = {
        "id": object_id,
        "assetId": p.asset.asset_id,
        "position": _p(*p.center),
        "rotation": _p(0, round(p.yaw, 4), 0),
        "kinematic": p.object_type not in ("Chair", "Stool", "Ottoman", "Box", "GarbageCan", "LaundryHamper"),
        "satEnv": {"palette": int(p.palette)},
    }
    if p.children:
        d["children"] = [_object_dict(c, f"{object_id}|{k}") for k, c in enumerate(p.children)]
    return d


def _rooms_dicts(rooms: list[Room], rng: np.random.Generator, paints: list) -> list[dict]:
    out = []
    for r in rooms:
        if r.room_type in ("Kitchen", "Bathroom"):
            fmat, fcol = "tile", TILE_FLOORS[int(rng.integers(len(TILE_FLOORS)))]
        elif r.room_type == "Bedroom" and rng.random() < 0.3:
            fmat, fcol = "carpet", CARPETS[int(rng.integers(len(CARPETS)))]
        else:
            fmat, fcol = "wood", WOOD_FLOORS[int(rng.integers(len(WOOD_FLOORS)))]
        out.append({
            "id": r.id,
            "roomType": r.room_type,
            "floorPolygon": [_p(x, 0, z) for x, z in r.polygon()],
            "floorMaterial": {"name": fmat, "color": _rgb(fcol)},
            "satEnv": {"wallColor": _rgb(paints[r.index])},
            "children": [],
        })
    return out


def _prune_unreachable(house: dict, scene) -> bool:
    """Drop small objects and wall hangings the agent cannot get within reach of (the far end of a deep shelf,
    a painting behind a bed). Floor furniture was already placed with reach checked room by room."""
    pts = scene.navgrid.positions()
    if len(pts) == 0:
        raise GenerationError("no reachable floor")
    objs = [o for o in scene.objects.values() if o.parent is not None or o.on_wall]
    if not objs:
        return False
    d = rect_distance(pts[:, 0], pts[:, 1], np.array([o.footprint for o in objs])).min(axis=0)
    drop = {o.object_id for o, dist in zip(objs, d) if dist > REACH_DISTANCE}
    if not drop:
        return False

    def keep(items):
        out = []
        for o in items:
            if o["id"] in drop:
                continue
            if o.get("children"):
                o["children"] = keep(o["children"])
            out.append(o)
        return out

    house["objects"] = keep(house["objects"])
    return True


def generate_house(seed: int, config: HouseConfig | None = None) -> dict:
    """Generate an apartment (the house dict of :func:`generate_scene`).

    Args:
        seed: any non-negative integer; the same seed and config give the same house, byte for byte.
        config: generator settings (default :class:`HouseConfig`).

    Returns:
        A house dict in the ProcTHOR house-JSON schema ("1.0.0"), with SAT-Env extras under "satEnv" keys.

    Raises:
        GenerationError: no valid house within config.max_attempts attempts.
    """
    return generate_scene(seed, config).house


def generate_scene(seed: int, config: HouseConfig | None = None):
    """Generate an apartment and return its built, validated :class:`~sat_env.scene.build.Scene` (the house dict is
    ``scene.house``): the scene ``build_scene(generate_house(seed, config))`` gives, without building it again.

    Raises:
        GenerationError: no valid house within config.max_attempts attempts.
    """
    from sat_env.scene.validate import validate_scene  # late: validate imports the scene builder

    config = config or HouseConfig()
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise GenerationError(f"seed must be a non-negative integer, got {seed!r}")
    catalog = load_catalog()
    last_error = None
    for attempt in range(config.max_attempts):
        ss = np.random.SeedSequence([int(seed), attempt])
        r_types, r_plan, r_doors, r_style, r_furn, r_small, r_agent = (np.random.default_rng(s) for s in ss.spawn(7))
        try:
            scene = _build(seed, attempt, config, catalog, r_types, r_plan, r_doors, r_style, r_furn, r_small, r_agent)
            validate_scene(scene)
            return scene
        except GenerationError as e:
            last_error = e
    raise GenerationError(f"no valid house for seed {seed} after {config.max_attempts} attempts: {last_error}")


def _build(seed, attempt, config, catalog, r_types, r_plan, r_doors, r_style, r_furn, r_small, r_agent):
    """The scene of one attempt (its house dict is scene.house)."""
    from sat_env.scene.build import build_scene

    types = choose_room_types(config, r_types)
    rooms = make_rooms(types, config, r_plan)
    doors = make_doors(rooms, config, r_doors)
    height = round(float(r_style.uniform(*config.wall_height)) / 0.05) * 0.05
    paints = [WALL_PAINTS[int(r_style.integers(len(WALL_PAINTS)))] for _ in rooms]
    walls = _walls(rooms, height, config.wall_thickness, paints)
    door_dicts = [_door_dict(d, rooms, walls) for d in doors]
    windows = _windows(rooms, walls, door_dicts, r_style) if config.windows else []

    objects: list[dict] = []
    for room in rooms:
        f = RoomFurnisher(room, doors, config.wall_thickness, catalog, r_furn)
        for wdw in windows:  # paintings keep clear of windows
            if wdw["room0"] != room.id:
                continue
            w = next(w for w in walls if w["id"] == wdw["wall0"])
            a, b = w["polygon"][0], w["polygon"][1]
            horiz = abs(a["z"] - b["z"]) < 1e-9
            line = a["z"] if horiz else a["x"]
            side = ("S" if abs(line - room.z0) < 1e-6 else "N") if horiz else ("W" if abs(line - room.x0) < 1e-6 else "E")
            start, sign = (a["x"], np.sign(b["x"] - a["x"])) if horiz else (a["z"], np.sign(b["z"] - a["z"]))
            h = wdw["holePolygon"]
            u0, u1 = sorted((start + sign * h[0]["x"], start + sign * h[1]["x"]))
            f.wall_holes[side].append((u0, u1))
        furnish_room(f, config.furniture_density)
        add_paintings(f, int(r_furn.integers(0, 3)) if config.furniture_density > 0 else 0)
        f.rng = r_small
        add_small_objects(f, config.small_objects)
        f.rng = r_furn
        per_type: dict[str, int] = {}
        for p in f.placed:
            k = per_type.get(p.object_type, 0)
            per_type[p.object_type] = k + 1
            objects.append(_object_dict(p, f"{p.object_type}|{room.index}|{k}"))

    house = {
        "rooms": _rooms_dicts(rooms, r_style, paints),
        "walls": walls,
        "doors": door_dicts,
        "windows": windows,
        "objects": objects,
        "proceduralParameters": {
            "ceilingMaterial": {"name": "paint", "color": _rgb((0.96, 0.96, 0.95))},
            "floorColliderThickness": 1.0,
            "receptacleHeight": 0.7,
            "skyboxId": "SkyAlbany",
            "lights": [
                {
                    "id": f"light|{r.index}",
                    "type": "point",
                    "position": _p((r.x0 + r.x1) / 2, height - 0.02, (r.z0 + r.z1) / 2),
                    "intensity": round(min(1.4, 0.75 + 0.03 * r.area), 3),
                    "range": 15,
                    "rgb": {"r": 1.0, "g": 0.96, "b": 0.88},
                    "roomId": r.id,
                    "shadow": {"type": "None"},
                }
                for r in rooms
            ],
        },
        "metadata": {"schema": SCHEMA, "satEnv": {"seed": int(seed), "attempt": attempt, "config": config.to_dict()}},
    }
    scene = build_scene(house, catalog)
    if _prune_unreachable(house, scene):
        scene = build_scene(house, catalog)
    # Agent start: a reachable grid point, facing a cardinal direction, as ProcTHOR does.
    pts = scene.navgrid.positions()
    if len(pts) == 0:
        raise GenerationError("no reachable floor")
    x, z = pts[int(r_agent.integers(len(pts)))]
    house["metadata"]["agent"] = {
        "name": "agent",
        "position": _p(x, AGENT_Y, z),
        "rotation": _p(0, float(r_agent.choice([0, 90, 180, 270])), 0),
        "horizon": START_HORIZON,
        "standing": True,
    }
    # The agent stands in the largest reachable component, which is what build_scene(house) seeds the navigation
    # grid with, so `scene` is the scene of the final house dict.
    return scene

"""Hand-built houses: a few rectangular rooms and objects at exact positions, for golden tests and examples.

    house = simple_house(
        rooms=[("LivingRoom", 0, 0, 4, 3)],
        objects=[("Dining_Table_201_1", 2.0, 1.5, 0.0)],
    )
"""

from __future__ import annotations

from sat_env.errors import HouseFormatError
from sat_env.scene.catalog import load_catalog
from sat_env.scene.config import HouseConfig
from sat_env.scene.floorplan import Doorway, Room
from sat_env.scene.generate import SCHEMA, _door_dict, _p, _rgb, _walls


def simple_house(
    rooms: list[tuple[str, float, float, float, float]],
    doors: list[tuple[int, int, float]] = (),
    objects: list[tuple] = (),
    height: float = 2.5,
    wall_thickness: float = 0.1,
    agent: tuple[float, float, float] | None = None,
) -> dict:
    """Build a house dict from rectangles.

    Args:
        rooms: (roomType, x0, z0, x1, z1) per room, in metres.
        doors: (room_a, room_b, centre) doorways of 1 m on the wall the two rooms share; centre along that wall.
        objects: (assetId, x, z, yaw) or (assetId, x, z, yaw, [children]) with children (assetId, x, y_bottom, z, yaw);
            floor objects stand on the floor, children's bottoms are at y_bottom.
        height: ceiling height.
        wall_thickness: wall thickness.
        agent: optional start pose (x, z, yaw).
    """
    catalog = load_catalog()
    rs = [Room(i, t, float(x0), float(z0), float(x1), float(z1)) for i, (t, x0, z0, x1, z1) in enumerate(rooms)]
    paints = [(0.9, 0.9, 0.88)] * len(rs)
    walls = _walls(rs, height, wall_thickness, paints)
    door_objs = []
    cfg = HouseConfig()
    for a, b, c in doors:
        ra, rb = rs[a], rs[b]
        if abs(ra.x1 - rb.x0) < 1e-9 or abs(ra.x0 - rb.x1) < 1e-9:
            line, horiz = (ra.x1 if abs(ra.x1 - rb.x0) < 1e-9 else ra.x0), False
        elif abs(ra.z1 - rb.z0) < 1e-9 or abs(ra.z0 - rb.z1) < 1e-9:
            line, horiz = (ra.z1 if abs(ra.z1 - rb.z0) < 1e-9 else ra.z0), True
        else:
            raise HouseFormatError(f"rooms {a} and {b} share no wall")
        door_objs.append(_door_dict(Doorway(a, b, horiz, line, float(c), cfg.door_width, cfg.door_height), rs, walls))
    objs = []
    counts: dict[str, int] = {}
    for spec in objects:
        asset_id, x, z, yaw = spec[:4]
        asset = catalog.asset(asset_id)
        k = counts.get(asset.object_type, 0)
        counts[asset.object_type] = k + 1
        oid = f"{asset.object_type}|{k}"
        d = {"id": oid, "assetId": asset_id, "position": _p(x, asset.size[1] / 2, z), "rotation": _p(0, yaw, 0),
             "kinematic": True, "satEnv": {"palette": 0}}
        children = spec[4] if len(spec) > 4 else []
        if children:
            d["children"] = []
            for j, (cid, cx, cy, cz, cyaw) in enumerate(children):
                ca = catalog.asset(cid)
                d["children"].append({"id": f"{oid}|{j}", "assetId": cid, "position": _p(cx, cy + ca.size[1] / 2, cz),
                                      "rotation": _p(0, cyaw, 0), "kinematic": False, "satEnv": {"palette": 0}})
        objs.append(d)
    house = {
        "rooms": [{"id": r.id, "roomType": r.room_type, "floorPolygon": [_p(x, 0, z) for x, z in r.polygon()],
                   "floorMaterial": {"name": "wood", "color": _rgb((0.6, 0.45, 0.3))},
                   "satEnv": {"wallColor": _rgb(paints[r.index])}, "children": []} for r in rs],
        "walls": walls,
        "doors": door_objs,
        "windows": [],
        "objects": objs,
        "proceduralParameters": {"lights": [
            {"id": f"light|{r.index}", "type": "point", "position": _p((r.x0 + r.x1) / 2, height - 0.02, (r.z0 + r.z1) / 2),
             "intensity": 1.0, "roomId": r.id} for r in rs]},
        "metadata": {"schema": SCHEMA},
    }
    if agent is not None:
        house["metadata"]["agent"] = {"name": "agent", "position": _p(agent[0], 0.95, agent[1]),
                                      "rotation": _p(0, agent[2], 0), "horizon": 0.0, "standing": True}
    return house

"""Rigid transforms of whole houses (for property tests and data augmentation): quarter turns and mirroring."""

from __future__ import annotations

import copy


def _map_house(house: dict, fxz, fyaw) -> dict:
    h = copy.deepcopy(house)

    def pt(p):
        x, z = fxz(p["x"], p["z"])
        p["x"], p["z"] = round(x, 9), round(z, 9)

    for r in h["rooms"]:
        for p in r["floorPolygon"]:
            pt(p)
    for w in h["walls"]:
        for p in w["polygon"]:
            pt(p)

    def walk(objs):
        for o in objs:
            pt(o["position"])
            o["rotation"]["y"] = fyaw(o["rotation"].get("y", 0.0)) % 360.0
            walk(o.get("children", []) or [])

    walk(h["objects"])
    for lt in (h.get("proceduralParameters") or {}).get("lights", []):
        pt(lt["position"])
    agent = (h.get("metadata") or {}).get("agent")
    if agent:
        pt(agent["position"])
        agent["rotation"]["y"] = fyaw(agent["rotation"].get("y", 0.0)) % 360.0
    return h


def rotate_house(house: dict, quarter_turns: int = 1) -> dict:
    """The house turned by quarter_turns x 90 degrees of yaw about the origin (x, z) -> (z, -x) per turn; object and
    agent yaws increase by 90 per turn. Wall holes keep their offsets (distances along the wall are unchanged)."""
    k = quarter_turns % 4
    h = house
    for _ in range(k):
        h = _map_house(h, lambda x, z: (z, -x), lambda y: y + 90.0)
    return copy.deepcopy(h) if k == 0 else h


def mirror_house(house: dict) -> dict:
    """The house mirrored across the plane x = 0: x -> -x, yaw -> -yaw. (Assets themselves are not mirrored, so an
    asymmetric asset looks the same, only placed mirror-wise.)"""
    return _map_house(house, lambda x, z: (-x, z), lambda y: -y)

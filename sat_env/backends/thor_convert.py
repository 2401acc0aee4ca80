"""House conversion between SAT-Env and AI2-THOR / ProcTHOR, both ways.

- :func:`to_thor_house`: a SAT-Env house -> a dict ``controller.reset(scene=...)`` accepts: our ``satEnv`` extras
  stripped, material names mapped to THOR materials, the fields ProcTHOR's ``CreateHouse`` expects filled in, and
  objects that came from THOR given back their original THOR assets.
- :func:`from_thor_house`: a THOR / ProcTHOR house (e.g. ProcTHOR-10K, or one read back from a THOR session with its
  event metadata) -> a SAT-Env house that :func:`sat_env.scene.build.build_scene` loads: assets our catalog lacks
  become the closest-size variant of the catalog type chosen in :mod:`sat_env.backends.thor_types`, or are dropped.

Object ids are kept in both directions: AI2-THOR gives an object spawned by ``CreateHouse`` the house's ``id`` as its
``objectId`` (Unity ``ProceduralTools``: ``objectID = ho.id``), which is what ties THOR metadata to our records.
"""

from __future__ import annotations

import copy
import re

import numpy as np

from sat_env.backends.thor_types import (
    DEFAULT_DOOR_ASSET,
    DEFAULT_WINDOW_ASSET,
    SAT_TO_THOR,
    SAT_TO_THOR_MATERIAL,
    THOR_OBJECT_TYPES,
    WALL_HOLE_PREFIXES,
    sat_type,
)
from sat_env.errors import HouseFormatError, UnknownAssetError
from sat_env.scene.catalog import Catalog, load_catalog
from sat_env.scene.geometry import rotate_yaw

SCHEMA = "1.0.0"
# ProcTHOR's global light; point lights per room come from the house (ProcTHOR houses carry both).
DIRECTIONAL_LIGHT = {
    "id": "DirectionalLight", "type": "directional", "intensity": 1.0, "indirectMultiplier": 1.0,
    "position": {"x": 0.84, "y": 0.1855, "z": -1.09}, "rotation": {"x": 66, "y": 75, "z": 0},
    "rgb": {"r": 1.0, "g": 1.0, "b": 1.0},
    "shadow": {"type": "Soft", "strength": 1, "normalBias": 0, "bias": 0, "nearPlane": 0.2,
               "resolution": "FromQualitySettings"},
}
PROCEDURAL_DEFAULTS = {"floorColliderThickness": 1.0, "receptacleHeight": 0.7, "skyboxId": "SkyAlbany",
                       "reflections": [], "ceilingMaterial": {"name": "PureWhite"}}


def walk_objects(objs: list[dict], parent: dict | None = None):
    """Yield (object, parent object or None) over a house's object tree, depth first."""
    for o in objs or []:
        yield o, parent
        yield from walk_objects(o.get("children") or [], o)


def _strip_sat(value):
    """A copy without our ``satEnv`` keys (AI2-THOR ignores unknown keys in practice, but nothing proves every
    build does, and they are our bookkeeping, not part of the ProcTHOR schema)."""
    if isinstance(value, dict):
        return {k: _strip_sat(v) for k, v in value.items() if k != "satEnv"}
    if isinstance(value, list):
        return [_strip_sat(v) for v in value]
    return value


def _thor_material(mat, default: str) -> dict:
    mat = dict(mat or {})
    name = str(mat.get("name") or default)
    mat["name"] = SAT_TO_THOR_MATERIAL.get(name.lower(), name)
    return mat


def to_thor_house(house: dict, catalog: Catalog | None = None) -> dict:
    """A SAT-Env house as a dict for AI2-THOR's ``controller.reset(scene=house)`` (the input is not changed).

    Raises:
        HouseFormatError: an object's assetId is neither a catalog asset (all of which are ProcTHOR assets) nor one
            recorded from THOR by :func:`from_thor_house`, so AI2-THOR could not spawn it.
    """
    catalog = catalog or load_catalog()
    types = set(catalog.types())
    out = copy.deepcopy(house)
    for o, _ in walk_objects(out.get("objects", [])):
        thor = ((o.get("satEnv") or {}).get("thor")) or {}
        if thor.get("assetId"):  # converted from THOR: give back the real asset, at its own height
            o["assetId"] = thor["assetId"]
            p = dict(o["position"])
            p["y"] = float(p["y"]) + float(thor.get("dy", 0.0))
            o["position"] = p
            continue
        asset = _catalog_asset(catalog, o.get("assetId"), types)
        if asset is None:
            if _thor_type_of(o, None) in THOR_OBJECT_TYPES:  # a THOR asset we do not catalogue: THOR knows it
                continue
            raise HouseFormatError(f"object {o.get('id')!r}: assetId {o.get('assetId')!r} is neither in the asset "
                                   "catalog nor of an AI2-THOR object type, so AI2-THOR could not spawn it")
        if asset.object_type not in SAT_TO_THOR:
            raise HouseFormatError(f"object type {asset.object_type!r} has no AI2-THOR type in thor_types.SAT_TO_THOR")
    for r in out.get("rooms", []):
        r["floorMaterial"] = _thor_material(r.get("floorMaterial"), "wood")
        r.setdefault("ceilings", [])
        r.setdefault("children", [])
    for w in out.get("walls", []):
        w["material"] = _thor_material(w.get("material"), "paint")
    for key, default in (("doors", DEFAULT_DOOR_ASSET), ("windows", DEFAULT_WINDOW_ASSET)):
        for d in out.get(key, []) or []:
            if not str(d.get("assetId", "")).startswith(WALL_HOLE_PREFIXES):
                d["assetId"] = default
    pp = out.setdefault("proceduralParameters", {})
    for k, v in PROCEDURAL_DEFAULTS.items():
        pp.setdefault(k, copy.deepcopy(v))
    pp["ceilingMaterial"] = _thor_material(pp.get("ceilingMaterial"), "paint")
    lights = list(pp.get("lights") or [])
    if not any(lt.get("type") == "directional" for lt in lights):
        lights.insert(0, copy.deepcopy(DIRECTIONAL_LIGHT))
    pp["lights"] = lights
    meta = out.setdefault("metadata", {})
    meta.setdefault("schema", SCHEMA)
    if meta.get("agent"):
        # Which builds read `agent` and which `agentPoses` is not documented; give both (reference 2.2).
        meta.setdefault("agentPoses", {"default": copy.deepcopy(meta["agent"])})
    return _strip_sat(out)


# --- THOR -> SAT-Env --------------------------------------------------------------------------------------------
def object_geometry(obj: dict) -> tuple[np.ndarray, float, np.ndarray]:
    """(bbox centre, yaw in degrees, size in the object's own frame) from one AI2-THOR object metadata record.

    The centre is the axis-aligned box's (THOR's ``position`` is the asset's pivot, not its centre). The size comes
    from the oriented box's corners turned back by the yaw, or from the axis-aligned box where the oriented one is
    null (exact for yaws that are multiples of 90 degrees, an upper bound otherwise).
    """
    aabb = obj["axisAlignedBoundingBox"]
    corners = np.asarray(aabb["cornerPoints"], dtype=np.float64)
    c = aabb.get("center")
    center = np.array([c["x"], c["y"], c["z"]], dtype=np.float64) if c else (corners.min(0) + corners.max(0)) / 2
    yaw = float((obj.get("rotation") or {}).get("y", 0.0)) % 360.0
    obb = (obj.get("objectOrientedBoundingBox") or {}).get("cornerPoints")
    pts = np.asarray(obb, dtype=np.float64) if obb else corners
    local = rotate_yaw(pts - pts.mean(axis=0), -yaw)
    return center, yaw, local.max(axis=0) - local.min(axis=0)


def _thor_type_of(o: dict, meta: dict | None) -> str:
    """AI2-THOR objectType of a house object: from metadata, else ProcTHOR's id ("Type|..."), else the assetId."""
    if meta and meta.get("objectType"):
        return str(meta["objectType"])
    oid = str(o.get("id", ""))
    if "|" in oid:
        return oid.split("|", 1)[0]
    return re.sub(r"(_\d+)+$", "", str(o.get("assetId", "")))


def _catalog_asset(catalog: Catalog, asset_id, types: set[str]):
    """The catalog's asset of this id if it is of one of the catalog's own types, else None (the catalog may also
    answer for assets it learnt from houses made elsewhere, of types it cannot place)."""
    try:
        asset = catalog.asset(asset_id)
    except UnknownAssetError:
        return None
    return asset if asset.object_type in types else None


def _closest_variant(catalog: Catalog, object_type: str, size: np.ndarray | None):
    variants = catalog.assets_of_type(object_type)
    if size is None:
        return variants[len(variants) // 2]
    return min(variants, key=lambda a: float(np.abs(np.asarray(a.size) - size).sum()))


def from_thor_house(house: dict, objects: list[dict] | None = None, catalog: Catalog | None = None) -> dict:
    """A THOR / ProcTHOR house as a SAT-Env house (the input is not changed).

    Args:
        house: the house dict (ProcTHOR schema).
        objects: optional ``event.metadata["objects"]`` of a THOR session with this house; object poses and sizes
            then come from THOR (after physics settled them) instead of the house file.
        catalog: the asset catalog (default: the package's).

    Objects whose asset the catalog has are kept. Others take the catalog type of ``thor_types.THOR_TO_SAT`` and
    its variant closest in size, standing on the same bottom height, with the original in ``satEnv.thor`` (so that
    :func:`to_thor_house` gives it back); types mapped to None are dropped and their children move up a level.
    ``metadata.satEnv.thor`` lists what was mapped and dropped.
    """
    catalog = catalog or load_catalog()
    types = set(catalog.types())
    meta = {m["objectId"]: m for m in objects or [] if "objectId" in m}
    mapped: dict[str, str] = {}
    dropped: list[str] = []

    def convert(objs: list[dict], is_child: bool) -> list[dict]:
        out = []
        for src in objs or []:
            o = {k: copy.deepcopy(v) for k, v in src.items() if k != "children"}
            kids = convert(src.get("children") or [], True)
            m = meta.get(o.get("id"))
            size = None
            if m is not None and m.get("axisAlignedBoundingBox"):
                center, yaw, size = object_geometry(m)
                o["position"] = {"x": float(center[0]), "y": float(center[1]), "z": float(center[2])}
                o["rotation"] = {"x": 0.0, "y": yaw, "z": 0.0}
            if _catalog_asset(catalog, o.get("assetId"), types) is None:
                t = _thor_type_of(o, m)
                target = sat_type(t, types)
                if target is None:
                    dropped.append(str(o.get("id")))
                    out.extend(kids)
                    continue
                asset = _closest_variant(catalog, target, size)
                p = dict(o["position"])
                y0 = float(p["y"])
                if size is not None:  # same bottom height as the THOR asset
                    p["y"] = y0 - float(size[1]) / 2 + asset.size[1] / 2
                elif not is_child:  # floor objects stand on the floor (y = 0 in ProcTHOR houses)
                    p["y"] = asset.size[1] / 2
                sat = dict(o.get("satEnv") or {})
                sat["thor"] = {"assetId": o.get("assetId"), "objectType": t, "dy": y0 - float(p["y"])}
                o["satEnv"] = sat
                o["assetId"] = asset.asset_id
                o["position"] = p
                mapped[str(o.get("id"))] = f"{t}->{target}"
            if kids:
                o["children"] = kids
            out.append(o)
        return out

    result = {k: copy.deepcopy(v) for k, v in house.items() if k != "objects"}
    result["objects"] = convert(house.get("objects", []), False)
    for r in result.get("rooms", []):
        if r.get("roomType") not in ("Kitchen", "LivingRoom", "Bedroom", "Bathroom"):
            raise HouseFormatError(f"room {r.get('id')!r}: roomType {r.get('roomType')!r} is not a ProcTHOR room type")
    md = result.setdefault("metadata", {})
    md.setdefault("schema", SCHEMA)
    md.setdefault("satEnv", {})
    md["satEnv"] = {**md["satEnv"], "thor": {"mapped": mapped, "dropped": dropped}}
    return result


__all__ = ["from_thor_house", "object_geometry", "to_thor_house", "walk_objects"]

"""Asset catalog: data, templates (geometric rules for every type) and the solids() API."""

from __future__ import annotations

import itertools
import json
import math
from importlib import resources

import numpy as np
import pytest

from sat_env.errors import UnknownAssetError
from sat_env.scene.asset_types import Asset, TypeInfo
from sat_env.scene.catalog import Catalog, load_catalog
from sat_env.scene.geometry import BOX, CYLINDER, MATERIALS, SPHERE, Solids, rotate_yaw

EPS = 1e-9


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def _types():
    return load_catalog().types()


# ------------------------------------------------------------------------------------------------------ data
def test_coverage(cat):
    types = cat.types()
    assert len(types) >= 45
    for t in ["ArmChair", "Bed", "Chair", "CoffeeTable", "CounterTop", "Desk", "DiningTable", "Dresser", "FloorLamp",
              "Fridge", "GarbageCan", "HousePlant", "Painting", "Sofa", "Television", "TVStand", "Toilet", "Sink",
              "Mug", "Laptop", "Pillow", "Book"]:
        assert t in types
    rich = [t for t in types if len(cat.assets_of_type(t)) >= 2 or len(cat.type_info(t).palettes) >= 2]
    assert len(rich) >= 40
    assert sum(len(cat.assets_of_type(t)) >= 2 for t in types) >= 40


def test_attribution_and_notice():
    data = json.loads(resources.files("sat_env.scene").joinpath("data/catalog_data.json").read_text())
    att = data["attribution"]
    assert att["license"] == "Apache-2.0" and "procthor" in att["source"] and "AI2" in att["copyright"]
    notice = resources.files("sat_env.scene").joinpath("data/NOTICE").read_text()
    assert "Apache" in notice and "Allen Institute" in notice


@pytest.mark.parametrize("t", _types())
def test_type_data(cat, t):
    info = cat.type_info(t)
    assert isinstance(info, TypeInfo) and info.object_type == t
    assert set(info.rooms) == {"Kitchen", "LivingRoom", "Bedroom", "Bathroom"}
    assert all(w >= 0 for w in info.rooms.values())
    variants = cat.assets_of_type(t)
    assert 1 <= len(variants) <= 5
    assert len({a.asset_id for a in variants}) == len(variants)
    for a in variants:
        assert isinstance(a, Asset) and a.object_type == t
        assert cat.asset(a.asset_id) == a
        for i in range(3):
            assert info.size_min[i] - EPS <= a.size[i] <= info.size_max[i] + EPS
            assert a.size[i] > 0


def test_variant_choices(cat):
    # straight counter runs about 0.6 m deep, no L-shapes
    for a in cat.assets_of_type("CounterTop"):
        assert 0.55 <= a.size[2] <= 0.7 and "_L_" not in a.asset_id and "_C_" not in a.asset_id
    # pedestal sinks, not basins
    assert all(a.size[1] > 0.6 for a in cat.assets_of_type("Sink"))
    assert cat.type_info("Sink").rooms["Bathroom"] > 0
    # spread over sizes
    vols = [np.prod(a.size) for a in cat.assets_of_type("Sofa")]
    assert len(vols) == 5 and vols == sorted(vols) and vols[-1] > 1.5 * vols[0]


def test_flags(cat):
    assert cat.type_info("Mug").pickupable and not cat.type_info("Mug").on_floor
    assert cat.type_info("Sofa").on_floor and not cat.type_info("Sofa").pickupable
    assert cat.type_info("Painting").on_wall
    assert cat.type_info("Television").on_floor is False
    assert cat.type_info("DiningTable").receptacle and cat.type_info("DiningTable").surfaces
    assert not cat.type_info("Apple").receptacle


def test_receptacle_contents(cat):
    types = set(cat.types())
    n = 0
    for t in cat.types():
        c = cat.receptacle_contents(t)
        assert set(c) <= types
        assert all(0 < p <= 1 for p in c.values())
        n += bool(c)
    assert n >= 10
    assert "Pillow" in cat.receptacle_contents("Bed")
    assert "Television" in cat.receptacle_contents("TVStand")
    assert cat.receptacle_contents("Apple") == {}
    # every receptacle with surfaces that something can go on has contents
    for t in cat.types():
        if cat.type_info(t).surfaces:
            assert cat.type_info(t).receptacle, t


# ------------------------------------------------------------------------------------------------ templates
def _planar_faces(p):
    """(axis, coord, sign, rect lo (2,), rect hi (2,)) of the flat faces of a part (conservative for caps)."""
    lo, hi = np.array(p.lo), np.array(p.hi)
    if p.kind == "sphere":
        return []
    if p.kind == "box":
        axes = [0, 1, 2]
    else:
        axes = [{"x": 0, "y": 1, "z": 2}[p.axis]]
    out = []
    for a in axes:
        o = [i for i in range(3) if i != a]
        out.append((a, lo[a], -1, lo[o], hi[o]))
        if p.kind == "box" or p.taper > 0:
            out.append((a, hi[a], +1, lo[o], hi[o]))
    return out


@pytest.mark.parametrize("t", _types())
def test_template_geometry(cat, t):
    info = cat.type_info(t)
    parts = info.parts
    assert 1 <= len(parts) <= 12
    assert sum(p.kind == "sphere" for p in parts) <= 9
    lo = np.array([p.lo for p in parts])
    hi = np.array([p.hi for p in parts])
    bmin, bmax = np.array([-0.5, 0.0, -0.5]), np.array([0.5, 1.0, 0.5])
    # inside the box, non-degenerate
    assert np.all(lo >= bmin - EPS) and np.all(hi <= bmax + EPS), t
    assert np.all(hi - lo > 0), t
    # rests on y = 0, spans every face of the bounding box
    assert np.isclose(lo[:, 1].min(), 0.0), t
    assert np.allclose(lo.min(axis=0), bmin) and np.allclose(hi.max(axis=0), bmax), t
    for p in parts:
        assert p.kind in ("box", "cylinder", "cone", "frustum", "sphere")
        assert p.axis in ("x", "y", "z")
        assert 0.0 <= p.taper <= 1.0
        assert (p.kind == "cone") == (p.taper == 0.0)
    # no coplanar, same-facing, overlapping faces (z-fighting)
    faces = [_planar_faces(p) for p in parts]
    for i, j in itertools.combinations(range(len(parts)), 2):
        for (a1, c1, s1, l1, h1), (a2, c2, s2, l2, h2) in itertools.product(faces[i], faces[j]):
            if a1 != a2 or s1 != s2 or abs(c1 - c2) > 1e-9:
                continue
            overlap = np.minimum(h1, h2) - np.maximum(l1, l2)
            assert not np.all(overlap > 1e-9), f"{t}: parts {i} and {j} share a face plane (axis {a1} at {c1})"


@pytest.mark.parametrize("t", _types())
def test_palettes(cat, t):
    info = cat.type_info(t)
    slots = {p.slot for p in info.parts}
    assert len(info.palettes) >= 3, t
    for pal in info.palettes:
        assert set(pal) == slots, t
        for rgb, mat in pal.values():
            assert len(rgb) == 3 and all(0.0 <= c <= 1.0 for c in rgb)
            assert mat in MATERIALS


@pytest.mark.parametrize("t", [t for t in _types() if load_catalog().type_info(t).surfaces])
def test_surfaces_lie_on_part_tops(cat, t):
    info = cat.type_info(t)
    for s in info.surfaces:
        assert -0.5 - EPS <= s.x0 < s.x1 <= 0.5 + EPS and -0.5 - EPS <= s.z0 < s.z1 <= 0.5 + EPS
        assert 0.0 < s.y <= 1.0 and s.clearance > 0
        assert math.isinf(s.clearance) or s.y + s.clearance <= 1.0 + EPS
        ok = False
        for p in info.parts:
            if abs(p.hi[1] - s.y) > 1e-9:
                continue
            if p.kind == "box":
                ok |= p.lo[0] - EPS <= s.x0 and s.x1 <= p.hi[0] + EPS and p.lo[2] - EPS <= s.z0 and s.z1 <= p.hi[2] + EPS
            elif p.kind in ("cylinder", "frustum") and p.axis == "y":
                cx, cz = (p.lo[0] + p.hi[0]) / 2, (p.lo[2] + p.hi[2]) / 2
                rx, rz = (p.hi[0] - p.lo[0]) / 2 * p.taper, (p.hi[2] - p.lo[2]) / 2 * p.taper
                ok |= all(((x - cx) / rx) ** 2 + ((z - cz) / rz) ** 2 <= 1 + EPS for x in (s.x0, s.x1) for z in (s.z0, s.z1))
        assert ok, f"{t}: surface {s} is not on a part's top face"
        # nothing else occupies the space just above the surface within its clearance (sample its centre)
        cx, cz, y = (s.x0 + s.x1) / 2, (s.z0 + s.z1) / 2, s.y + 1e-3
        for p in info.parts:
            inside = p.lo[0] < cx < p.hi[0] and p.lo[2] < cz < p.hi[2] and p.lo[1] < y < p.hi[1]
            assert not (inside and p.kind == "box"), f"{t}: part {p} covers surface {s}"


# ------------------------------------------------------------------------------------------------ API
def test_unknown_asset_names_close_matches(cat):
    with pytest.raises(UnknownAssetError) as e:
        cat.asset("Fridge_99x")
    msg = str(e.value)
    assert "Fridge_99x" in msg and "Fridge_" in msg.split("close matches", 1)[1]
    assert isinstance(e.value, KeyError)
    with pytest.raises(UnknownAssetError) as e:
        cat.type_info("Sofaa")
    assert "Sofa" in str(e.value)
    with pytest.raises(UnknownAssetError):
        cat.solids("nope", position=(0, 0, 0), yaw=0, color_index=0, instance=1)
    with pytest.raises(UnknownAssetError):
        cat.assets_of_type("NotAType")


def test_any_procthor_asset_of_a_covered_type_resolves(cat):
    a = cat.asset("Countertop_L_8x8")  # not a chosen variant, still a known asset
    assert a.object_type == "CounterTop" and a.size[0] > 2


@pytest.mark.parametrize("t", _types())
def test_solids_fill_bbox(cat, t):
    a = cat.assets_of_type(t)[-1]
    s = cat.solids(a.asset_id, position=(1.0, 2.0, 3.0), yaw=0.0, color_index=0, instance=7, room=2)
    assert isinstance(s, Solids) and len(s) == len(cat.type_info(t).parts)
    lo, hi = s.world_aabb()
    c = np.array([1.0, 2.0, 3.0])
    half = np.array(a.size) / 2
    assert np.allclose(lo.min(axis=0), c - half) and np.allclose(hi.max(axis=0), c + half)
    assert np.all(s.instance == 7) and np.all(s.room == 2)
    assert set(np.unique(s.kind)) <= {BOX, CYLINDER, SPHERE}


def test_solids_yaw_convention(cat):
    a = cat.assets_of_type("Television")[0]
    info = cat.type_info("Television")
    i = next(k for k, p in enumerate(info.parts) if p.slot == "screen")  # the screen is at local +z
    s0 = cat.solids(a.asset_id, position=(0, 0, 0), yaw=0.0, color_index=0, instance=1)
    s90 = cat.solids(a.asset_id, position=(0, 0, 0), yaw=90.0, color_index=0, instance=1)
    assert s0.center[i, 2] > 0 and abs(s0.center[i, 0]) < 1e-9
    assert s90.center[i, 0] > 0 and abs(s90.center[i, 2]) < 1e-9  # local +z -> world +x at yaw 90
    assert np.allclose(s90.center, rotate_yaw(s0.center, 90.0))
    assert np.allclose(s90.yaw, 90.0) and np.allclose(s90.size, s0.size)
    lo, hi = s90.world_aabb()  # the footprint turns with the yaw
    assert np.isclose(hi[:, 0].max() - lo[:, 0].min(), a.size[2])
    assert np.isclose(hi[:, 2].max() - lo[:, 2].min(), a.size[0])


def test_palette_index_and_determinism(cat):
    a = cat.assets_of_type("Sofa")[1]
    n = len(cat.type_info("Sofa").palettes)
    s1 = cat.solids(a.asset_id, position=(0, 0.5, 0), yaw=30, color_index=1, instance=3)
    s2 = cat.solids(a.asset_id, position=(0, 0.5, 0), yaw=30, color_index=1 + n, instance=3)
    s3 = cat.solids(a.asset_id, position=(0, 0.5, 0), yaw=30, color_index=0, instance=3)
    for f in ("kind", "center", "size", "yaw", "axis", "taper", "color", "material", "instance", "room"):
        assert np.array_equal(getattr(s1, f), getattr(s2, f))
    assert not np.array_equal(s1.color, s3.color)
    s1.color[:] = 0  # the caller owns its arrays: mutating them does not touch the catalog
    assert np.array_equal(cat.solids(a.asset_id, position=(0, 0.5, 0), yaw=30, color_index=1, instance=3).color, s2.color)
    assert load_catalog() is cat
    assert cat.types() == sorted(cat.types())


def test_local_solids_stand_on_floor(cat):
    for t in cat.types():
        a = cat.assets_of_type(t)[0]
        lo, hi = cat.local_solids(a.asset_id).world_aabb()
        assert np.isclose(lo[:, 1].min(), 0.0) and np.isclose(hi[:, 1].max(), a.size[1])

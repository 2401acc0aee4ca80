"""Properties of generated houses over 200 seeds, determinism, round trips and error cases."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from sat_env.errors import ConfigError, GenerationError, HouseFormatError, UnknownAssetError
from sat_env.scene import HouseConfig, generate_house, load_house, save_house
from sat_env.scene.build import build_scene
from sat_env.scene.catalog import load_catalog
from sat_env.scene.config import ROOM_TYPES
from sat_env.scene.floorplan import MIN_SIDE
from sat_env.scene.house_io import house_to_json
from sat_env.scene.validate import check_schema, coplanar_overlaps, geometry_problems


def test_every_house_is_valid(houses, scenes):
    """No interpenetration, supported children, every room and object reachable, for all 200 seeds."""
    bad = {seed: geometry_problems(s) for seed, s in scenes.items()}
    bad = {k: v for k, v in bad.items() if v}
    assert not bad, f"invalid houses: {dict(list(bad.items())[:3])}"


def test_schema_and_room_shapes(houses):
    for seed, h in houses.items():
        check_schema(h)
        assert 1 <= len(h["rooms"]) <= 8
        for r in h["rooms"]:
            assert r["roomType"] in ROOM_TYPES
            xs = [p["x"] for p in r["floorPolygon"]]
            zs = [p["z"] for p in r["floorPolygon"]]
            w, d = max(xs) - min(xs), max(zs) - min(zs)
            assert min(w, d) >= MIN_SIDE[r["roomType"]] - 1e-9, (seed, r["id"], w, d)
        assert h["metadata"]["schema"] == "1.0.0"
        agent = h["metadata"]["agent"]
        assert agent["rotation"]["y"] in (0, 90, 180, 270)


def test_all_room_counts_occur(houses):
    counts = Counter(len(h["rooms"]) for h in houses.values())
    assert set(counts) == set(range(1, 9)), counts


def test_doors_join_every_room(houses):
    """The doorway graph is connected: every room can be reached from every other."""
    for seed, h in houses.items():
        n = len(h["rooms"])
        ids = {r["id"]: i for i, r in enumerate(h["rooms"])}
        parent = list(range(n))

        def find(i):
            while parent[i] != i:
                i = parent[i]
            return i

        for d in h["doors"]:
            parent[find(ids[d["room0"]])] = find(ids[d["room1"]])
        assert len({find(i) for i in range(n)}) == 1, seed
        assert len(h["doors"]) == n - 1


def test_agent_start_is_reachable(scenes):
    for seed, s in scenes.items():
        a = s.house["metadata"]["agent"]["position"]
        pts = s.navgrid.positions()
        d = np.hypot(pts[:, 0] - a["x"], pts[:, 1] - a["z"]).min()
        assert d < 1e-6, seed


def test_assets_known_and_children_on_receptacles(scenes):
    cat = load_catalog()
    for seed, s in scenes.items():
        for o in s.objects.values():
            assert cat.asset(o.asset_id).object_type == o.object_type
            if o.parent is not None:
                p = s.objects[o.parent]
                info = cat.type_info(p.object_type)
                assert info.receptacle, (seed, o.object_id, p.object_type)
                heights = [p.y_range[0] + sf.y * p.size[1] for sf in info.surfaces]
                assert min(abs(o.y_range[0] - h) for h in heights) < 1e-3, (seed, o.object_id)


def test_groups_are_arranged(scenes):
    """Sofa faces the TV; dining chairs face their table; nightstands flank beds; counts are realistic."""
    n_sofa_tv = n_dining = n_bed_stand = 0
    for s in scenes.values():
        objs = list(s.objects.values())
        for room in s.rooms:
            ro = [o for o in objs if o.room == room.index and o.parent is None]
            types = Counter(o.object_type for o in ro)
            sofas = [o for o in ro if o.object_type == "Sofa"]
            stands = [o for o in ro if o.object_type == "TVStand"]
            if sofas and stands:
                assert abs(((sofas[0].yaw - stands[0].yaw) % 360) - 180) < 1e-6
                n_sofa_tv += 1
            for t in (o for o in ro if o.object_type == "DiningTable"):
                chairs = [c for c in ro if c.object_type == "Chair" and np.hypot(*(c.center - t.center)[[0, 2]]) < 1.5]
                for c in chairs:  # the chair's front (+z local) points at the table
                    fwd = np.array([np.sin(np.radians(c.yaw)), np.cos(np.radians(c.yaw))])
                    to_table = (t.center - c.center)[[0, 2]]
                    assert fwd @ to_table > 0
                n_dining += bool(chairs)
            for b in (o for o in ro if o.object_type == "Bed"):
                near = [o for o in ro if o.object_type == "SideTable" and np.hypot(*(o.center - b.center)[[0, 2]]) < 2.0]
                n_bed_stand += bool(near)
            if room.room_type == "Bathroom":
                assert types["Toilet"] <= 1
    assert n_sofa_tv >= 20 and n_dining >= 20 and n_bed_stand >= 20, (n_sofa_tv, n_dining, n_bed_stand)


def test_furnishing_is_rich(scenes):
    n_types = Counter()
    n_objects = []
    for s in scenes.values():
        n_objects.append(len(s.objects))
        n_types.update(o.object_type for o in s.objects.values())
    assert len(n_types) >= 40, sorted(n_types)
    assert np.median(n_objects) >= 15


def test_no_coplanar_overlapping_faces(scenes):
    """Solids of different objects never share a face plane with overlapping area (no z-fighting)."""
    for seed in range(0, 200, 10):
        pairs = coplanar_overlaps(scenes[seed].solids, max_pairs=3)
        assert not pairs, (seed, [(scenes[seed].solids.instance[a], scenes[seed].solids.instance[b]) for a, b in pairs])


def test_json_round_trip(houses, tmp_path):
    for seed in range(0, 200, 25):
        h = houses[seed]
        p = save_house(h, tmp_path / f"h{seed}.json")
        assert load_house(p) == h
        gz = save_house(h, tmp_path / f"h{seed}.json.gz")
        assert load_house(gz) == h
        assert house_to_json(load_house(p)) == p.read_text()


def test_same_seed_same_bytes(houses):
    for seed in (0, 7, 42, 199):
        assert house_to_json(generate_house(seed)) == house_to_json(houses[seed])
    assert house_to_json(houses[1]) != house_to_json(houses[2])


def test_same_bytes_in_another_process(houses):
    code = ("import hashlib; from sat_env.scene import generate_house; from sat_env.scene.house_io import house_to_json;"
            "print(hashlib.sha256(house_to_json(generate_house(5)).encode()).hexdigest())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123", "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == hashlib.sha256(house_to_json(houses[5]).encode()).hexdigest()


def test_config_room_types_and_counts():
    h = generate_house(3, HouseConfig(room_types=("Bedroom", "Bathroom")))
    assert sorted(r["roomType"] for r in h["rooms"]) == ["Bathroom", "Bedroom"]
    h = generate_house(3, HouseConfig(min_rooms=5, max_rooms=5))
    assert len(h["rooms"]) == 5
    h = generate_house(3, HouseConfig(room_types=("LivingRoom",), furniture_density=0, small_objects=0))
    kids = [c["id"] for o in h["objects"] for c in o.get("children", [])]
    assert all(k.startswith("TVStand") for k in kids), kids  # only the TV of the sofa-TV group


@pytest.mark.parametrize("bad, match", [
    ({"min_rooms": 0}, "min_rooms"),
    ({"max_rooms": 9}, "max_rooms"),
    ({"room_types": ["Garage"]}, "room_types"),
    ({"door_width": 0.5}, "door_width"),
    ({"wall_height": [1.0, 2.0]}, "wall_height"),
    ({"colour": 1}, "unknown HouseConfig key"),
])
def test_bad_config_is_a_clear_error(bad, match):
    with pytest.raises(ConfigError, match=match):
        HouseConfig.from_dict(bad)


def test_impossible_config_raises_generation_error():
    cfg = HouseConfig(room_types=("LivingRoom",), room_areas={"LivingRoom": (2.0, 2.5)}, max_attempts=2)
    with pytest.raises(GenerationError, match="could not lay out rooms"):
        generate_house(0, cfg)
    with pytest.raises(GenerationError, match="seed"):
        generate_house(-1)


def test_bad_house_files(tmp_path):
    with pytest.raises(HouseFormatError, match="does not exist"):
        load_house(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(HouseFormatError, match="not a valid house JSON"):
        load_house(tmp_path / "bad.json")
    (tmp_path / "norooms.json").write_text(json.dumps({"rooms": [], "walls": [], "objects": []}))
    with pytest.raises(HouseFormatError, match="no rooms"):
        load_house(tmp_path / "norooms.json")
    (tmp_path / "badtype.json").write_text(json.dumps({"rooms": [{"id": "r", "roomType": "Garage", "floorPolygon": []}],
                                                        "walls": [], "objects": []}))
    with pytest.raises(HouseFormatError, match="Garage"):
        load_house(tmp_path / "badtype.json")


def test_unknown_asset_is_named_and_drawn_by_its_type(houses):
    """An assetId no catalog knows is drawn by the type its object id names (ProcTHOR houses carry assets we do not
    model), with a warning naming it; an empty assetId is still an error."""
    from sat_env.scene import shapes
    from sat_env.scene.catalog import Catalog, _read_data
    from sat_env.scene.thor_assets import UnknownAssetWarning

    h = json.loads(house_to_json(houses[0]))
    h["objects"][0]["assetId"] = "Sofa_9999"
    with pytest.warns(UnknownAssetWarning, match="Sofa_9999"):  # a fresh catalog warns once per assetId
        scene = build_scene(h, Catalog(_read_data(), shapes.TEMPLATES))
    want = h["objects"][0]["id"].split("|")[0]
    assert scene.objects[h["objects"][0]["id"]].object_type == want
    h["objects"][0]["assetId"] = ""
    with pytest.raises(UnknownAssetError, match="non-empty"):
        build_scene(h)


def test_duplicate_object_ids_rejected(houses):
    h = json.loads(house_to_json(houses[0]))
    h["objects"].append(dict(h["objects"][0]))
    with pytest.raises(HouseFormatError, match="appears twice"):
        check_schema(h)


@pytest.mark.parametrize("seed", range(0, 200, 7))
def test_generate_scene_is_the_scene_of_its_house(seed):
    """generate_scene hands its validated scene on (the env's first load skips a rebuild): it must equal what
    build_scene makes of the final house dict, navigation grid included."""
    from sat_env.scene.build import build_scene
    from sat_env.scene.generate import generate_scene

    scene = generate_scene(seed)
    again = build_scene(json.loads(json.dumps(scene.house)))
    for f in ("center", "size", "yaw", "kind", "axis", "taper", "instance", "room", "material", "color"):
        np.testing.assert_array_equal(getattr(scene.solids, f), getattr(again.solids, f), err_msg=f)
    np.testing.assert_array_equal(scene.navgrid.reachable, again.navgrid.reachable)
    np.testing.assert_array_equal(scene.navgrid.positions(), again.navgrid.positions())
    np.testing.assert_array_equal(scene.lights, again.lights)
    assert list(scene.objects) == list(again.objects)
    assert scene.table.object_ids == again.table.object_ids

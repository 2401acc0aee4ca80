"""ProcTHOR houses in the embedded backend: reading ProcTHOR-10K files, unknown assets, rendering a real-schema house.

The fixture ``fixtures/procthor_house.json`` is a house written by hand in ProcTHOR's schema 1.0.0, as ProcTHOR-10K
stores them: three rooms (LivingRoom, Kitchen, Bedroom), one-sided room walls plus ``wall|exterior|...`` walls and no
wall thickness, two interior doorways and a front door (``holePolygon``), a window, point lights per room and a
directional light, ``metadata.agent`` (horizon 30), and 19 objects with children on receptacles (a television on its
stand, a mug and an apple on a dining table, a newspaper on a coffee table). Four assetIds are not in the catalog:
``Cart_1`` and ``Newspaper_3`` (AI2-THOR assets of types without a template), ``ArmChair_999_1`` (a type we draw,
an assetId no database lists) and ``Aquarium_Large_1`` (a type no database knows).
"""

from __future__ import annotations

import gzip
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from sat_env.errors import ConfigError
from sat_env.scene import shapes
from sat_env.scene.build import build_scene
from sat_env.scene.catalog import Catalog, _read_data, load_catalog
from sat_env.scene.procthor import (count_houses, expand_house_sources, iter_houses, load_procthor, parse_source,
                                    prepare_house)
from sat_env.scene.thor_assets import GENERIC_SIZE, UnknownAssetWarning, guess_type, thor_table
from sat_env.scene.validate import check_schema, geometry_problems

FIXTURE = Path(__file__).parent / "fixtures" / "procthor_house.json"
UNKNOWN = {"Cart|3|4": "Cart_1", "Newspaper|surface|2|8": "Newspaper_3", "ArmChair|4|2": "ArmChair_999_1",
           "Aquarium|2|7": "Aquarium_Large_1"}


def _fixture() -> dict:
    return json.loads(FIXTURE.read_text())


def _walk(objs):
    for o in objs:
        yield o
        yield from _walk(o.get("children", []))


@pytest.fixture(scope="module")
def jsonl(tmp_path_factory) -> Path:
    """A ProcTHOR-10K-like file: 3 houses (the fixture, a schema-0.0.1 variant, the fixture again), then a line
    that is not JSON and a JSON line that is not a house."""
    old = _fixture()
    for d in old["doors"] + old["windows"]:
        hole = d.pop("holePolygon")
        d["boundingBox"] = {"min": hole[0], "max": hole[1]}
    for r in old["rooms"]:
        r["floorMaterial"] = r["floorMaterial"]["name"]
    old["metadata"]["agentPoses"] = {"default": old["metadata"].pop("agent")}
    path = tmp_path_factory.mktemp("procthor") / "val.jsonl.gz"
    lines = [json.dumps(_fixture()), json.dumps(old), json.dumps(_fixture()), "{not json", json.dumps({"rooms": 3})]
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def backend():
    from sat_env.backends.embedded import EmbeddedBackend

    b = EmbeddedBackend(width=160, height=120)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownAssetWarning)
        b.load(prepare_house(_fixture()))
    yield b
    b.close()


# --------------------------------------------------------------------------------------------------- the fixture
def test_fixture_is_in_procthor_schema():
    h = _fixture()
    check_schema(h)
    assert h["metadata"]["schema"] == "1.0.0" and h["metadata"]["agent"]["horizon"] == 30
    assert not any("thickness" in w for w in h["walls"])
    assert any(w["id"].startswith("wall|exterior|") for w in h["walls"])
    assert len(h["doors"]) == 3 and len(h["windows"]) == 1
    objs = list(_walk(h["objects"]))
    assert len(objs) == 19 and sum(len(o.get("children", [])) for o in h["objects"]) == 4
    cat = load_catalog()
    ids = {o["id"]: o["assetId"] for o in objs}
    assert {i: ids[i] for i in UNKNOWN} == UNKNOWN
    unknown = {a for a in ids.values() if a not in cat._assets}
    assert unknown == set(UNKNOWN.values())
    assert "Aquarium" not in thor_table()["types"] and "Cart" not in cat.types()


# --------------------------------------------------------------------------------------------------- reading files
def test_count_and_lazy_index(jsonl):
    assert count_houses(jsonl) == 5
    h = load_procthor(jsonl, 0)  # lines 3 and 4 are broken: reading house 0 must not parse them
    assert h == prepare_house(_fixture())
    assert [i for i, _ in iter_houses(jsonl, [2, 0])] == [0, 2]


def test_old_schema_is_upgraded(jsonl):
    h = load_procthor(jsonl, 1)
    new = _fixture()
    assert [d["holePolygon"] for d in h["doors"]] == [d["holePolygon"] for d in new["doors"]]
    assert h["rooms"][0]["floorMaterial"] == {"name": new["rooms"][0]["floorMaterial"]["name"]}
    assert h["metadata"]["agent"] == new["metadata"]["agent"]


@pytest.mark.parametrize("index, match", [(5, r"out of range: .* holds 5 houses \(indices 0\.\.4\)"),
                                          (3, "house 3 is not JSON"), (4, "house 4 is not a ProcTHOR house"),
                                          (-1, "non-negative")])
def test_bad_index_or_line(jsonl, index, match):
    with pytest.raises(ConfigError, match=match):
        load_procthor(jsonl, index)


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist.*prior"):
        load_procthor(tmp_path / "train.jsonl.gz", 0)
    lfs = tmp_path / "lfs.jsonl.gz"
    lfs.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 52800000\n")
    with pytest.raises(ConfigError, match="git-lfs pointer.*git lfs pull"):
        load_procthor(lfs, 0)
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ConfigError, match="cannot read it as gzipped JSON Lines"):
        count_houses(bad)
    plain = tmp_path / "houses.jsonl"  # uncompressed JSON Lines work too
    plain.write_text(json.dumps(_fixture()) + "\n\n")
    assert count_houses(plain) == 1 and load_procthor(plain, 0)["rooms"]


def test_house_sources(jsonl):
    seed_house = {"rooms": []}
    out = expand_house_sources([f"procthor:{jsonl}#0-1", 7, seed_house, "house.json", f"procthor:{jsonl}#2,0"])
    assert len(out) == 7 and out[2:4] == [7, seed_house] and out[4] == "house.json"
    assert out[0] == out[6] and out[0] is not out[6]  # a house named twice gets its own copy
    assert out[1]["metadata"]["agent"] and out[5] == out[0]
    assert expand_house_sources([1, 2]) == [1, 2]
    assert parse_source("procthor:/d/a#b.jsonl.gz#3-5,9") == ("/d/a#b.jsonl.gz", [3, 4, 5, 9])
    for bad, match in [(f"procthor:{jsonl}", "needs the houses"), (f"procthor:{jsonl}#x", "not N or A-B"),
                       (f"procthor:{jsonl}#3-1", "0 <= A <= B"), (f"procthor:{jsonl}#9", "out of range")]:
        with pytest.raises(ConfigError, match=match):
            expand_house_sources([bad])


# --------------------------------------------------------------------------------------------------- unknown assets
def test_unknown_assets_fall_back_with_warnings():
    cat = Catalog(_read_data(), shapes.TEMPLATES)  # fresh: the cached one may have learnt these assets already
    with pytest.warns(UnknownAssetWarning) as rec:
        scene = build_scene(prepare_house(_fixture()), cat)
    messages = [str(w.message) for w in rec if issubclass(w.category, UnknownAssetWarning)]
    assert len(messages) == 4 and all(any(a in m for m in messages) for a in UNKNOWN.values())
    thor = thor_table()
    cart, paper = scene.objects["Cart|3|4"], scene.objects["Newspaper|surface|2|8"]
    assert cart.object_type == "Cart" and np.allclose(cart.size, thor["assets"]["Cart_1"][1:])
    assert paper.object_type == "Newspaper" and paper.parent == "CoffeeTable|2|1" and paper.pickupable
    arm = scene.objects["ArmChair|4|2"]  # a type we draw, at AI2-THOR's median ArmChair size
    assert arm.object_type == "ArmChair" and np.allclose(arm.size, thor["types"]["ArmChair"]["size"])
    n_parts = {k: sl.stop - sl.start for k, sl in scene.object_solid_slices.items()}
    assert n_parts["ArmChair|4|2"] > 1  # the ArmChair template, not a box
    fish = scene.objects["Aquarium|2|7"]
    assert fish.object_type == "Aquarium" and tuple(fish.size) == GENERIC_SIZE
    assert n_parts["Aquarium|2|7"] == n_parts["Cart|3|4"] == 1
    # learnt for lookups, never offered to the generator
    assert cat.type_info("Cart").receptacle and cat.asset("Cart_1").object_type == "Cart"
    assert "Cart" not in cat.types() and "Aquarium" not in cat.types() and cat.assets_of_type("Cart") == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per assetId
        build_scene(prepare_house(_fixture()), cat)


def test_type_guesses():
    known = set(thor_table()["types"])
    assert guess_type("Alarm_Clock_7", None, known) == "AlarmClock"
    assert guess_type("Sofa_Corner_7", None, known) == "Sofa"
    assert guess_type("whatever_3", "Television|4|2", known) == "Television"
    assert guess_type("Rocket_1", "obj_3", known) is None


# --------------------------------------------------------------------------------------------------- embedded backend
def test_fixture_validates_and_navigates(backend):
    scene = backend.scene
    assert geometry_problems(scene) == []
    pts = backend.reachable_positions()
    for r in scene.rooms:  # every room reachable through the doorways
        assert any(r.contains(x, z) for x, z in pts), r.room_type
    assert (backend.pose.x, backend.pose.z, backend.pose.yaw, backend.pose.horizon) == (3.25, 2.75, 270.0, 30.0)
    assert np.isfinite(backend.geodesic_distance((3.25, 2.75), (4.0, 6.0)))  # living room -> bedroom
    assert np.isfinite(backend.geodesic_distance((3.25, 2.75), (7.0, 2.5)))  # living room -> kitchen


def _extent(view, scene, object_id):
    """World-space extent of an object's visible pixels (back-projected through the depth image)."""
    m = view.ids == scene.table.id_of(object_id)
    pts = np.asarray(view.camera.position) + view.camera.pixel_rays()[m] * view.depth[m][:, None]
    return int(m.sum()), pts.max(axis=0) - pts.min(axis=0)


def test_renders_unknown_assets_at_their_size(backend):
    from sat_env.backends.base import AgentPose

    scene = backend.scene
    v = backend.view(AgentPose(6.75, 2.5, 120.0, 10.0))  # kitchen, looking at the cart by the east wall
    assert v.rgb.std() > 10 and (v.depth > 0).mean() > 0.99
    n, ext = _extent(v, scene, "Cart|3|4")  # yaw 270: 0.54 m along x, 0.71 m along z, 1.28 m tall
    assert n > 500 and np.allclose(ext, [0.54, 1.28, 0.71], atol=0.04), ext
    types = {v.object_types[i] for i in np.unique(v.ids) if i}
    assert {"Floor", "Wall", "Window", "Fridge", "Cart"} <= types
    v = backend.view()  # the house's start pose: living room, looking west at the sofa
    n, ext = _extent(v, scene, "Aquarium|2|7")
    assert n > 50 and np.allclose(ext, GENERIC_SIZE, atol=0.1), ext
    counts = {v.object_ids[i]: c for i, c in enumerate(v.pixel_counts) if i}
    assert counts["Sofa|2|0"] > 500 and counts["CoffeeTable|2|1"] > 300 and counts["Newspaper|surface|2|8"] > 20
    v = backend.view(AgentPose(2.5, 4.75, 0.0, 10.0))  # through the bedroom door
    counts = {v.object_ids[i]: c for i, c in enumerate(v.pixel_counts) if i}
    assert counts["ArmChair|4|2"] > 300 and counts["Bed|4|0"] > 500


# --------------------------------------------------------------------------------------------------- CLI
def test_cli_scene_procthor(jsonl, tmp_path, capsys):
    from sat_env.cli import main

    out = tmp_path / "scene"
    assert main(["scene", "--procthor", str(jsonl), "--index", "1", "--out", str(out), "--size", "64",
                 "--views", "1"]) == 0
    text = capsys.readouterr().out
    assert f"ProcTHOR house 1 of {jsonl}: 3 rooms" in text and "validation: no problems" in text
    names = {p.name for p in out.iterdir()}
    assert {"house.json", "topdown.png", "rgb.png", "depth.png", "ids.png", "views.json"} <= names
    saved = json.loads((out / "house.json").read_text())
    assert saved["doors"][0]["holePolygon"] and len(list(_walk(saved["objects"]))) == 19
    assert main(["scene", "--procthor", str(jsonl), "--index", "9", "--out", str(out)]) == 2
    assert "holds 5 houses" in capsys.readouterr().err
    assert main(["scene", "--index", "1", "--out", str(out)]) == 2
    assert "--procthor" in capsys.readouterr().err

#!/usr/bin/env python
"""Build sat_env/scene/data/catalog_data.json from the ProcTHOR asset databases.

Source: the ``procthor`` wheel on PyPI (Apache-2.0, Allen Institute for AI). Its ``procthor/databases`` folder holds
``asset-database.json``, ``placement-annotations.json`` and ``receptacles.json``. The object types covered are the
keys of :data:`sat_env.scene.shapes.TEMPLATES`.

Usage:
    python tools/build_catalog.py [--procthor-dir DIR] [--out PATH]

Without ``--procthor-dir`` the wheel is fetched with ``pip download --no-deps procthor`` into a temporary folder and
unzipped. ``DIR`` may be the ``databases`` folder, the ``procthor`` package folder or the folder that holds it.
The output is deterministic (sorted keys, fixed selection rules).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from sat_env.scene.shapes import TEMPLATES  # noqa: E402

DEFAULT_OUT = os.path.join(REPO, "sat_env", "scene", "data", "catalog_data.json")
NOTICE_NAME = "NOTICE"
N_VARIANTS = 5
ROOM_COLUMNS = {"Kitchen": "inKitchens", "LivingRoom": "inLivingRooms", "Bedroom": "inBedrooms", "Bathroom": "inBathrooms"}

# Variant filters (metres): the templates are simple shapes, so keep variants whose proportions suit them.
# (lo, hi) per axis; None = no bound. Types without a rule get a generic outlier
# filter instead (each size within half to twice the median); a rule that leaves nothing is dropped.
VARIANT_FILTERS: dict[str, dict[str, tuple]] = {
    # straight counter runs about 0.6 m deep (no L / C shapes, no islands)
    "CounterTop": {"z": (0.55, 0.7)},
    # pedestal-height basins only (ProcTHOR's low basins are inset in counters)
    "Sink": {"y": (0.65, 1.1), "x": (0.5, 0.9)},
    "Desk": {"y": (0.68, 0.85), "z": (0.45, 0.9), "x": (0.9, 2.1)},
    "DiningTable": {"y": (0.68, 0.82)},
    "SideTable": {"y": (0.45, 0.9), "x": (0.3, 1.2)},
    "CoffeeTable": {"y": (0.3, 0.55)},
    "Bed": {"y": (0.6, 1.25), "x": (0.9, 2.1)},
    "Sofa": {"z": (0.75, 1.25), "y": (0.7, 1.2)},
    "ArmChair": {"y": (0.7, 1.15)},
    "Chair": {"y": (0.75, 1.1)},
    "Dresser": {"y": (0.6, 1.3)},
    "ShelvingUnit": {"y": (0.9, 2.25)},
    "TVStand": {"y": (0.4, 0.8)},
    "Television": {"z": (0.06, 0.4), "y": (0.5, 1.0)},
    "HousePlant": {"y": (0.3, 1.2)},
    "Fridge": {"y": (1.5, 2.2)},
    "FloorLamp": {"y": (1.4, 2.1)},
    "DeskLamp": {"y": (0.3, 0.7)},
    "Painting": {"y": (0.4, 1.0)},
    "ToiletPaper": {"x": (0.08, 0.2)},
}

# Documented departures from the ProcTHOR annotations (applied after reading them).
OVERRIDES = [
    {"type": "Sink", "field": "rooms", "value": {"Kitchen": 0, "LivingRoom": 0, "Bedroom": 0, "Bathroom": 2},
     "why": "SAT-Env uses free-standing pedestal sinks in bathrooms; ProcTHOR's kitchen basins are inset in counters"},
    {"type": "Sink", "field": "on_floor", "value": True, "why": "pedestal sink"},
    {"type": "Television", "field": "on_floor", "value": False, "why": "televisions stand on a TVStand"},
    {"type": "Television", "field": "rooms", "value": {"Kitchen": 0, "LivingRoom": 2, "Bedroom": 1, "Bathroom": 0},
     "why": "ProcTHOR places televisions with a separate rule; weights give where they belong"},
    {"type": "Painting", "field": "rooms", "value": {"Kitchen": 1, "LivingRoom": 2, "Bedroom": 2, "Bathroom": 1},
     "why": "ProcTHOR places wall decor with a separate rule; weights give where it belongs"},
]
RECEPTACLE_ADDITIONS = {"TVStand": {"Television": 0.9}}


# ----------------------------------------------------------------------------------------------------------------
def locate_databases(procthor_dir: str) -> str:
    for cand in (procthor_dir, os.path.join(procthor_dir, "databases"), os.path.join(procthor_dir, "procthor", "databases")):
        if os.path.isfile(os.path.join(cand, "asset-database.json")):
            return cand
    raise SystemExit(f"no asset-database.json under {procthor_dir!r} (give the procthor/databases folder)")


def detect_version(db_dir: str) -> str:
    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(db_dir)))
    for meta in sorted(glob.glob(os.path.join(pkg_parent, "procthor-*.dist-info", "METADATA"))):
        with open(meta, encoding="utf-8") as fh:
            m = re.search(r"^Version:\s*(\S+)", fh.read(), re.M)
            if m:
                return m.group(1)
    for whl in sorted(glob.glob(os.path.join(pkg_parent, "procthor-*.whl"))):
        return os.path.basename(whl).split("-")[1]
    return "unknown"


def fetch_wheel(tmp: str) -> str:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "procthor", "-d", tmp],
                   check=True)
    wheels = sorted(glob.glob(os.path.join(tmp, "procthor-*.whl")))
    if not wheels:
        raise SystemExit("pip download did not produce a procthor wheel")
    out = os.path.join(tmp, "x")
    with zipfile.ZipFile(wheels[-1]) as z:
        z.extractall(out)
    return os.path.join(out, "procthor", "databases")


# ----------------------------------------------------------------------------------------------------------------
def _size(a: dict) -> tuple[float, float, float]:
    bb = a["boundingBox"]
    return (round(float(bb["x"]), 6), round(float(bb["y"]), 6), round(float(bb["z"]), 6))


def choose_variants(object_type: str, assets: list[dict], k: int = N_VARIANTS) -> list[dict]:
    """Up to k assets spread over sizes, deterministic, skipping outliers and shapes the template cannot show."""
    items = sorted(((a["assetId"], _size(a)) for a in assets), key=lambda t: t[0])
    keep = items
    rules = VARIANT_FILTERS.get(object_type, {})
    if rules:  # type-specific rules first (they may select a minority, e.g. straight counter runs)
        axes = {"x": 0, "y": 1, "z": 2}
        keep = [(n, s) for n, s in items
                if all((lo is None or s[axes[ax]] >= lo) and (hi is None or s[axes[ax]] <= hi) for ax, (lo, hi) in rules.items())]
        keep = keep or items
    else:  # no rule: drop absurd outliers
        med = [statistics.median(s[i] for _, s in keep) for i in range(3)]
        keep = [(n, s) for n, s in keep if all(med[i] / 2.0 <= s[i] <= med[i] * 2.0 for i in range(3))] or keep
    seen, uniq = set(), []
    for n, s in keep:  # identical sizes give identical renders: keep the first by assetId
        key = tuple(round(v, 3) for v in s)
        if key not in seen:
            seen.add(key)
            uniq.append((n, s))
    uniq.sort(key=lambda t: (t[1][0] * t[1][1] * t[1][2], t[0]))
    n = len(uniq)
    if n <= k:
        idx = list(range(n))
    else:
        idx = sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})
    return [{"asset_id": uniq[i][0], "size": list(uniq[i][1])} for i in idx]


def _majority(values) -> bool:
    values = list(values)
    return sum(bool(v) for v in values) * 2 > len(values)


def build(db_dir: str, version: str) -> dict:
    with open(os.path.join(db_dir, "asset-database.json"), encoding="utf-8") as fh:
        adb = json.load(fh)
    with open(os.path.join(db_dir, "placement-annotations.json"), encoding="utf-8") as fh:
        pa = json.load(fh)
    with open(os.path.join(db_dir, "receptacles.json"), encoding="utf-8") as fh:
        rec = json.load(fh)

    covered = sorted(TEMPLATES)
    missing = [t for t in covered if t not in adb]
    if missing:
        raise SystemExit(f"templates for types ProcTHOR lacks: {missing}")

    def col(name, t, default=False):
        v = pa.get(name, {}).get(t)
        return default if v is None else v

    types, assets_index = {}, {}
    for t in covered:
        assets = adb[t]
        sizes = [_size(a) for a in assets]
        for a, s in zip(assets, sizes):
            assets_index[a["assetId"]] = [t, *s]
        secondary = [a.get("secondaryProperties") or [] for a in assets]
        primary = [a.get("primaryProperty") for a in assets]
        info = {
            "rooms": {room: float(col(c, t, 0) or 0) for room, c in ROOM_COLUMNS.items()},
            "on_floor": bool(col("onFloor", t)),
            "on_wall": bool(col("onWall", t)),
            "in_corner": bool(col("inCorner", t)),
            "in_middle": bool(col("inMiddle", t)),
            "on_edge": bool(col("onEdge", t)),
            "multiple_per_room": bool(col("multiplePerRoom", t)),
            "pickupable": bool(col("isPickupable", t, _majority(p == "CanPickup" for p in primary))),
            "movable": _majority(p in ("Moveable", "CanPickup") for p in primary),
            "receptacle": _majority("Receptacle" in s for s in secondary),
            "size_min": [min(s[i] for s in sizes) for i in range(3)],
            "size_max": [max(s[i] for s in sizes) for i in range(3)],
            "n_assets": len(assets),
            "variants": choose_variants(t, assets),
        }
        types[t] = info

    for o in OVERRIDES:
        types[o["type"]][o["field"]] = o["value"]

    receptacles = {}
    for r in covered:
        contents = {o: round(float(v["p"]), 4) for o, v in sorted(rec.get(r, {}).items()) if o in types and o != r}
        contents.update(RECEPTACLE_ADDITIONS.get(r, {}))
        contents = {o: p for o, p in sorted(contents.items()) if p > 0}
        if contents:
            receptacles[r] = contents
            types[r]["receptacle"] = True

    return {
        "attribution": {
            "source": f"procthor wheel {version} (PyPI: procthor), procthor/databases/"
                      "{asset-database,placement-annotations,receptacles}.json",
            "license": "Apache-2.0",
            "copyright": "Allen Institute for AI (AI2), ProcTHOR / AI2-THOR",
            "url": "https://github.com/allenai/procthor",
            "note": "Derived data: object types, asset ids, bounding-box sizes, placement annotations and receptacle "
                    "statistics. SAT-Env draws its own primitive shapes (sat_env/scene/shapes.py); no meshes are used.",
        },
        "generator": "tools/build_catalog.py",
        "overrides": OVERRIDES + [{"type": r, "field": "receptacle_contents", "value": v, "why": "added"}
                                  for r, v in RECEPTACLE_ADDITIONS.items()],
        "types": types,
        "receptacles": receptacles,
        "assets": dict(sorted(assets_index.items())),
    }


NOTICE = """SAT-Env asset catalog data (sat_env/scene/data/catalog_data.json, sat_env/scene/data/thor_assets.json)

These files are derived from the asset databases shipped in the `procthor` Python package
(version {version}, https://pypi.org/project/procthor/, https://github.com/allenai/procthor),
Copyright Allen Institute for AI (AI2), licensed under the Apache License, Version 2.0
(http://www.apache.org/licenses/LICENSE-2.0).

Used: object types, asset ids and bounding-box sizes (asset-database.json), room and placement
annotations (placement-annotations.json), receptacle statistics (receptacles.json).
Modifications: a subset of object types; per type a few size variants chosen by tools/build_catalog.py;
a few placement overrides listed in the "overrides" field of catalog_data.json. No meshes, textures or
images from AI2-THOR are included; SAT-Env draws its own primitive shapes (sat_env/scene/shapes.py).
thor_assets.json (tools/build_thor_assets.py): asset ids, object types and bounding-box sizes of the assets
of the other object types, and per type the median size and placement flags, so that ProcTHOR houses using
them render as boxes of the real size.
"""


def run_tool(argv, doc: str, default_out: str, build_fn, to_text, summary) -> int:
    """The command line shared by the tools that extract tables from the procthor wheel: fetch (or locate) its
    databases, build the table, write it and the attribution NOTICE next to it."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--procthor-dir", help="folder with the unpacked procthor wheel (or its databases folder)")
    ap.add_argument("--procthor-version", help="version string for the attribution (default: detected)")
    ap.add_argument("--out", default=default_out, help="output JSON path")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        db_dir = locate_databases(args.procthor_dir) if args.procthor_dir else fetch_wheel(tmp)
        version = args.procthor_version or detect_version(db_dir)
        data = build_fn(db_dir, version)

    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(to_text(data))
    with open(os.path.join(out_dir, NOTICE_NAME), "w", encoding="utf-8") as fh:
        fh.write(NOTICE.format(version=version))
    print(summary(args.out, data))
    return 0


def main(argv=None) -> int:
    def summary(out, data):
        n_var = sum(len(t["variants"]) for t in data["types"].values())
        return f"wrote {out}: {len(data['types'])} types, {n_var} variants, {len(data['assets'])} assets indexed"

    return run_tool(argv, __doc__, DEFAULT_OUT, build, lambda d: json.dumps(d, indent=1, sort_keys=False) + "\n",
                    summary)


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python
"""Build sat_env/scene/data/thor_assets.json: sizes of the AI2-THOR assets that the catalog does not draw.

ProcTHOR houses (e.g. ProcTHOR-10K) use every asset of ProcTHOR's asset database; the catalog
(``catalog_data.json``, see tools/build_catalog.py) knows only the assets of the object types SAT-Env has shape
templates for. This table lets the embedded backend still render the others at their real size:

- ``assets``: assetId -> [objectType, x, y, z] (bounding box, metres) for every asset of a type the catalog does
  not cover (the covered ones are already in ``catalog_data.json``);
- ``types``: objectType -> median size and flags, for all object types of the database: the fallback size of an
  assetId that neither table knows, and how a type without a template behaves (pickupable, receptacle, on the
  floor or on a wall).

Source: the ``procthor`` wheel on PyPI (Apache-2.0, Allen Institute for AI), ``procthor/databases/
{asset-database,placement-annotations}.json``. No runtime dependency on the package: the table is data.

Usage:
    python tools/build_thor_assets.py [--procthor-dir DIR] [--out PATH]

Without ``--procthor-dir`` the wheel is fetched with ``pip download --no-deps procthor`` (as build_catalog.py
does). The output is deterministic (sorted keys, sizes rounded to 0.1 mm).
"""

from __future__ import annotations

import json
import os
import statistics
import sys

TOOLS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TOOLS)
sys.path.insert(0, REPO)
sys.path.insert(0, TOOLS)

from build_catalog import _majority, run_tool  # noqa: E402

from sat_env.scene.shapes import TEMPLATES  # noqa: E402

DEFAULT_OUT = os.path.join(REPO, "sat_env", "scene", "data", "thor_assets.json")
DIGITS = 4


def _size(a: dict) -> list[float]:
    bb = a["boundingBox"]
    return [round(float(bb[k]), DIGITS) for k in "xyz"]


def build(db_dir: str, version: str) -> dict:
    with open(os.path.join(db_dir, "asset-database.json"), encoding="utf-8") as fh:
        adb = json.load(fh)
    with open(os.path.join(db_dir, "placement-annotations.json"), encoding="utf-8") as fh:
        pa = json.load(fh)

    def col(name: str, t: str) -> bool:
        return bool(pa.get(name, {}).get(t) or False)

    types, assets = {}, {}
    for t in sorted(adb):
        sizes = [_size(a) for a in adb[t]]
        primary = [a.get("primaryProperty") for a in adb[t]]
        secondary = [a.get("secondaryProperties") or [] for a in adb[t]]
        types[t] = {
            "size": [round(statistics.median(s[i] for s in sizes), DIGITS) for i in range(3)],
            "n_assets": len(sizes),
            "pickupable": _majority(p == "CanPickup" for p in primary),
            "movable": _majority(p in ("Moveable", "CanPickup") for p in primary),
            "receptacle": _majority("Receptacle" in s for s in secondary),
            "on_floor": col("onFloor", t),
            "on_wall": col("onWall", t),
        }
        if t not in TEMPLATES:  # covered types' assets are in catalog_data.json already
            for a, s in zip(adb[t], sizes):
                assets[a["assetId"]] = [t, *s]
    return {
        "attribution": {
            "source": f"procthor wheel {version} (PyPI: procthor), procthor/databases/"
                      "{asset-database,placement-annotations}.json",
            "license": "Apache-2.0",
            "copyright": "Allen Institute for AI (AI2), ProcTHOR / AI2-THOR",
            "url": "https://github.com/allenai/procthor",
            "note": "Derived data: asset ids, object types, bounding-box sizes (per type: median) and placement "
                    "flags. Used to render assets the catalog has no template for as boxes of their real size.",
        },
        "generator": "tools/build_thor_assets.py",
        "types": types,
        "assets": dict(sorted(assets.items())),
    }


def to_text(data: dict) -> str:
    """JSON with one type or asset per line: compact, and a rebuild's diff shows what changed."""
    lines = ["{"]
    keys = list(data)
    for k, key in enumerate(keys):
        end = "," if k < len(keys) - 1 else ""
        value = data[key]
        if key in ("types", "assets"):
            items = [f"  {json.dumps(n)}: {json.dumps(v, sort_keys=True)}" for n, v in value.items()]
            lines.append(f" {json.dumps(key)}: {{")
            lines.append(",\n".join(items))
            lines.append(f" }}{end}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, sort_keys=True)}{end}")
    return "\n".join(lines) + "\n}\n"


def main(argv=None) -> int:
    def summary(out, d):
        return f"wrote {out}: {len(d['types'])} types, {len(d['assets'])} assets without a template"

    return run_tool(argv, __doc__, DEFAULT_OUT, build, to_text, summary)


if __name__ == "__main__":
    raise SystemExit(main())

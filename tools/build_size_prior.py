#!/usr/bin/env python
"""Build qa/data/size_prior.json: how often each catalog asset is a `metric_size` candidate.

`metric_size` may pose "how tall / wide is X?" as a two-way choice whose distractor is the same measure of another
asset of X's type. For a model that knows the catalog but not the image to be at chance, the distractor must be
drawn from the distribution the truth itself comes from, and that is not uniform over a type's assets: the generator
places the assets that fit (no side table wider than 0.6 m beside a bed), and larger assets are more often visible
enough to be asked about. So the weights are counted where the truth is drawn: every candidate object of sampled
views of generated houses, weighted 1 / (candidates in the view), as `metric_size` picks one candidate per view.
(Uniform weights left the text-only baseline at 0.55 against chance 0.50 on 900 questions: docs/AUDIT.md.)

Usage:
    python tools/build_size_prior.py [--houses 1500] [--first-seed 1000000] [--size 224] [--out PATH]

Re-run it after changing the generator, the catalog or the candidate rules. The seeds are outside the ranges
exports and audits use.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from qa import visibility as vis  # noqa: E402
from qa.context import QAContext  # noqa: E402
from sat_env.backends.embedded import EmbeddedBackend  # noqa: E402
from sat_env.backends.views import sample_views  # noqa: E402
from sat_env.scene import generate_house  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--houses", type=int, default=1500)
    p.add_argument("--first-seed", type=int, default=1_000_000)
    p.add_argument("--views", type=int, default=4, help="views per house")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--out", default=os.path.join(REPO, "qa", "data", "size_prior.json"))
    a = p.parse_args(argv)
    backend = EmbeddedBackend(width=a.size, height=a.size)
    weights: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    views = 0
    for i, seed in enumerate(range(a.first_seed, a.first_seed + a.houses)):
        backend.load(generate_house(seed))
        for pose in sample_views(backend, np.random.default_rng(seed), a.views):
            backend.teleport(pose.x, pose.z, pose.yaw, pose.horizon)
            cands = QAContext(backend).candidates(rule=vis.SIZED)  # metric_size's candidates
            for c in cands:
                weights[c.object_type][backend.scene.objects[c.object_id].asset_id] += 1.0 / len(cands)
            views += 1
        if (i + 1) % 100 == 0:
            print(f"{i + 1}/{a.houses} houses", file=sys.stderr)
    backend.close()
    out = {"houses": a.houses, "first_seed": a.first_seed, "views": views, "size": a.size,
           "weights": {t: {k: round(v, 4) for k, v in sorted(w.items())} for t, w in sorted(weights.items())}}
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print(f"wrote {a.out}: {len(weights)} types from {views} views of {a.houses} houses")
    return 0


if __name__ == "__main__":
    sys.exit(main())

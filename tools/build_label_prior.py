#!/usr/bin/env python
"""Build qa/data/label_prior.json: which categories each family names, in order, for each target answer label.

The category balancer (qa/balance.py) accepts a question naming categories k with label l with probability
min over l' of q(k | l') / q(k | l), so that the names say nothing about the answer. q(k | l) is measured here: on
sampled views of generated houses, every family with answer labels is asked for every label (no balancer), and the
ordered category tuple of each question it returns is counted, as a whole, slot by slot, and (for tuples of three or
more) the first slot with each later one. For goal_aiming it also counts the turn size k of left/right answers, which
"straight" answers draw their k from (qa.dynamic.goal_turn_k).

Usage:
    python tools/build_label_prior.py [--houses 600] [--first-seed 1200000] [--size 224] [--out PATH]

Re-run it after changing the generator, the catalog, a family or the visibility rules. The seeds are outside the
ranges exports and audits use (and apart from tools/build_size_prior.py's).
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

from qa.balance import MIN_PAIR_STORED, category_key  # noqa: E402
from qa.sampler import load_families, sample_qa  # noqa: E402
from sat_env.backends.embedded import EmbeddedBackend  # noqa: E402
from sat_env.backends.views import sample_views  # noqa: E402
from sat_env.scene import generate_house  # noqa: E402

# Families whose questions name no object (nothing to balance per category).
UNNAMED = ("ego_movement", "camera_translation")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--houses", type=int, default=600)
    p.add_argument("--first-seed", type=int, default=1_200_000)
    p.add_argument("--views", type=int, default=4, help="views per house")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--out", default=os.path.join(REPO, "qa", "data", "label_prior.json"))
    p.add_argument("--families", nargs="+",
                   help="measure only these families and replace their entries in --out (default: all, a new file)")
    a = p.parse_args(argv)
    fams = {f: fam for f, fam in sorted(load_families().items()) if fam.labels and f not in UNNAMED
            and (not a.families or f in a.families)}
    unknown = sorted(set(a.families or ()) - set(fams))
    if unknown:
        p.error(f"no such family with answer labels and named objects: {unknown}")
    labels = {f: defaultdict(int) for f in fams}
    pairs = {f: defaultdict(lambda: defaultdict(int)) for f in fams}
    slots = {f: defaultdict(lambda: defaultdict(lambda: defaultdict(int))) for f in fams}
    # slot 0 with each later slot (relative_distance's reference object with each option): the scores of tuples of
    # three, which are too many to count whole
    with_first = {f: defaultdict(lambda: defaultdict(lambda: defaultdict(int))) for f in fams}
    turn_k = defaultdict(int)  # goal_aiming: k of left/right answers (what "straight" draws its k from)
    backend = EmbeddedBackend(width=a.size, height=a.size)
    views = 0
    for i, seed in enumerate(range(a.first_seed, a.first_seed + a.houses)):
        backend.load(generate_house(seed))
        rng = np.random.default_rng(seed)
        for pose in sample_views(backend, rng, a.views):
            backend.teleport(pose.x, pose.z, pose.yaw, pose.horizon)
            view = backend.view()
            views += 1
            for f, fam in fams.items():
                for lab in fam.labels:
                    qa = sample_qa(f, backend, rng, view=view, target_label=lab)
                    if qa is None:
                        continue
                    cats = category_key(qa, backend.scene.objects)
                    labels[f][lab] += 1
                    if f == "goal_aiming" and lab != "straight":
                        turn_k[str(qa.truth["k"])] += 1
                    pairs[f]["|".join(cats)][lab] += 1
                    for k, t in enumerate(cats):
                        slots[f][k][t][lab] += 1
                    if len(cats) >= 3:
                        for k in range(1, len(cats)):
                            with_first[f][k][f"{cats[0]}|{cats[k]}"][lab] += 1
        if (i + 1) % 50 == 0:
            print(f"{i + 1}/{a.houses} houses", file=sys.stderr, flush=True)
    backend.close()
    run = {"houses": a.houses, "first_seed": a.first_seed, "views": views, "size": a.size}
    out = {**run, "families": {}}
    if a.families:  # a partial rebuild: keep the other families' entries and the header that describes them
        with open(a.out, encoding="utf-8") as fh:
            out = json.load(fh)
        out["rebuilt"] = {**out.get("rebuilt", {}), **{f: run for f in fams}}
    for f, fam in fams.items():
        n_slots = max((len(k.split("|")) for k in pairs[f]), default=0)
        out["families"][f] = {
            "labels": {lab: labels[f][lab] for lab in fam.labels},
            # tuples seen often enough to say something of their own (the rest are scored slot by slot)
            "pairs": {k: dict(sorted(v.items())) for k, v in sorted(pairs[f].items())
                      if sum(v.values()) >= MIN_PAIR_STORED},
            "slots": [{t: dict(sorted(v.items())) for t, v in sorted(slots[f][k].items())} for k in range(n_slots)],
        }
        if with_first[f]:
            out["families"][f]["with_first"] = [{p: dict(sorted(v.items())) for p, v in sorted(with_first[f][k].items())}
                                                for k in range(1, n_slots)]
    if "goal_aiming" in fams:
        out["families"]["goal_aiming"]["turn_k"] = dict(sorted(turn_k.items()))
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=None, sort_keys=True, separators=(",", ":"))
        fh.write("\n")
    print(f"wrote {a.out}: {len(fams)} families from {views} views of {a.houses} houses")
    return 0


if __name__ == "__main__":
    sys.exit(main())

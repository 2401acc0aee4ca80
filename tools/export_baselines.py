#!/usr/bin/env python
"""Blind baselines on questions sampled the way `sat export` samples them, split by shard.

`sat audit` draws each family's label per attempt in its own loop. An export runs one QA env per shard (target
labels kept until asked, lagging labels drawn more often, owed questions, questions deduplicated per house), and that
loop can unbalance what the audit's does not. This script runs the export's loop over `--shards` shards of the train
split (same house ranges and seeds as `sat export`), trains the two blind baselines of `sat audit` (bag of words;
categories in order + template + choices) on the even shards and tests them on the odd ones and the other way round,
and prints, per family, their accuracy next to chance and the label counts. Images are rendered small (`--size`):
the rules are scale-free and no baseline looks at pixels.

Usage:
    python tools/export_baselines.py --mix static --shards 40 --per-shard 250
    python tools/export_baselines.py --mix dynamic --shards 40 --per-shard 250
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter, defaultdict

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from qa.audit import TextBaseline, blind_features, bow_features  # noqa: E402
from qa.balance import category_key  # noqa: E402
from sat_env.envs.qa_env import SATQAEnv  # noqa: E402
from sat_env.export import HOUSES_PER_SHARD  # noqa: E402
from sat_env.splits import QUESTIONS_PER_HOUSE, SPLIT_CODE, SPLIT_HOUSE_BASE


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mix", default="sat", help="a mix name (qa.mixes) or a JSON object family -> weight")
    p.add_argument("--shards", type=int, default=40, help="shards (each its own env, as in an export); at least 2")
    p.add_argument("--per-shard", type=int, default=250, help="questions per shard")
    p.add_argument("--size", type=int, default=96, help="image size (default 96: the rules are scale-free)")
    a = p.parse_args(argv)
    if a.shards < 2:
        p.error("--shards must be at least 2 (the baselines train on even shards and test on odd ones)")
    mix = json.loads(a.mix) if a.mix.lstrip().startswith("{") else a.mix
    items = defaultdict(list)  # family -> (shard, question, choices, correct, template, categories, label)
    for k in range(a.shards):
        base = SPLIT_HOUSE_BASE["train"] + k * HOUSES_PER_SHARD
        env = SATQAEnv(mix=mix, size=a.size, num_questions=QUESTIONS_PER_HOUSE,
                       houses=list(range(base, base + HOUSES_PER_SHARD)))
        env.reset(seed=int(np.random.SeedSequence([0, SPLIT_CODE["train"], k]).generate_state(1)[0]))
        for _ in range(a.per_shard):
            priv = env.privileged()
            qa = priv["qa"]
            if len(qa.choices) > 1:
                items[qa.family].append((k, qa.question, qa.choices, qa.correct, qa.template or "",
                                         category_key(qa, priv["backend"].scene.objects), qa.label))
            if not env.next_question():
                env.reset()
        env.close()
        print(f"shard {k + 1}/{a.shards}", file=sys.stderr, flush=True)

    print(f"{'family':20}{'n':>6}{'bow':>7}{'blind':>7}{'chance':>8}  labels")
    for fam, its in sorted(items.items()):
        halves = ([i for i in its if i[0] % 2 == 0], [i for i in its if i[0] % 2 == 1])

        def accuracy(features, item):
            right = 0.0
            for train, test in (halves, halves[::-1]):
                if train and test:
                    right += TextBaseline(features=features).fit([item(i) for i in train]).accuracy(
                        [item(i) for i in test]) * len(test)
            return right / len(its)

        bow = accuracy(bow_features, lambda i: (i[1], i[2], i[3]))
        blind = accuracy(blind_features, lambda i: ((i[4], tuple(i[5])), i[2], i[3]))
        chance = float(np.mean([1 / len(i[2]) for i in its]))
        labels = dict(sorted(Counter(i[6] for i in its).items()))
        print(f"{fam:20}{len(its):>6}{bow:>7.3f}{blind:>7.3f}{chance:>8.3f}  {labels}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

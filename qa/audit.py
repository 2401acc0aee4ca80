"""The statistics of ``sat audit`` (which sat_env/tasks/audit.py samples): sampling rates, answer balance, two blind
baselines and the picture rules per family.

Two baselines see no image, only the text, and are trained on half of a family's QAs and tested on the other half
(two-fold). If one beats chance, the text leaks the answer:

- *bag-of-words*: logistic regression on the question's words and word pairs, the choice's words, their pairwise
  conjunctions and the choice's position;
- *blind*: logistic regression on what a bag of words cannot see, the categories of the named objects *in order*
  (first named, second named), the wording template, the choice (object names replaced by their slot), its
  position and, for numbers, its rank among the choices and its size bucket, with every context-choice
  conjunction. It knows "the pillow (first) above the bed (second)" and each category's typical size: the priors a
  model can learn from names alone.

Each QA is also checked against the picture rules (qa.visibility) by qa.rulecheck, from the rendered ids, depth and
frames, independently of the code that sampled it: the share of QAs that break each rule (goal: 0).
"""

from __future__ import annotations

import re
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from qa.context import category_name
from qa.rulecheck import RULES

HASH_DIM = 1 << 15
MIN_GROUP = 30  # position balance is judged on groups (questions with the same number of choices) of this size


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z]+|\d+", text.lower())


def _h(s: str) -> int:
    return zlib.crc32(s.encode()) % (HASH_DIM - 1) + 1  # 0 is the padding feature


def choice_features(question: str, choice: str, position: int) -> list[int]:
    words = _tokens(question)
    # words and word pairs of the question: "turn right ... left or right" differs from "turn left ... left or right"
    # only in a pair
    q = sorted(set(words) | {f"{a}_{b}" for a, b in zip(words, words[1:])})
    c = sorted(set(_tokens(choice)))
    feats = [_h(f"q:{w}") for w in q] + [_h(f"c:{w}") for w in c] + [_h(f"p:{position}")]
    feats += [_h(f"qc:{a}|{b}") for a in q for b in c]
    return feats


def bow_features(item, k: int) -> list[int]:
    """The bag-of-words baseline's features of choice k of an item (question, choices, correct)."""
    question, choices, _ = item
    return choice_features(question, choices[k], k)


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def blind_features(item, k: int) -> list[int]:
    """The blind baseline's features of choice k of an item ((template, categories in order), choices, correct)."""
    (template, cats), choices, _ = item
    choice = choices[k].lower()
    for i, t in sorted(enumerate(cats), key=lambda it: -len(category_name(it[1]))):
        choice = choice.replace(category_name(t), f"<{i}>")
    pair = "|".join(cats)
    ctx = [f"t:{template}", f"p:{pair}", f"tp:{template}|{pair}"]
    ctx += [f"c{i}:{t}" for i, t in enumerate(cats)] + [f"tc{i}:{template}|{t}" for i, t in enumerate(cats)]
    ch = [f"ch:{choice}", f"pos:{k}"]
    named = [t for t in cats if category_name(t) in choices[k].lower()]
    if named:  # a choice naming an object: its category too ("the chair" as the answer to "closer to the table")
        ch.append(f"chc:{named[0]}")
    nums = [float(m.group()) if (m := _NUMBER.search(c)) else None for c in choices]
    if nums[k] is not None and all(v is not None for v in nums):
        ch += [f"rank:{sorted(nums).index(nums[k])}", f"size:{int(np.floor(np.log(max(nums[k], 1e-3)) / np.log(1.25)))}"]
    return [_h(f) for f in ch] + [_h(f"{a}&{b}") for a in ctx for b in ch]


@dataclass
class TextBaseline:
    """Logistic regression over hashed features of (context, choice) pairs; predicts the highest-scoring choice.

    Items are (context, choices, correct); `features(item, k)` gives choice k's hashed features (default: the
    bag-of-words of the question = context and the choice)."""

    l2: float = 1e-2  # strong enough that noise does not fit below chance; a real leak survives it
    epochs: int = 300
    lr: float = 0.5
    w: np.ndarray = field(default_factory=lambda: np.zeros(HASH_DIM))
    features: Callable = bow_features

    def _rows(self, items):
        rows, ys, groups = [], [], []
        for g, item in enumerate(items):
            correct = item[2]
            for k in range(len(item[1])):
                rows.append(self.features(item, k))
                ys.append(1.0 if k == correct else 0.0)
                groups.append(g)
        width = max((len(r) for r in rows), default=1)
        idx = np.zeros((len(rows), width), dtype=np.int64)
        for i, r in enumerate(rows):
            idx[i, : len(r)] = r
        return idx, np.array(ys), np.array(groups)

    def fit(self, items) -> "TextBaseline":
        idx, y, _ = self._rows(items)
        w = np.zeros(HASH_DIM)
        n = max(len(y), 1)
        for _ in range(self.epochs):
            z = w[idx].sum(axis=1)
            p = 1.0 / (1.0 + np.exp(-z))
            grad = np.zeros(HASH_DIM)
            np.add.at(grad, idx, ((p - y) / n)[:, None])
            grad[0] = 0.0
            w -= self.lr * (grad + self.l2 * w)
        self.w = w
        return self

    def accuracy(self, items) -> float:
        if not items:
            return float("nan")
        idx, _, groups = self._rows(items)
        scores = self.w[idx].sum(axis=1)
        right = 0
        for g, (_, choices, correct) in enumerate(items):
            s = scores[groups == g]
            right += int(np.argmax(s) == correct)
        return right / len(items)


def two_fold(items, features=bow_features, groups=None) -> float:
    """Accuracy of a TextBaseline trained on one half of `items` and tested on the other, and the other way round
    (every item tested once); NaN with fewer than 20 items. With `groups` (one key per item, e.g. its house), the
    halves are unions of whole groups, so the baseline is tested on houses it never saw: what it learns then is a
    prior of the text, not the facts of a house that several questions share."""
    half = len(items) // 2
    if half < 10:
        return float("nan")
    if groups is None:
        perm = np.random.default_rng(0).permutation(len(items))
        a, b = [items[i] for i in perm[:half]], [items[i] for i in perm[half:]]
    else:
        keys = sorted(set(groups))
        side = {k: j % 2 for j, k in enumerate(keys[i] for i in np.random.default_rng(0).permutation(len(keys)))}
        a = [it for it, g in zip(items, groups) if side[g] == 0]
        b = [it for it, g in zip(items, groups) if side[g] == 1]
        if min(len(a), len(b)) < 10:
            return float("nan")
    right = (TextBaseline(features=features).fit(a).accuracy(b) * len(b)
             + TextBaseline(features=features).fit(b).accuracy(a) * len(a))
    return right / len(items)


@dataclass
class FamilyStats:
    family: str
    attempts: int = 0
    qas: list = field(default_factory=list)
    categories: list = field(default_factory=list)  # per QA: the named objects' categories in order
    houses: list = field(default_factory=list)  # per QA: its house (the baselines' folds keep houses whole)
    breaks: list = field(default_factory=list)  # per QA: qa.rulecheck.check's result
    valid_views: int = 0  # attempts whose view had a valid instance for some answer label (before balancing)

    def row(self, labels) -> dict:
        n = len(self.qas)
        out = {"family": self.family, "count": n, "attempts": self.attempts,
               "success_rate": n / self.attempts if self.attempts else float("nan"),
               "view_rate": self.valid_views / self.attempts if self.attempts else float("nan")}
        lab = Counter(q.label for q in self.qas)
        if labels:
            fr = [lab[k] / n if n else 0.0 for k in labels]
            out["label_balance"] = " ".join(f"{k}:{f:.2f}" for k, f in zip(labels, fr))
            out["label_max_dev_pts"] = 100 * max(abs(f - 1 / len(labels)) for f in fr) if n else float("nan")
        else:
            out["label_balance"] = f"{len(lab)} distinct"
            out["label_max_dev_pts"] = float("nan")
        by_n = defaultdict(list)
        for q in self.qas:
            by_n[len(q.choices)].append(q.correct)
        dev = 0.0
        for k, cs in by_n.items():
            if len(cs) < MIN_GROUP:  # a handful of 4-choice questions says nothing about position balance
                continue
            c = Counter(cs)
            dev = max(dev, max(abs(c[i] / len(cs) - 1 / k) for i in range(k)))
        out["position_max_dev_pts"] = 100 * dev if n else float("nan")
        # The baselines run on the multiple-choice QAs (metric families also pose free-form numbers, which have no
        # chance level); `chance` is over the same QAs.
        mc = [i for i, q in enumerate(self.qas) if len(q.choices) > 1]
        out["multiple_choice"] = len(mc)
        chance = float(np.mean([1 / len(self.qas[i].choices) for i in mc])) if mc else float("nan")
        groups = [self.houses[i] for i in mc] if len(self.houses) == len(self.qas) else None
        out["text_only_acc"] = two_fold([(self.qas[i].question, self.qas[i].choices, self.qas[i].correct)
                                         for i in mc], groups=groups)
        out["blind_acc"] = two_fold([((self.qas[i].template or "", tuple(self.categories[i])), self.qas[i].choices,
                                      self.qas[i].correct) for i in mc], blind_features, groups=groups)
        out["chance"] = chance
        out["text_only_se"] = float(np.sqrt(chance * (1 - chance) / len(mc))) if len(mc) >= 20 else float("nan")
        # Picture rules: share of all QAs that break each (NaN where the rule applies to none of them).
        for r in RULES:
            applies = [b[r] for b in self.breaks if b[r] is not None]
            out[f"break_{r}"] = float(np.mean(applies)) * len(applies) / n if applies else float("nan")
        out["break_any"] = float(np.mean([any(bool(v) for v in b.values()) for b in self.breaks])) \
            if self.breaks else float("nan")
        return out

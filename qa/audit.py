"""Auditing the question engine: sampling rates, answer balance, and a text-only baseline per family.

The text-only baseline is a bag-of-words logistic regression that sees the question and the choices but no image
(unigrams of the question, of the choice, their pairwise conjunctions, and the choice's position), trained on half
of a family's QAs and tested on the other half. If it beats chance, the wording leaks the answer.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

HASH_DIM = 1 << 15
MAX_ATTEMPTS_PER_QA = 12  # a family that needs more attempts than this per QA is reported short, not waited for
MIN_GROUP = 30  # position balance is judged on groups (questions with the same number of choices) of this size


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z]+|\d+", text.lower())


def _h(s: str) -> int:
    return zlib.crc32(s.encode()) % (HASH_DIM - 1) + 1  # 0 is the padding feature


def choice_features(question: str, choice: str, position: int) -> list[int]:
    q, c = sorted(set(_tokens(question))), sorted(set(_tokens(choice)))
    feats = [_h(f"q:{w}") for w in q] + [_h(f"c:{w}") for w in c] + [_h(f"p:{position}")]
    feats += [_h(f"qc:{a}|{b}") for a in q for b in c]
    return feats


@dataclass
class TextBaseline:
    """Logistic regression over hashed features of (question, choice) pairs; predicts the highest-scoring choice."""

    l2: float = 1e-2  # strong enough that noise does not fit below chance; a real leak survives it
    epochs: int = 300
    lr: float = 0.5
    w: np.ndarray = field(default_factory=lambda: np.zeros(HASH_DIM))

    @staticmethod
    def _rows(items):
        rows, ys, groups = [], [], []
        for g, (question, choices, correct) in enumerate(items):
            for k, ch in enumerate(choices):
                rows.append(choice_features(question, ch, k))
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


@dataclass
class FamilyStats:
    family: str
    attempts: int = 0
    qas: list = field(default_factory=list)
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
        # The text-only baseline runs on the multiple-choice QAs (metric families also pose free-form numbers,
        # which have no chance level); `chance` is over the same QAs.
        mc = [q for q in self.qas if len(q.choices) > 1]
        out["multiple_choice"] = len(mc)
        items = [(q.question, q.choices, q.correct) for q in mc]
        half = len(items) // 2
        chance = float(np.mean([1 / len(q.choices) for q in mc])) if mc else float("nan")
        if half >= 10:
            # Two-fold: train on one half, test on the other, and the other way round; every QA is tested once.
            rng = np.random.default_rng(0)
            perm = rng.permutation(len(items))
            a, b = [items[i] for i in perm[:half]], [items[i] for i in perm[half:]]
            right = TextBaseline().fit(a).accuracy(b) * len(b) + TextBaseline().fit(b).accuracy(a) * len(a)
            acc = right / len(items)
            se = float(np.sqrt(chance * (1 - chance) / len(items)))
        else:
            acc = se = float("nan")
        out["text_only_acc"] = acc
        out["chance"] = chance
        out["text_only_se"] = se
        return out


def run_audit(n: int, families: list[str], size: int = 224, seed: int = 0, views_per_house: int = 4,
              progress=None, balance: bool = True) -> list[dict]:
    """Sample about `n` QAs spread over `families` from generated houses; return one stats row per family.

    With `balance`, QAs pass a :class:`~qa.balance.CategoryBalancer` (as a dataset export does), so the audit
    measures the data a model would be trained on; rejected samples count as failed attempts. ``success_rate`` is
    accepted QAs per attempt (the target label is fixed in advance, for balance); ``view_rate`` is the fraction of
    attempted views on which the family has a valid instance for at least one answer label.
    """
    from qa.balance import CategoryBalancer
    from qa.sampler import load_families, sample_qa
    from sat_env.backends.embedded import EmbeddedBackend
    from sat_env.backends.views import sample_views
    from sat_env.scene import generate_house

    fams = load_families()
    stats = {f: FamilyStats(f) for f in families}
    backend = EmbeddedBackend(width=size, height=size)
    per_family = max(1, n // len(families))
    house_seed = seed
    # The target label is drawn once and kept until some view yields it: families succeed more often for some
    # labels (e.g. 3 o'clock vs 5 o'clock), and redrawing on failure would skew the answers toward the easy ones.
    targets: dict[str, str | None] = {f: None for f in families}
    label_rng = np.random.default_rng(seed)
    balancer = CategoryBalancer({f: fams[f].labels for f in families}) if balance else None
    max_attempts = MAX_ATTEMPTS_PER_QA * per_family

    def unfinished(f):
        return len(stats[f].qas) < per_family and stats[f].attempts < max_attempts

    while any(unfinished(f) for f in families):
        backend.load(generate_house(house_seed))
        rng = np.random.default_rng(np.random.SeedSequence([seed, house_seed]))
        probe_rng = np.random.default_rng(np.random.SeedSequence([seed, house_seed, 1]))  # view_rate probes only
        for pose in sample_views(backend, rng, views_per_house):
            for f in families:
                if not unfinished(f):
                    continue
                labels = fams[f].labels
                if labels and targets[f] is None:
                    targets[f] = labels[int(label_rng.integers(len(labels)))]
                backend.teleport(pose.x, pose.z, pose.yaw, pose.horizon)
                stats[f].attempts += 1
                qa = sample_qa(f, backend, rng, target_label=targets[f])
                if qa is not None or any(sample_qa(f, backend, probe_rng, target_label=t) is not None
                                         for t in (labels or ()) if t != targets[f]):
                    stats[f].valid_views += 1
                if qa is not None and balancer is not None and not balancer.accept(qa, backend.scene.objects):
                    # The label was possible here but is ahead for these categories: draw a new target (keeping it
                    # would stall the family whenever that label is the one the balancer holds back).
                    qa, targets[f] = None, None
                if qa is not None:
                    targets[f] = None
                    qa.frames = {}  # keep memory flat: the audit needs text and labels only
                    stats[f].qas.append(qa)
        house_seed += 1
        if progress:
            progress(sum(len(s.qas) for s in stats.values()), per_family * len(families), house_seed - seed)
    backend.close()
    return [stats[f].row(fams[f].labels) for f in families]


def write_chart(rows: list[dict], path) -> None:
    """Bar chart PNG: text-only accuracy (blue) next to chance (grey) and sampling success rate (green), per family."""
    from sat_env.viz import grouped_bars

    grouped_bars(rows, "family", [("text_only_acc", (40, 90, 200)), ("chance", (160, 160, 160)),
                                  ("success_rate", (40, 160, 60))],
                 "text-only accuracy (blue), chance (grey), sampling success rate (green)", path)

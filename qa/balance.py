"""Balancing answers per category: a dataset-level guard against text-only shortcuts.

Families balance their labels overall by construction (the target label is drawn uniformly), but the world has
regularities: a bed is usually the one object straight ahead, books come in ones, a pillow is above a bed. A model
that reads only the question can learn "bed -> straight" or "pillow first, bed second -> above".

The :class:`CategoryBalancer` removes what the names say about the answer by acceptance sampling. For each family,
``qa/data/label_prior.json`` (built by ``tools/build_label_prior.py`` from views of houses no split uses) holds how
often each ordered tuple of categories (first named, second named, ...) is what the family picks for each target
label: q(k | l). A question naming categories k with label l is accepted with probability

    a(k, l) = min over labels l' of q(k | l') / q(k | l),

so that accepted questions have P(l | k) uniform: the categories, and which one comes first, say nothing about the
answer. The decision is a draw from the sampler's own RNG, made while the family chooses its objects
(``QAContext.open``), so a family turned away from one pair tries the next. That keeps yields up but is not exact:
pairs the balancer rarely refuses take over part of the share of those it refuses often (docs/AUDIT.md measures
what is left). Refusing the question on that view instead is exact but cut above_below's yield from 0.14 to 0.05
and size_compare's from 0.49 to 0.29 per attempt. Shards of an export need no shared state: the balance holds over
the whole dataset, not within each shard. A tuple's own counts are shrunk toward the product of its categories'
shares slot by slot (q(slot i = t_i | l); for tuples of three, the first category with each of the others), so that
tuples seen rarely are scored mostly by what a model that learns category by category exploits, and often-seen ones
by their own skew. Wording needs no key: every family draws its template
independently of the answer. `sat audit`'s blind baseline (categories in order, template, choices) checks the result.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

MIN_PAIR_STORED = 3  # the prior keeps the counts of category tuples seen at least this often (over all labels)
PAIR_PSEUDO = 5.0  # a tuple's own counts are shrunk toward the slot-by-slot estimate with this many pseudo-samples
SMOOTHING = 0.5  # additive smoothing of the slot counts (a label never seen with a category is rare, not impossible)


def category_key(qa, records) -> tuple[str, ...]:
    """The object types a QA is balanced on, in the order the question names them: ``truth["balanced_on"]`` where a
    family records which objects it asked the balancer about (the one object a "which object" form is about, among
    the others it marks), else ``qa.objects`` (the first-named object first); count's one category."""
    if qa.family == "count":
        return (qa.truth.get("object_type", ""),)
    ids = qa.truth.get("balanced_on", qa.objects)
    return tuple(records[o].object_type for o in ids if o in records)


@functools.lru_cache(maxsize=1)
def label_prior() -> dict:
    """The measured q(categories | label) counts per family (qa/data/label_prior.json)."""
    ref = resources.files("qa").joinpath("data/label_prior.json")
    with ref.open("r", encoding="utf-8") as fh:
        return json.load(fh)["families"]


class CategoryBalancer:
    """Accept a family's (categories, label) with the probability that makes labels independent of the categories.

    Args:
        prior: family -> counts as in qa/data/label_prior.json (default: that file); read once per category tuple,
            so it must not change after the balancer is made.
    """

    def __init__(self, prior: dict | None = None):
        self.prior = label_prior() if prior is None else prior
        self._q: dict[tuple, dict[str, float] | None] = {}  # (family, categories) -> q(k | l) per label, as computed

    def acceptance(self, family: str, categories: tuple[str, ...], label: str | None) -> float:
        """a(k, l) for this family; 1 where the family, the label or the categories are not in the prior.

        P(l | k) is estimated from the tuple's own counts n_k(l), shrunk toward the slot-by-slot estimate s_k(l)
        with PAIR_PSEUDO pseudo-samples: (n_k(l) + PAIR_PSEUDO s_k(l)) / (n_k + PAIR_PSEUDO). A tuple seen often is
        scored by its own counts; a rare one mostly slot by slot, but a skew it shows in a few samples still counts
        (the slot-by-slot product cannot see that a pillow named before a dresser is above it: pillows are above or
        below many things, dressers too)."""
        fam = self.prior.get(family)
        if fam is None or not categories or not fam["labels"].get(label):
            return 1.0
        key = (family, categories)
        if key not in self._q:  # asked for every pair a family considers: computed once per tuple
            self._q[key] = self._tuple_q(fam, categories)
        q = self._q[key]
        return 1.0 if q is None else min(q.values()) / q[label]

    def _tuple_q(self, fam: dict, categories: tuple[str, ...]) -> dict[str, float] | None:
        """q(k | l) per label up to a common factor (see acceptance); None where the prior knows nothing of k."""
        labels = [lab for lab, n in fam["labels"].items() if n > 0]
        totals = {lab: fam["labels"][lab] for lab in labels}
        slot = self._slot_q(fam, categories, labels)
        pair = fam["pairs"].get("|".join(categories), {})
        if slot is None and not any(pair.get(lab) for lab in labels):
            return None
        # P(l | k) by the slot model (q(k | l) N_l, normalised); label shares where there is none
        base = {lab: (slot[lab] if slot else 1.0) * totals[lab] for lab in labels}
        z = sum(base.values())
        # q(k | l) up to a common factor: P(l | k) / N_l
        return {lab: (pair.get(lab, 0) + PAIR_PSEUDO * base[lab] / z) / totals[lab] for lab in labels}

    @staticmethod
    def _slot_q(fam: dict, categories: tuple[str, ...], labels: list[str]) -> dict[str, float] | None:
        """q(k | l) as the product of the categories' shares slot by slot (tuples of three: the first category with
        each of the others); None where the prior has another number of slots."""
        if len(categories) != len(fam["slots"]):
            return None

        def share(table: dict, key: str, lab: str) -> float:
            return (table.get(key, {}).get(lab, 0) + SMOOTHING) / (fam["labels"][lab] + SMOOTHING * max(len(table), 1))

        q = {}
        for lab in labels:
            if fam.get("with_first"):
                # q(a, b, c) ~ q(a, b) q(a, c) / q(a): the reference object with each option, whose affinity
                # ("a chair is near a table") is what the answer of a tuple of three hangs on
                p = share(fam["slots"][0], categories[0], lab)
                for k, table in enumerate(fam["with_first"], start=1):
                    p *= share(table, f"{categories[0]}|{categories[k]}", lab) / share(fam["slots"][0], categories[0], lab)
            else:
                p = 1.0
                for slot, t in zip(fam["slots"], categories):
                    p *= share(slot, t, lab)
            q[lab] = p
        return q

    def allows(self, family: str, categories: tuple[str, ...], label: str | None, rng) -> bool:
        """Draw whether a question of `family` naming `categories` (in order) with answer `label` is kept."""
        a = self.acceptance(family, tuple(categories), label)
        return a >= 1.0 or float(rng.random()) < a

"""Balancing answers per category: a dataset-level guard against text-only shortcuts.

Families balance their labels overall by construction, but the world has regularities: a bed is usually the one
object straight ahead, books come in ones, a pillow is above a bed. A model that reads only the question can learn
"bed -> straight" or "pillow first, bed second -> above". The :class:`CategoryBalancer` counts each answer label under
several keys of a QA and accepts a new QA only if, under every key, its label is not ahead of that key's rarest
label by more than ``slack``:

- the *ordered* tuple of the object categories the question names (first named, second named, ...);
- each category in its slot ("pillow, named first"): most category pairs occur once or twice in a dataset, so pair
  keys alone leave the label of a rare pair to the world's prior, which a model learns from the categories one by
  one (the audit's blind baseline reached 0.74 on above_below with pair keys only).

Families ask :meth:`CategoryBalancer.allows` (through ``QAContext.open``) while they choose objects, so they pick
objects whose keys are open instead of building questions that would be turned away. The wording needs no key: every
family draws its template independently of the answer label, so the template says nothing about the answer (the
audit's blind baseline, which sees the template, checks it).

Over a dataset every key's labels end up (near) uniform, so neither the categories nor which of them comes first
says anything about the answer.
"""

from __future__ import annotations

from collections import defaultdict


def category_key(qa, records) -> tuple[str, ...]:
    """The object types a QA names, in the order the QA lists them (``qa.objects``: the first-named object first),
    from the scene's object records; count's one category."""
    if qa.family == "count":
        return (qa.truth.get("object_type", ""),)
    return tuple(records[o].object_type for o in qa.objects if o in records)


# How far a label may run ahead of the rarest one for a category in one slot. A category's slot key gathers every
# question naming it there, so it fills up: a slack of 2 keeps what a model could learn from one category under
# 2 / (its questions) while letting categories with a strong prior (a painting is above most things) still be asked.
SLOT_SLACK = 2


class CategoryBalancer:
    """Accept or reject QAs so that answer labels stay near-uniform per family under every key of :func:`keys`.

    Args:
        labels: family -> its label tuple (families without closed labels are always accepted).
        slack: how far one label may run ahead of a key's rarest label.
    """

    def __init__(self, labels: dict[str, tuple[str, ...] | None], slack: int = 1, slot_slack: int = SLOT_SLACK):
        self.labels = labels
        self.slack = slack
        self.slot_slack = slot_slack
        self.counts: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def allows(self, family: str, categories: tuple[str, ...], label: str | None) -> bool:
        """Would a QA of `family` naming `categories` (in order) with answer `label` be accepted?"""
        labs = self.labels.get(family)
        if not labs or label not in labs or not categories:
            return True  # nothing named, nothing to balance per category (the target labels are uniform)
        for k in keys(family, categories):
            c = self.counts.get(k)
            slack = self.slack if k[1] == "categories" else self.slot_slack
            if c is not None and c.get(label, 0) - min(c.get(lab, 0) for lab in labs) >= slack:
                return False
        return True

    def accept(self, qa, records) -> bool:
        cats = category_key(qa, records)
        if not self.allows(qa.family, cats, qa.label):
            return False
        if cats and self.labels.get(qa.family) and qa.label in self.labels[qa.family]:
            for k in keys(qa.family, cats):
                self.counts[k][qa.label] += 1
        return True


def keys(family: str, categories: tuple[str, ...]) -> list[tuple]:
    """The keys a QA's label is balanced under: its family with the ordered categories, and with each category in
    its slot."""
    return [(family, "categories", tuple(categories)), *[(family, f"slot {i}", c) for i, c in enumerate(categories)]]

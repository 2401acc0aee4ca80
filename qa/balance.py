"""Balancing answers per category: a dataset-level guard against text-only shortcuts.

Families balance their labels overall by construction, but the world has regularities: a bed is usually the one
object straight ahead, books come in ones. A model that reads only the question can learn "bed -> straight". The
:class:`CategoryBalancer` keeps, per family and per bag of object categories named in the question, the count of
each answer label, and accepts a new QA only if its label is not ahead of that bag's rarest label by more than
``slack``. Over a dataset every bag's labels end up (near) uniform, so the categories say nothing about the answer.
"""

from __future__ import annotations

from collections import defaultdict


def category_bag(qa, records) -> tuple[str, ...]:
    """The sorted object types a QA names (what a bag-of-words reader sees), from the scene's object records."""
    if qa.family == "count":
        return (qa.truth.get("object_type", ""),)
    return tuple(sorted(records[o].object_type for o in qa.objects if o in records))


class CategoryBalancer:
    """Accept or reject QAs so that each (family, category bag) has near-uniform answer labels.

    Args:
        labels: family -> its label tuple (families without closed labels are always accepted).
        slack: how far one label may run ahead of the bag's rarest label.
    """

    def __init__(self, labels: dict[str, tuple[str, ...] | None], slack: int = 1):
        self.labels = labels
        self.slack = slack
        self.counts: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def accept(self, qa, records) -> bool:
        labs = self.labels.get(qa.family)
        if not labs or qa.label not in labs:
            return True
        key = (qa.family, category_bag(qa, records))
        c = self.counts[key]
        if c[qa.label] - min(c[lab] for lab in labs) >= self.slack:
            return False
        c[qa.label] += 1
        return True

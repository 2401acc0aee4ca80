"""Balancing answers per category: a dataset-level guard against text-only shortcuts.

Families balance their labels overall by construction, but the world has regularities: a bed is usually the one
object straight ahead, books come in ones, a pillow is above a bed. A model that reads only the question can learn
"bed -> straight" or "pillow first, bed second -> above". The :class:`CategoryBalancer` keeps, per family, per
*ordered* tuple of the object categories a question names (first named, second named, ...) and per wording (the
question template), the count of each answer label, and accepts a new QA only if its label is not ahead of that
key's rarest label by more than ``slack``. Over a dataset every key's labels end up (near) uniform, so neither the
categories, nor which of them comes first, nor the wording says anything about the answer.
"""

from __future__ import annotations

from collections import defaultdict


def category_key(qa, records) -> tuple[str, ...]:
    """The object types a QA names, in the order the QA lists them (``qa.objects``: the first-named object first),
    from the scene's object records; count's one category."""
    if qa.family == "count":
        return (qa.truth.get("object_type", ""),)
    return tuple(records[o].object_type for o in qa.objects if o in records)


class CategoryBalancer:
    """Accept or reject QAs so that each (family, ordered categories, wording) has near-uniform answer labels.

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
        key = (qa.family, category_key(qa, records), qa.template)
        c = self.counts[key]
        if c[qa.label] - min(c[lab] for lab in labs) >= self.slack:
            return False
        c[qa.label] += 1
        return True

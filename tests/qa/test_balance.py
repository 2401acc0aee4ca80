"""The category balancer keeps answers uniform per (family, categories named)."""

from __future__ import annotations

from types import SimpleNamespace

from qa.balance import CategoryBalancer


def _qa(label, types, family="goal_aiming"):
    return SimpleNamespace(family=family, label=label, objects=[f"{t}|{i}" for i, t in enumerate(types)], truth={})


def test_rejects_labels_that_run_ahead_per_category():
    records = {f"{t}|{i}": SimpleNamespace(object_type=t) for t in ("Bed", "Chair") for i in range(3)}
    b = CategoryBalancer({"goal_aiming": ("left", "right", "straight")}, slack=1)
    assert b.accept(_qa("straight", ["Bed"]), records)
    assert not b.accept(_qa("straight", ["Bed"]), records)  # bed -> straight would become a prior
    assert b.accept(_qa("straight", ["Chair"]), records)  # another category is counted on its own
    assert b.accept(_qa("left", ["Bed"]), records) and b.accept(_qa("right", ["Bed"]), records)
    assert b.accept(_qa("straight", ["Bed"]), records)  # balanced again: accepted
    assert b.accept(_qa("3", ["Bed"], family="metric_size"), records)  # families without labels pass

"""The category balancer keeps answers uniform per (family, categories named in order, wording)."""

from __future__ import annotations

from types import SimpleNamespace

from qa.balance import CategoryBalancer

RECORDS = {f"{t}|{i}": SimpleNamespace(object_type=t) for t in ("Bed", "Chair", "Pillow", "Lamp", "Painting")
           for i in range(3)}


def _qa(label, types, family="goal_aiming", template="I need to go to {obj}."):
    return SimpleNamespace(family=family, label=label, objects=[f"{t}|{i}" for i, t in enumerate(types)], truth={},
                           template=template)


def test_rejects_labels_that_run_ahead_per_category():
    b = CategoryBalancer({"goal_aiming": ("left", "right", "straight")}, slack=1)
    assert b.accept(_qa("straight", ["Bed"]), RECORDS)
    assert not b.allows("goal_aiming", ("Bed",), "straight")
    assert not b.accept(_qa("straight", ["Bed"]), RECORDS)  # bed -> straight would become a prior
    assert b.accept(_qa("straight", ["Chair"]), RECORDS)  # another category is counted on its own
    assert b.accept(_qa("left", ["Bed"]), RECORDS) and b.accept(_qa("right", ["Bed"]), RECORDS)
    assert b.accept(_qa("straight", ["Bed"]), RECORDS)  # balanced again: accepted
    assert b.accept(_qa("3", ["Bed"], family="metric_distance"), RECORDS)  # labels outside the set pass
    b = CategoryBalancer({"ego_movement": ("rotated left", "rotated right")}, slack=1)
    assert all(b.accept(_qa("rotated left", [], family="ego_movement"), RECORDS) for _ in range(3))  # nothing named


def test_the_order_and_each_slot_are_keys():
    b = CategoryBalancer({"above_below": ("above", "below")}, slack=1, slot_slack=1)
    assert b.accept(_qa("above", ["Pillow", "Bed"], "above_below"), RECORDS)
    assert not b.accept(_qa("above", ["Pillow", "Bed"], "above_below"), RECORDS)  # the same ordered pair
    assert not b.accept(_qa("above", ["Pillow", "Chair"], "above_below"), RECORDS)  # the pillow named first
    assert not b.accept(_qa("above", ["Chair", "Bed"], "above_below"), RECORDS)  # the bed named second
    assert b.accept(_qa("above", ["Chair", "Lamp"], "above_below"), RECORDS)  # none of those keys
    # the other order is a pair of its own (a bag of categories would have merged the two)
    assert b.accept(_qa("above", ["Bed", "Pillow"], "above_below"), RECORDS)
    assert b.accept(_qa("below", ["Pillow", "Bed"], "above_below"), RECORDS)  # balances every key it is in
    assert b.accept(_qa("above", ["Pillow", "Bed"], "above_below"), RECORDS)  # balanced again


def test_a_slot_may_run_ahead_by_its_own_slack():
    b = CategoryBalancer({"above_below": ("above", "below")}, slack=1, slot_slack=2)
    assert b.accept(_qa("above", ["Painting", "Bed"], "above_below"), RECORDS)
    assert b.accept(_qa("above", ["Painting", "Chair"], "above_below"), RECORDS)  # 2 ahead in slot 0: allowed
    assert not b.accept(_qa("above", ["Painting", "Lamp"], "above_below"), RECORDS)  # 3 ahead: not

"""The category balancer keeps answers uniform per (family, categories named in order, wording)."""

from __future__ import annotations

from types import SimpleNamespace

from qa.balance import CategoryBalancer

RECORDS = {f"{t}|{i}": SimpleNamespace(object_type=t) for t in ("Bed", "Chair", "Pillow") for i in range(3)}


def _qa(label, types, family="goal_aiming", template="I need to go to {obj}."):
    return SimpleNamespace(family=family, label=label, objects=[f"{t}|{i}" for i, t in enumerate(types)], truth={},
                           template=template)


def test_rejects_labels_that_run_ahead_per_category():
    b = CategoryBalancer({"goal_aiming": ("left", "right", "straight")}, slack=1)
    assert b.accept(_qa("straight", ["Bed"]), RECORDS)
    assert not b.accept(_qa("straight", ["Bed"]), RECORDS)  # bed -> straight would become a prior
    assert b.accept(_qa("straight", ["Chair"]), RECORDS)  # another category is counted on its own
    assert b.accept(_qa("left", ["Bed"]), RECORDS) and b.accept(_qa("right", ["Bed"]), RECORDS)
    assert b.accept(_qa("straight", ["Bed"]), RECORDS)  # balanced again: accepted
    assert b.accept(_qa("3", ["Bed"], family="metric_distance"), RECORDS)  # labels outside the set pass


def test_the_order_of_the_categories_and_the_wording_are_part_of_the_key():
    b = CategoryBalancer({"above_below": ("above", "below")}, slack=1)
    plain, real = "Is {x} above or below {y}?", "Considering their real heights, is {x} located above or below {y}?"
    assert b.accept(_qa("above", ["Pillow", "Bed"], "above_below", plain), RECORDS)
    # "pillow first -> above" would become a prior: held back for this order and wording
    assert not b.accept(_qa("above", ["Pillow", "Bed"], "above_below", plain), RECORDS)
    # the other order and the other wording are keys of their own (a bag of categories would have merged them)
    assert b.accept(_qa("below", ["Bed", "Pillow"], "above_below", plain), RECORDS)
    assert not b.accept(_qa("below", ["Bed", "Pillow"], "above_below", plain), RECORDS)
    assert b.accept(_qa("above", ["Pillow", "Bed"], "above_below", real), RECORDS)
    assert b.accept(_qa("below", ["Pillow", "Bed"], "above_below", plain), RECORDS)
    assert b.accept(_qa("above", ["Pillow", "Bed"], "above_below", plain), RECORDS)  # balanced again

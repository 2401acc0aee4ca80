"""The category balancer makes answer labels independent of the categories named, in order, by acceptance sampling
against measured label priors."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from qa.balance import MIN_PAIR_STORED, PAIR_PSEUDO, CategoryBalancer, label_prior
from qa.sampler import load_families, sample_qa

from qa_helpers import one_room_backend

# A world where a pillow named first is above the bed 80 times in 100, and a bed named first below it as often.
PRIOR = {"above_below": {
    "labels": {"above": 100, "below": 100},
    "pairs": {"Pillow|Bed": {"above": 80, "below": 20}, "Bed|Pillow": {"above": 20, "below": 80},
              "Chair|Lamp": {"above": 30, "below": 30}},
    "slots": [{"Pillow": {"above": 80, "below": 20}, "Bed": {"above": 20, "below": 80}, "Chair": {"above": 30, "below": 30},
               "Painting": {"above": 9, "below": 1}},
              {"Bed": {"above": 80, "below": 20}, "Pillow": {"above": 20, "below": 80}, "Lamp": {"above": 30, "below": 30},
               "Rug": {"above": 9, "below": 1}}],
}}


def test_acceptance_by_hand():
    b = CategoryBalancer(PRIOR)
    # Slot by slot: q(pillow first | above) = 80.5 / (100 + 0.5 * 4), q(bed second | above) the same, 20.5 / 102 each
    # for below; so P(above | pillow, bed) by slots = 80.5^2 / (80.5^2 + 20.5^2). The pair's own counts (80 : 20)
    # are shrunk toward it with PAIR_PSEUDO pseudo-samples; the label totals are equal (100 each).
    s_above = 80.5 ** 2 / (80.5 ** 2 + 20.5 ** 2)
    q_above, q_below = 80 + PAIR_PSEUDO * s_above, 20 + PAIR_PSEUDO * (1 - s_above)
    assert b.acceptance("above_below", ("Pillow", "Bed"), "above") == pytest.approx(q_below / q_above)
    assert b.acceptance("above_below", ("Pillow", "Bed"), "below") == 1.0
    assert b.acceptance("above_below", ("Chair", "Lamp"), "above") == pytest.approx(1.0)  # an even prior: kept
    # A tuple the prior has no counts of is scored slot by slot: painting first (9:1), rug second (9:1)
    qa = (9.5 / 102) * (9.5 / 102)
    qb = (1.5 / 102) * (1.5 / 102)
    assert b.acceptance("above_below", ("Painting", "Rug"), "above") == pytest.approx(qb / qa)
    # families, labels or categories the prior does not know are always kept
    assert b.acceptance("left_right", ("Pillow", "Bed"), "left") == 1.0
    assert b.acceptance("above_below", (), "above") == 1.0
    assert b.acceptance("above_below", ("Pillow", "Bed"), "sideways") == 1.0


def test_a_few_samples_of_a_pair_outweigh_its_slots():
    # Pillows and dressers are each above and below many things (even slot shares), but a pillow named before a
    # dresser is above it in 6 samples of 6: the slot product alone would keep "above" always; the pair's own
    # counts make it rare.
    prior = {"above_below": {
        "labels": {"above": 100, "below": 100},
        "pairs": {"Pillow|Dresser": {"above": 6}},
        "slots": [{"Pillow": {"above": 50, "below": 50}}, {"Dresser": {"above": 50, "below": 50}}],
    }}
    b = CategoryBalancer(prior)
    a = b.acceptance("above_below", ("Pillow", "Dresser"), "above")
    assert a == pytest.approx((0 + PAIR_PSEUDO * 0.5) / (6 + PAIR_PSEUDO * 0.5))
    assert a < 0.5 and b.acceptance("above_below", ("Pillow", "Dresser"), "below") == 1.0


def test_accepted_labels_say_nothing_about_the_categories():
    # Sample the world of PRIOR (pair drawn given the label), keep what the balancer accepts: per ordered pair the
    # labels come out even, so "pillow first -> above" is no longer a rule a model could learn.
    b = CategoryBalancer(PRIOR)
    rng = np.random.default_rng(0)
    kept = Counter()
    for _ in range(40000):
        label = ("above", "below")[int(rng.integers(2))]
        pair = ("Pillow", "Bed") if rng.random() < (0.8 if label == "above" else 0.2) else ("Bed", "Pillow")
        if b.allows("above_below", pair, label, rng):
            kept[pair, label] += 1
    for pair in (("Pillow", "Bed"), ("Bed", "Pillow")):
        share = kept[pair, "above"] / (kept[pair, "above"] + kept[pair, "below"])
        assert share == pytest.approx(0.5, abs=0.02), (pair, share)


def test_draws_are_reproducible():
    b = CategoryBalancer(PRIOR)
    draws = [[b.allows("above_below", ("Pillow", "Bed"), "above", rng) for _ in range(50)]
             for rng in (np.random.default_rng(3), np.random.default_rng(3))]
    assert draws[0] == draws[1] and 0 < sum(draws[0]) < 50


def test_the_shipped_prior_covers_the_families_that_name_objects():
    prior = label_prior()
    fams = load_families()
    for f, fam in fams.items():
        if not fam.labels or f in ("ego_movement", "camera_translation"):
            continue
        assert f in prior, f
        assert set(prior[f]["labels"]) == set(fam.labels)
        assert all(sum(v.values()) >= MIN_PAIR_STORED for v in prior[f]["pairs"].values())
        slots = len(prior[f]["slots"])
        assert slots >= 1 and (slots < 3 or len(prior[f]["with_first"]) == slots - 1), f
    b = CategoryBalancer()
    for f, counts in prior.items():
        for key in list(counts["pairs"])[:20]:
            for lab in counts["labels"]:
                assert 0 < b.acceptance(f, tuple(key.split("|")), lab) <= 1


def test_tuples_of_three_are_scored_by_the_first_with_each_other():
    # relative_distance: "which is closer to the table (first), the chair or the painting?" hangs on the table with
    # each option, not on the three categories one by one.
    prior = {"relative_distance": {
        "labels": {"first": 100, "second": 100}, "pairs": {},
        "slots": [{"Table": {"first": 50, "second": 50}}, {"Chair": {"first": 40, "second": 10}},
                  {"Painting": {"first": 10, "second": 40}}],
        "with_first": [{"Table|Chair": {"first": 30, "second": 5}}, {"Table|Painting": {"first": 5, "second": 30}}],
    }}
    b = CategoryBalancer(prior)

    def share(n, lab_total=100, keys=1):
        return (n + 0.5) / (lab_total + 0.5 * keys)

    q_first = share(50) * (share(30) / share(50)) * (share(5) / share(50))
    q_second = share(50) * (share(5) / share(50)) * (share(30) / share(50))
    # symmetric here: the chair's pull on "first" and the painting's on "second" cancel out -> kept with a = 1
    assert b.acceptance("relative_distance", ("Table", "Chair", "Painting"), "first") == pytest.approx(
        min(q_first, q_second) / q_first)
    prior["relative_distance"]["with_first"][1]["Table|Painting"] = {"first": 30, "second": 5}
    b = CategoryBalancer(prior)  # a balancer reads its prior once per tuple: a changed prior needs a new one
    q_first = share(50) * (share(30) / share(50)) * (share(30) / share(50))
    q_second = share(50) * (share(5) / share(50)) * (share(5) / share(50))
    assert b.acceptance("relative_distance", ("Table", "Chair", "Painting"), "first") == pytest.approx(q_second / q_first)
    assert b.acceptance("relative_distance", ("Table", "Chair", "Painting"), "second") == 1.0


def test_families_choose_objects_the_balancer_accepts():
    # The golden pair: an armchair left of a fridge. A prior under which "armchair first, fridge second -> left"
    # is (almost) never kept: left_right asked for "left" finds no other ordered pair and gives up; "right" (fridge
    # first) is untouched.
    b = one_room_backend([("Armchair_207_1", 2.0, 3.0, 0.0), ("Fridge_12", 4.2, 4.5, 0.0)])
    prior = {"left_right": {"labels": {"left": 10 ** 6, "right": 10 ** 6},
                            "pairs": {"ArmChair|Fridge": {"left": 10 ** 6, "right": 0}}, "slots": [{}, {}]}}
    bal = CategoryBalancer(prior)
    for s in range(6):
        assert sample_qa("left_right", b, np.random.default_rng(s), target_label="left") is not None
        assert sample_qa("left_right", b, np.random.default_rng(s), target_label="left", balancer=bal) is None
        qa = sample_qa("left_right", b, np.random.default_rng(s), target_label="right", balancer=bal)
        assert qa is not None and qa.objects[0].startswith("Fridge")

"""Scoring: hand-worked MRA and factor-of-two numbers, choice matching on many answer forms (ambiguous ones give
None), circular-evaluation arithmetic and unit parsing."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from finetune.scoring import (
    circular_correct,
    cvbench_score,
    lettered_prompt,
    match_choice,
    mra,
    normalize,
    parse_in_unit,
    parse_number,
    parse_quantity,
    rotations,
    to_metres,
    vsi_overall,
    within_factor,
)


@pytest.mark.parametrize("pred, expected", [
    (10, 1.0),  # exact: inside every band
    (12, 0.7),  # |2|/10 = 0.2 <= 1-θ for θ in 0.50..0.80 -> 7 of 10 (boundary θ = 0.80 counts)
    (8, 0.7),  # symmetric
    (14, 0.3),  # 0.4 <= 1-θ for θ in 0.50, 0.55, 0.60 -> 3 of 10
    (16, 0.0),  # 0.6 > 1-θ for every θ >= 0.50
    (14.9, 0.1),  # 0.49 <= 1-θ for θ = 0.50 only -> 1 of 10
    (30, 0.0),  # 2.0: outside every band
    (None, 0.0),  # unparsable
])
def test_mra_hand_worked(pred, expected):
    assert mra(pred, 10) == pytest.approx(expected)


def test_mra_small_error_and_zero_truth():
    assert mra(10.4, 10) == pytest.approx(1.0)  # 0.04 <= 0.05
    assert mra(10.6, 10) == pytest.approx(0.9)  # 0.06 > 0.05 (θ = 0.95 fails)
    assert mra(0, 0) == 1.0 and mra(1, 0) == 0.0
    assert mra(float("nan"), 10) == 0.0


def test_within_factor_boundaries():
    assert within_factor(5, 10) and within_factor(20, 10) and within_factor(10, 10)
    assert not within_factor(4.99, 10) and not within_factor(20.01, 10)
    assert not within_factor(None, 10)
    assert within_factor(7.5, 10, factor=4 / 3) and not within_factor(7.4, 10, factor=4 / 3)


@pytest.mark.parametrize("pred, choices, expected", [
    ("right", ["left", "right"], 1),
    ("Right.", ["left", "right"], 1),
    ('"left"', ["left", "right"], 0),
    ("B", ["left", "right"], 1),
    ("(B)", ["left", "right"], 1),
    ("B.", ["left", "right"], 1),
    ("b) right", ["left", "right"], 1),
    ("(A) left", ["left", "right"], 0),
    ("The answer is (B)", ["left", "right"], 1),
    ("Answer: A", ["left", "right"], 0),
    ("<think>hmm, left or right</think><answer>B</answer>", ["left", "right"], 1),
    ("<answer>left</answer>", ["left", "right"], 0),
    ("option B", ["left", "right"], 1),
    ("B right", ["left", "right"], 1),
    ("The chair is to the left of the table.", ["left", "right"], 0),
    ("It is further away", ["closer", "further"], 1),
    ("yes", ["yes", "no"], 0),
    ("No, it is not.", ["yes", "no"], 1),
    ("There are 2 chairs.", ["0", "1", "2", "3"], 2),
    ("2.", ["0", "1", "2", "3"], 2),
    ("10", ["1", "10"], 1),
    ("1.25", ["1.25 m", "2.50 m"], 0),
    ("125 cm", ["1.25 m", "2.50 m"], 0),
    ("about 2.5 meters", ["1.25 m", "2.50 m"], 1),
    ("1.25 m", ["1.25 m", "2.50 m"], 0),
    ("front-left", ["left", "front-left", "back-left"], 1),
    ("Point A is closer", ["A is closer", "B is closer"], 0),
    ("B is closer", ["A is closer", "B is closer"], 1),
    ("A", ["A is closer", "B is closer"], 0),
    ("The answer is B because the chair is on the left", ["left", "right"], 1),
    ("I pick option (A), the left one", ["left", "right"], 0),
    ("a table", ["chair", "table"], 1),  # the article is not the letter A: "table" appears
])
def test_match_choice(pred, choices, expected):
    assert match_choice(pred, choices) == expected


@pytest.mark.parametrize("pred, choices", [
    ("not left but right", ["left", "right"]),  # both appear
    ("left or right", ["left", "right"]),
    ("yes and no", ["yes", "no"]),
    ("I cannot tell", ["left", "right"]),
    ("", ["left", "right"]),
    ("C", ["left", "right"]),  # letter out of range
    ("B. left", ["left", "right"]),  # letter and text contradict
    ("2 or 3", ["0", "1", "2", "3"]),
    ("1.75", ["1.25 m", "2.50 m"]),  # a number that is no option
    ("somewhere", []),
])
def test_match_choice_none(pred, choices):
    assert match_choice(pred, choices) is None


def test_normalize_and_prompt():
    assert normalize('  The answer is  "Left". ') == "left"
    assert normalize("Final answer: (1.25 m).") == "1.25 m"
    assert lettered_prompt("Which is closer?", ["chair", "table"]) == (
        "Which is closer?\n(A) chair\n(B) table\nAnswer with the option's letter from the given choices directly.")


def test_rotations_and_circular_accuracy():
    rots = rotations(["a", "b", "c"], 1)
    assert rots == [(["a", "b", "c"], 1), (["b", "c", "a"], 0), (["c", "a", "b"], 2)]
    assert all(ch[i] == "b" for ch, i in rots)  # the correct option moves with its index
    assert rotations(["x", "y"], 0) == [(["x", "y"], 0), (["y", "x"], 1)]  # SAT's both orders
    with pytest.raises(ValueError):
        rotations(["x", "y"], 2)

    # a "model" that always picks the first option, on 4 two-way items whose correct answer is first in 2 of them
    items = [(["l", "r"], 0), (["l", "r"], 1), (["c", "f"], 0), (["y", "n"], 1)]
    single = [0 == correct for _, correct in items]
    assert sum(single) / len(items) == 0.5
    circular = [circular_correct([0 == c for _, c in rotations(ch, correct)]) for ch, correct in items]
    assert circular == [False] * 4  # the position bias is exposed: 0% circular
    assert circular_correct([True, True]) and not circular_correct([True, False]) and not circular_correct([])


def test_parse_number_and_quantity_units():
    assert parse_number("1.25 m") == 1.25
    assert parse_number("about 3 meters") == 3.0
    assert parse_number("about three meters") == 3.0
    assert parse_number("125 cm") == 125.0
    assert parse_number("1,250 mm") == 1250.0
    assert parse_number("no idea") is None
    assert parse_quantity("125 cm") == pytest.approx(1.25)
    assert parse_quantity("about 3 meters") == pytest.approx(3.0)
    assert parse_quantity("3 ft") == pytest.approx(0.9144)
    assert parse_quantity("2 feet") == pytest.approx(0.6096)
    assert parse_quantity("10 inches") == pytest.approx(0.254)
    assert parse_quantity("450mm") == pytest.approx(0.45)
    assert parse_quantity("5", default_unit="cm") == pytest.approx(0.05)
    assert parse_quantity("5", default_unit="count") == 5.0
    assert parse_quantity("5", default_unit=None) == 5.0
    assert parse_quantity("3 minutes", default_unit=None) == 3.0  # "m" of minutes is no unit
    assert parse_quantity("2 in the corner", default_unit=None) == 2.0  # bare "in" only as a last word
    assert parse_quantity("12 in", default_unit=None) == pytest.approx(0.3048)
    assert parse_in_unit("1.5 m", "cm") == pytest.approx(150.0)
    assert parse_in_unit("150", "cm") == 150.0
    assert parse_in_unit("20", "m2") == 20.0
    assert to_metres(2, "metres") == 2.0
    with pytest.raises(ValueError, match="unknown length unit"):
        to_metres(1, "parsec")


def test_cvbench_score_official_formula():
    def it(src):
        return SimpleNamespace(meta={"source": src})

    res = [(it("ADE20K"), True), (it("ADE20K"), False), (it("COCO"), True), (it("Omni3D"), True),
           (it("Omni3D"), False), (it("Omni3D"), False), (it("Omni3D"), False)]
    out = cvbench_score(res)
    assert out["ADE20K"] == 0.5 and out["COCO"] == 1.0 and out["Omni3D"] == 0.25
    assert out["cvbench"] == pytest.approx(0.5 * ((0.5 + 1.0) / 2 + 0.25))  # 0.5
    assert out["accuracy"] == pytest.approx(3 / 7)
    assert cvbench_score([(it("COCO"), True)])["cvbench"] is None


def test_vsi_overall_merges_relative_direction():
    out = vsi_overall({"object_rel_direction_easy": 0.9, "object_rel_direction_medium": 0.6,
                       "object_rel_direction_hard": 0.3, "object_counting": 0.4})
    assert out["object_rel_direction"] == pytest.approx(0.6)
    assert out["overall"] == pytest.approx(0.5) and not math.isnan(out["overall"])

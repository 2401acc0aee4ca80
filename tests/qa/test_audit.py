"""The text-only baseline finds leaks when there are some and not otherwise; `sat ask` and `sat audit` work."""

from __future__ import annotations

import csv
import json

import numpy as np

from qa.audit import TextBaseline
from sat_env.cli import main


def _items(rng, n, leak):
    words = ["chair", "table", "sofa", "lamp", "bed", "plant"]
    out = []
    for _ in range(n):
        a, b = rng.choice(words, 2, replace=False)
        truth = int(rng.integers(2))
        if leak:  # the word order gives the answer away
            q = f"Is the {a} left or right of the {b}?" if truth == 0 else f"Where is the {a} relative to the {b}?"
        else:
            q = f"Is the {a} left or right of the {b}?"
        choices = ["left", "right"]
        if rng.random() < 0.5:
            choices, truth = choices[::-1], 1 - truth
        out.append((q, choices, truth))
    return out


def test_baseline_detects_a_leak_and_stays_at_chance_without_one():
    rng = np.random.default_rng(0)
    leak = _items(rng, 600, leak=True)
    assert TextBaseline().fit(leak[:300]).accuracy(leak[300:]) > 0.9
    fair = _items(rng, 600, leak=False)
    assert abs(TextBaseline().fit(fair[:300]).accuracy(fair[300:]) - 0.5) < 0.08


def _ordered_items(rng, n, leak):
    """above_below-like items on (pillow, bed) pairs named in either order; with `leak` the first-named object is
    the one above (the world's regularity), else the answer is independent of the order."""
    out = []
    for _ in range(n):
        cats = ("Pillow", "Bed") if rng.random() < 0.5 else ("Bed", "Pillow")
        above = cats[0] == "Pillow" if leak else bool(rng.random() < 0.5)
        q = f"Is the {cats[0].lower()} above or below the {cats[1].lower()}?"
        choices = ["above", "below"] if rng.random() < 0.5 else ["below", "above"]
        item = (q, choices, choices.index("above" if above else "below"))
        out.append((item, (("Is {x} above or below {y}?", cats), choices, item[2])))
    return out


def test_both_baselines_see_the_order_of_the_names():
    # "Is the pillow above the bed?": single words are the same either way; the blind baseline reads the categories
    # in order, and the bag of words reads word pairs ("pillow above"): both find the leak, and without one both stay
    # at chance.
    from qa.audit import blind_features, two_fold

    leak = _ordered_items(np.random.default_rng(1), 600, leak=True)
    assert two_fold([bow for bow, _ in leak]) > 0.95
    assert two_fold([blind for _, blind in leak], blind_features) > 0.95
    fair = _ordered_items(np.random.default_rng(2), 600, leak=False)
    assert abs(two_fold([bow for bow, _ in fair]) - 0.5) < 0.08
    assert abs(two_fold([blind for _, blind in fair], blind_features) - 0.5) < 0.08


def test_sat_ask_writes_images_and_json(tmp_path, capsys):
    assert main(["ask", "--seed", "1", "--family", "left_right", "--size", "128", "--out", str(tmp_path)]) == 0
    rec = json.loads((tmp_path / "qa.json").read_text())
    assert rec["family"] == "left_right" and rec["answer"] in rec["choices"]
    for f in rec["image_files"]:
        assert (tmp_path / f).is_file()
    assert rec["question"] in capsys.readouterr().out


def test_sat_ask_unknown_family(tmp_path):
    assert main(["ask", "--family", "nope", "--out", str(tmp_path)]) == 2


def test_sat_audit_small(tmp_path):
    assert main(["audit", "--n", "40", "--families", "left_right", "--size", "96", "--out", str(tmp_path)]) == 0
    rows = list(csv.DictReader(open(tmp_path / "audit.csv")))
    assert rows[0]["family"] == "left_right" and int(rows[0]["count"]) == 40
    # the picture rules are checked on every QA: none broken; the rules that do not apply to left_right are empty
    assert float(rows[0]["break_any"]) == 0 and float(rows[0]["break_cut_off"]) == 0
    assert rows[0]["break_count"] == "nan" and rows[0]["break_x_floor"] == "nan"
    assert (tmp_path / "audit.png").stat().st_size > 1000


def test_audit_rates_and_free_form_metric_questions(tmp_path):
    from sat_env.tasks.audit import run_audit

    rows = {r["family"]: r for r in run_audit(240, ["left_right", "metric_size"], size=64)}
    for r in rows.values():
        # an accepted QA implies a valid view, so views with some valid label are at least as frequent
        assert 0 < r["success_rate"] <= r["view_rate"] <= 1
    m = rows["metric_size"]
    # free-form metric answers (one choice) are left out of the baselines' test set, not turned into NaN for all
    # (the labels free / larger / smaller are balanced: two thirds are two-way choices)
    assert m["count"] == 120 and 70 <= m["multiple_choice"] <= 90
    assert 0 <= m["text_only_acc"] <= 1 and 0 <= m["blind_acc"] <= 1 and m["chance"] == 0.5
    assert rows["left_right"]["multiple_choice"] == 120 and rows["left_right"]["chance"] == 0.5


def test_house_grouped_folds_do_not_reward_learning_a_houses_facts():
    # "How many chairs?" asked from several views of one house has one answer there and another elsewhere: a split
    # by question lets the bag of words learn each house's counts; a split by house does not
    from qa.audit import two_fold

    rng = np.random.default_rng(3)
    items, groups = [], []
    for house in range(60):
        word = f"house{house}"  # each house's questions share wording (its objects) and answers
        truth = int(rng.integers(3))
        for _ in range(4):
            items.append((f"How many {word} chairs are there?", ["0", "1", "2"], truth))
            groups.append(house)
    assert two_fold(items) > 0.6  # memorised houses
    assert abs(two_fold(items, groups=groups) - 1 / 3) < 0.12  # nothing that carries to new houses

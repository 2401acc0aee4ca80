"""`sat evaluate`: scoring arithmetic with stub models (plain and circular multiple choice, numeric answers) and an
end-to-end run of a tiny trained model on a held-out export and on a benchmark fixture through the CLI."""

from __future__ import annotations

import csv
import json

import pytest

from finetune.benchmark_data import EvalItem
from finetune.evaluate import score, table


def _items():
    return [EvalItem("a", "x", "side", "Where is A?", ["left", "right"], 0, []),
            EvalItem("b", "x", "side", "Where is B?", ["left", "right"], 1, []),
            EvalItem("c", "x", "dir", "Turn?", ["left", "right", "straight"], 0, []),
            EvalItem("d", "x", "size", "How tall?", [], 2.0, [], kind="numeric", unit="m")]


def _answer_first(asks):
    """A 'model' that always answers the first option shown (and 3 m to numeric questions)."""
    out = []
    for _, text in asks:
        out.append(text.split('"')[1] if '"' in text else "3 m")
    return out


def test_position_bias_scores_by_position_but_zero_under_circular_evaluation():
    res = score(_items(), _answer_first, circular=True, progress=False)
    assert [r["correct"] for r in res[:3]] == [True, False, True]  # right exactly when the answer is listed first
    assert [r["circular_correct"] for r in res[:3]] == [False, False, False]
    assert len(res[2]["predictions"]) == 3  # every rotation of a 3-way choice was asked
    num = res[3]
    assert num["value"] == 3.0 and num["within_2x"] is True
    assert num["mra"] == pytest.approx(0.1)  # relative error 0.5 passes only theta = 0.50 (0.5 <= 1 - 0.5)
    rows = {(r["benchmark"], r["task"]): r for r in table(res, circular=True)}
    assert rows[("x", "side")]["accuracy"] == 0.5 and rows[("x", "side")]["circular_accuracy"] == 0.0
    assert rows[("x", "all")]["n"] == 4 and rows[("x", "all")]["accuracy"] == pytest.approx(2 / 3)
    assert rows[("x", "all")]["chance"] == pytest.approx((0.5 + 0.5 + 1 / 3) / 3)


def test_an_oracle_scores_one_in_both_modes_with_letters_or_text():
    items = _items()

    def oracle(asks):
        out = []
        for _, text in asks:
            if '"' not in text and "(A)" not in text:
                out.append("2.0 meters")
                continue
            it = next(i for i in items if text.startswith(i.question))
            want = it.choices[it.answer]
            if "(A)" in text:  # lettered prompt: answer with the letter of the right option in this rotation
                lines = [ln for ln in text.splitlines() if ln.startswith("(")]
                out.append(next(ln[1] for ln in lines if ln[4:] == want))
            else:
                out.append(f"{want}.")
        return out

    for style in ("sat", "lettered"):
        res = score(items, oracle, circular=True, style=style, progress=False)
        assert all(r["correct"] and r["circular_correct"] for r in res if r["kind"] == "mc")
        assert res[-1]["mra"] == 1.0 and res[-1]["within_2x"]


def test_evaluate_cli_on_a_held_out_export(tiny_run, val_export, tmp_path):
    from sat_env.cli import main

    out_run, _ = tiny_run
    out = tmp_path / "eval"
    assert main(["evaluate", "--model", str(out_run), "--data", str(val_export), "--circular", "--out", str(out),
                 "--no-progress"]) == 0
    rows = list(csv.DictReader(open(out / "results.csv")))
    fams = {r["task"] for r in rows}
    assert "all" in fams and fams - {"all"} <= {"left_right", "closer_to_camera", "ego_movement", "count"}
    total = next(r for r in rows if r["task"] == "all")
    assert int(total["n"]) == 16
    preds = [json.loads(ln) for ln in open(out / "predictions.jsonl")]
    assert len(preds) == 16 and all("circular_correct" in p for p in preds if p["kind"] == "mc")
    assert float(total["circular_accuracy"]) <= float(total["accuracy"])
    assert (out / "results.png").stat().st_size > 1000


def test_evaluate_cli_errors(tmp_path, val_export, capsys):
    from sat_env.cli import main

    assert main(["evaluate", "--model", str(tmp_path / "nope"), "--data", str(val_export), "--out",
                 str(tmp_path / "e")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "e").exists()


def test_likelihood_scoring_uses_the_ranked_option_and_generates_numbers():
    items = _items()
    seen = []

    def rank(asks):  # prefers "right" wherever it is listed
        seen.extend(a[2] for a in asks)
        return [opts.index("right") if "right" in opts else 0 for _, _, opts in asks]

    res = score(items, lambda asks: ["2 m"] * len(asks), circular=True, progress=False, rank=rank)
    assert [r["correct"] for r in res[:3]] == [False, True, False]
    assert [r["circular_correct"] for r in res[:3]] == [False, True, False]  # order-free: consistent in every rotation
    assert res[3]["mra"] == 1.0  # the numeric question was generated, not ranked
    assert len(seen) == 2 + 2 + 3


def test_predictor_rank_does_not_depend_on_option_order(tiny_run, val_export):
    from finetune.benchmark_data import load_benchmark
    from finetune.evaluate import prompt_text
    from finetune.infer import Predictor

    out, _ = tiny_run
    p = Predictor(out)
    items = [i for i in load_benchmark("export", val_export) if i.kind == "mc"][:6]
    fwd = p.rank([(i.images, prompt_text(i, i.choices), i.choices) for i in items])
    rev = p.rank([(i.images, prompt_text(i, i.choices), i.choices[::-1]) for i in items])
    assert [i.choices[k] for i, k in zip(items, fwd)] == [i.choices[::-1][k] for i, k in zip(items, rev)]


def test_evaluate_shards_over_torchrun_processes_with_the_same_results(tiny_run, val_export, tmp_path):
    # torchrun --nproc_per_node 2 (gloo on CPU): each process answers every other item, the first writes the files,
    # and they are the files one process writes
    import os
    import subprocess
    import sys
    from pathlib import Path

    model, _ = tiny_run
    args = ["evaluate", "--model", str(model), "--data", str(val_export), "--device", "cpu", "--no-progress",
            "--limit", "12"]
    one = subprocess.run([sys.executable, "-m", "sat_env", *args, "--out", str(tmp_path / "one")],
                         capture_output=True, text=True, timeout=600)
    assert one.returncode == 0, one.stderr[-2000:]
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    two = subprocess.run([str(torchrun), "--nproc_per_node", "2", "-m", "sat_env", *args, "--out",
                          str(tmp_path / "two")], capture_output=True, text=True, timeout=600, env=env)
    assert two.returncode == 0, two.stderr[-3000:]
    for f in ("results.csv", "predictions.jsonl"):
        assert (tmp_path / "one" / f).read_text() == (tmp_path / "two" / f).read_text(), f

"""`sat evaluate`: a model's accuracy on an export or a public spatial benchmark, per family / task.

    sat evaluate --model runs/tiny --data export_test/ --out eval/
    sat evaluate --model /models/llava --adapter runs/llava-sat --benchmark cvbench \\
        --benchmark-path CV-Bench/ --circular --out eval_cvb/

Multiple choice: greedy decoding, then exact match on the option text or letter after normalisation
(finetune.scoring.match_choice), or with ``--likelihood`` the option the model finds most likely; with
``--circular`` every rotation of the choices is asked and an item counts only when all are right (SAT's "both
orders" for two choices). Numeric answers: VSI-Bench's mean relative accuracy and SpatialVLM's within-[0.5x, 2x]
rate. Writes results.csv, results.png and predictions.jsonl under --out.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Literal

from finetune.benchmark_data import load_benchmark
from finetune.scoring import (
    circular_correct,
    cvbench_score,
    lettered_prompt,
    match_choice,
    mra,
    parse_in_unit,
    rotations,
    vsi_overall,
    within_factor,
)
from qa.prompts import SAT_PROMPT_SUFFIX, sat_prompt
from sat_env.errors import ConfigError
from sat_env.viz import grouped_bars

PROMPTS = ("sat", "lettered")


def prompt_text(item, choices: list[str], style: str = "sat") -> str:
    """The text of the user turn: the benchmark's prefix, the question and, for multiple choice, the options in
    SAT's quoted form (what `sat finetune` trains on) or lettered (A)/(B)."""
    q = f"{item.prefix} {item.question}".strip() if item.prefix else item.question
    if item.kind == "numeric":
        return f"{q} {SAT_PROMPT_SUFFIX}"
    return sat_prompt(q, choices) if style == "sat" else lettered_prompt(q, choices)


def load_items(data=None, benchmark: str | None = None, benchmark_path=None, split: str | None = None,
               limit: int | None = None) -> list:
    if (data is None) == (benchmark is None):
        raise ConfigError("pass either --data DIR (a `sat export`) or --benchmark NAME --benchmark-path PATH")
    if data is not None:
        return load_benchmark("export", data, limit=limit, split=split)
    if benchmark_path is None:
        raise ConfigError(f"--benchmark {benchmark} needs --benchmark-path: the local copy of its files")
    return load_benchmark(benchmark, benchmark_path, limit=limit, split=split)


def score(items: list, generate, circular: bool = False, style: str = "sat", progress: bool = True,
          rank=None) -> list[dict]:
    """Per-item results. ``generate`` maps [(images, text)] to answers (a Predictor's ``generate``). With ``rank``
    (a Predictor's ``rank``: [(images, text, options)] -> chosen index), multiple choice is scored by likelihood
    instead: the chosen option is the model's most likely answer among the options; numeric questions still
    generate."""
    if style not in PROMPTS:
        raise ConfigError(f"unknown prompt style {style!r}: use {' or '.join(PROMPTS)}")
    asks, owners = [], []  # every prompt to answer, and (item index, rotation) it belongs to
    for k, it in enumerate(items):
        variants = rotations(it.choices, it.answer) if (circular and it.kind == "mc") else [(it.choices, it.answer)]
        for r, (choices, _) in enumerate(variants):
            asks.append((it.images, prompt_text(it, choices, style), choices if it.kind == "mc" else None))
            owners.append((k, r, variants))
    answers = []
    chunk = 32
    for i in range(0, len(asks), chunk):
        part = asks[i:i + chunk]
        if rank is None:
            answers.extend(generate([(im, t) for im, t, _ in part]))
        else:  # likelihood: the ranked option's text stands in for the generated answer
            gen = [a for a in part if a[2] is None]
            ranked = rank([a for a in part if a[2] is not None])
            out_g, out_r = iter(generate([(im, t) for im, t, _ in gen]) if gen else []), iter(ranked)
            answers.extend(next(out_g) if a[2] is None else a[2][next(out_r)] for a in part)
        if progress:
            print(f"\r{min(i + chunk, len(asks))}/{len(asks)} prompts", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    per_item: dict[int, list] = defaultdict(list)
    for (k, r, variants), text in zip(owners, answers):
        per_item[k].append((variants[r], text))
    results = []
    for k, it in enumerate(items):
        rec = {"id": it.id, "benchmark": it.benchmark, "task": it.task, "kind": it.kind, "question": it.question,
               "choices": it.choices, "answer": it.answer}
        runs = per_item[k]
        if it.kind == "mc":
            picks = [match_choice(text, choices) for (choices, _), text in runs]
            oks = [p == correct for ((_, correct), _), p in zip(runs, picks)]
            rec.update(prediction=runs[0][1], picked=picks[0], correct=oks[0], chance=1.0 / max(1, len(it.choices)))
            if circular:
                rec.update(predictions=[t for _, t in runs], circular_correct=circular_correct(oks))
        else:
            value = parse_in_unit(runs[0][1], it.unit)
            rec.update(prediction=runs[0][1], value=value, mra=mra(value, float(it.answer)),
                       within_2x=within_factor(value, float(it.answer)))
        rec["meta"] = it.meta
        results.append(rec)
    return results


def table(results: list[dict], circular: bool = False) -> list[dict]:
    """Rows per (benchmark, task) and one "all" row per benchmark (micro average): n, accuracy, circular accuracy,
    chance (multiple choice) and MRA, within-2x (numeric)."""
    groups: dict[tuple, list] = defaultdict(list)
    for r in results:
        groups[(r["benchmark"], r["task"])].append(r)
        groups[(r["benchmark"], "all")].append(r)
    rows = []
    for (bench, task), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] == "all", kv[0][1])):
        mc = [r for r in rs if r["kind"] == "mc"]
        num = [r for r in rs if r["kind"] != "mc"]
        row = {"benchmark": bench, "task": task, "n": len(rs), "n_mc": len(mc), "n_numeric": len(num)}
        if mc:
            row["accuracy"] = sum(r["correct"] for r in mc) / len(mc)
            row["chance"] = sum(r["chance"] for r in mc) / len(mc)
            if circular:
                row["circular_accuracy"] = sum(r["circular_correct"] for r in mc) / len(mc)
        if num:
            row["mra"] = sum(r["mra"] for r in num) / len(num)
            row["within_2x"] = sum(r["within_2x"] for r in num) / len(num)
        rows.append(row)
    return rows


COLUMNS = ["benchmark", "task", "n", "n_mc", "n_numeric", "accuracy", "circular_accuracy", "chance", "mra",
           "within_2x"]


def write_outputs(out, results: list[dict], rows: list[dict], extra: dict | None = None) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "predictions.jsonl", "w") as fh:
        for r in results:
            fh.write(json.dumps(r, default=str) + "\n")
    with open(out / "results.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{r[k]:.4f}" if isinstance(r.get(k), float) else r.get(k, "")) for k in COLUMNS})
    labelled = [{**r, "label": r["task"] if r["task"] != "all" else f"{r['benchmark']} (all)"} for r in rows]
    grouped_bars(labelled, "label", [("accuracy", (40, 90, 200)), ("circular_accuracy", (120, 60, 170)),
                                     ("chance", (160, 160, 160)), ("mra", (220, 130, 30)),
                                     ("within_2x", (40, 160, 60))],
                 "accuracy (blue), circular (purple), chance (grey), MRA (orange), within 2x (green)",
                 out / "results.png")
    if extra:
        (out / "summary.json").write_text(json.dumps(extra, indent=1))


def print_table(rows: list[dict]) -> None:
    print(f"{'benchmark':<10} {'task':<24} {'n':>5} {'acc':>6} {'circ':>6} {'chance':>6} {'MRA':>6} {'in 2x':>6}")
    for r in rows:
        def f(k):
            return f"{r[k]:.3f}" if isinstance(r.get(k), float) else "-"
        print(f"{r['benchmark']:<10} {r['task']:<24} {r['n']:>5} {f('accuracy'):>6} {f('circular_accuracy'):>6} "
              f"{f('chance'):>6} {f('mra'):>6} {f('within_2x'):>6}")


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _process_group() -> tuple[int, int]:
    """(world size, rank) under torchrun / accelerate (WORLD_SIZE > 1: joins the process group, gloo on CPU and
    NCCL on CUDA), else (1, 0)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 1, 0
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if _cuda() else "gloo")
    return dist.get_world_size(), dist.get_rank()


def evaluate_model(model: str, out: str, adapter: str | None = None, data: str | None = None,
                   benchmark: Literal["sat", "sat-v2", "export", "cvbench", "blink", "vsr", "vsi"] | None = None,
                   benchmark_path: str | None = None, split: str | None = None, circular: bool = False,
                   limit: int | None = None, batch_size: int = 8, max_new_tokens: int = 32, device: str | None = None,
                   style: Literal["sat", "lettered"] = "sat", progress: bool = True,
                   likelihood: bool = False) -> list[dict]:
    """Evaluate a local model (plus adapter) and write results.csv, results.png, predictions.jsonl and
    summary.json under ``out``; returns the table rows. Under ``torchrun --nproc_per_node N`` (or ``accelerate
    launch``) the items are shared out over the N processes and the results are the same as one process gives.

    Args:
        model: checkpoint directory or a `sat finetune` output.
        out: output folder.
        adapter: a peft adapter directory to apply.
        data: a `sat export` folder.
        benchmark: a public benchmark (with benchmark_path).
        benchmark_path: local copy of the benchmark's files.
        split: split to read (default: the benchmark's evaluation split).
        circular: circular evaluation of multiple choice (every rotation of the choices must be right).
        limit: first N items only.
        batch_size: prompts per generate call.
        max_new_tokens: answer length limit.
        device: cpu, cuda, ... (default: cuda when available).
        style: sat: quoted options as SAT trains; lettered: (A)/(B) options.
        progress: show progress.
        likelihood: score multiple choice by the most likely option instead of generating (for small models that
            cannot yet spell every option).
    """
    from finetune.infer import Predictor

    if limit is not None and limit < 1:
        raise ConfigError(f"--limit must be >= 1, got {limit}")
    from finetune.infer import resolve

    resolve(model, adapter)  # a wrong model path fails before any data is read
    items = load_items(data, benchmark, benchmark_path, split, limit)
    if not items:
        raise ConfigError("no items to evaluate (empty benchmark files or --limit 0)")
    world, me = _process_group()
    if device is None and world > 1 and _cuda():
        device = f"cuda:{os.environ.get('LOCAL_RANK', me)}"
    predictor = Predictor(model, adapter=adapter, device=device)
    rank = (lambda asks: predictor.rank(asks, batch_size)) if likelihood else None
    # Under torchrun every process answers every world-th item; the results are gathered back into item order and
    # the first process writes the outputs (the same files as one process writes)
    results = score(items[me::world], lambda asks: predictor.generate(asks, max_new_tokens, batch_size), circular,
                    style, progress and me == 0, rank=rank)
    if world > 1:
        import torch.distributed as dist

        parts: list = [None] * world
        dist.all_gather_object(parts, results)
        results = [None] * len(items)
        for r, part in enumerate(parts):
            results[r::world] = part
        if me != 0:
            return table(results, circular)
    rows = table(results, circular)
    extra = {"model": str(model), "adapter": str(adapter) if adapter else None, "circular": circular,
             "prompt": style, "scoring": "likelihood" if likelihood else "generate",
             "source": str(data or benchmark_path), "benchmark": benchmark or "export"}
    if any(r["benchmark"] == "cvbench" for r in results):  # the official average weights sources, not items
        extra["cvbench"] = cvbench_score((it, r["correct"]) for it, r in zip(items, results) if r["kind"] == "mc")
    if any(r["benchmark"] == "vsi" for r in results):
        extra["vsi"] = vsi_overall({r["task"]: r.get("accuracy", r.get("mra")) for r in rows
                                    if r["benchmark"] == "vsi" and r["task"] != "all"})
    write_outputs(out, results, rows, extra)
    return rows

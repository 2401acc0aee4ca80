"""SAT-Small trained from scratch, against its text-only twin, per family on held-out houses; SAT's static-only vs
static+dynamic ablation; then the model driving ObjectNav-Easy against the baselines.

    python -m experiments.vlm_small experiments/vlm_small.json [--out runs/vlm_small] [--results PATH]

Stages resume: a finished export, training run, evaluation or navigation table under --out is reused. Writes
``results.json`` under --out and the summary in the issue's schema to ``experiments/results/vlm_small.json``
(--results). Runs are trained one after the other, each with both cores. A run is a list of stages (a curriculum):
stage k trains on its families of the training data (an export, or an env: stream) starting from stage k-1's model.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def _export(out: Path, num_qa: int, split: str, families: list[str], cfg: dict) -> None:
    from sat_env.export import ExportConfig, run_export

    if (out / "manifest.json").is_file():
        return
    ec = ExportConfig(num_qa=num_qa, out=str(out), size=cfg["size"], families=families, split=split,
                      formats=["sat"], shard_size=500, seed=cfg.get("seed", 0))
    run_export(ec, workers=cfg.get("workers", 2), resume=out.is_dir() and any(out.iterdir()), progress=True)


def _train(out: Path, run: dict, tr: dict, data: str, exports: dict[str, str]) -> tuple[Path, list[dict]]:
    """Train a run's stages under out/stage-K; returns (the last stage's model, each stage's summary). A stage trains
    on `data` unless it names one of the extra exports (``"data": NAME``)."""
    from finetune.sft import SFTConfig, train

    model, summaries = "small", []
    for k, st in enumerate(run["stages"]):
        d = out / f"stage-{k}"
        src = exports[st["data"]] if "data" in st else data
        if (d / "config.json").is_file():
            summaries.append(json.loads((d / "sat_finetune.json").read_text()))
        else:
            stream = src.startswith("env:")
            cfg = SFTConfig(model=model, data=("env:" + ",".join(st["families"])) if stream else src, out=str(d),
                            families=None if stream else st["families"], max_steps=st["max_steps"],
                            max_minutes=st["minutes"], lr=tr["lr"], batch_size=tr["batch_size"],
                            small_image_size=tr["image_size"], blank_images=run.get("blank", False) and k == 0,
                            stream_workers=tr.get("stream_workers", 1), save_every=tr.get("save_every", 500),
                            log_every=50, wandb=tr.get("wandb", "offline"), seed=tr.get("seed", 0) + k)
            summaries.append(train(cfg, resume=(d / "sat_finetune.json").is_file()))
        model = str(d)
    return Path(model), summaries


def _minutes(summaries: list[dict]) -> float:
    return sum(s.get("train_seconds", 0) for s in summaries) / 60


def _steps(summaries: list[dict]) -> int:
    return sum(s["steps"] for s in summaries)


def _evaluate(model: Path, tests: list[Path], out: Path) -> dict:
    """{family: {n, acc, chance}} on the held-out exports, "all" item-weighted over them. Each export's rows are
    cached (with the model they belong to) in out/rows.json for the first and out/NAME/rows.json for the others."""
    from finetune.evaluate import evaluate_model

    fams: dict = {}
    for i, test in enumerate(tests):
        d = out if i == 0 else out / test.name
        cache = d / "rows.json"
        rows = None
        if cache.is_file():
            got = json.loads(cache.read_text())
            if isinstance(got, dict) and got.get("model") == str(model):
                rows = got["rows"]
        if rows is None:
            rows = evaluate_model(str(model), d, data=str(test), batch_size=64, progress=False)
            cache.write_text(json.dumps({"model": str(model), "rows": rows}))
        fams.update({r["task"]: {"n": r["n"], "acc": r.get("accuracy"), "chance": r.get("chance")}
                     for r in rows if r["task"] != "all"})
    names = list(fams)
    fams["all"] = {"n": sum(fams[f]["n"] for f in names if fams[f]["acc"] is not None),
                   "acc": _mean(fams, names), "chance": _mean(fams, names, key="chance")}
    return fams


def mark_style(question: str) -> str:
    """How a question points at its objects: letter dots ("(marked A)"), coloured boxes ("in the red box"), or by
    name alone."""
    if "(marked " in question:
        return "dots"
    if " box" in question:
        return "boxes"
    return "name"


def by_mark_style(eval_dir: Path) -> dict:
    """{family: {style: {"n", "acc"}}} from an evaluation's predictions.jsonl (families with marked questions)."""
    from collections import defaultdict

    per = defaultdict(lambda: defaultdict(list))
    for line in (eval_dir / "predictions.jsonl").read_text().splitlines():
        r = json.loads(line)
        if r["kind"] == "mc":
            per[r["task"]][mark_style(r["question"])].append(bool(r["correct"]))
    return {f: {st: {"n": len(v), "acc": sum(v) / len(v)} for st, v in sorted(d.items())}
            for f, d in sorted(per.items()) if len(d) > 1}


def _mean(fams: dict, names, key: str = "acc") -> float | None:
    """Item-weighted mean of ``key`` (accuracy, or chance) over the families ``names`` present in ``fams``."""
    have = [fams[f] for f in names if f in fams and fams[f]["acc"] is not None]
    n = sum(r["n"] for r in have)
    return sum(r[key] * r["n"] for r in have) / n if n else None


def _final(run_dir: Path) -> Path:
    """The last stage's model of a run."""
    return max(run_dir.glob("stage-*"), key=lambda p: int(p.name.split("-")[1]))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config", help="experiment JSON file")
    ap.add_argument("--out", help="output directory (default runs/<name>)")
    ap.add_argument("--results", default="experiments/results/vlm_small.json", help="summary JSON to write")
    args = ap.parse_args(argv)
    cfg = json.loads(Path(args.config).read_text())
    out = Path(args.out or f"runs/{cfg['name']}")
    out.mkdir(parents=True, exist_ok=True)

    from finetune import quiet_hf

    quiet_hf()
    dc = cfg["data"]
    t = time.monotonic()
    _export(out / "test", dc["test_qa"], "test", dc["test_families"], dc)
    data = dc["train"]
    if not data.startswith("env:"):
        _export(out / "train", dc["train_qa"], "train", dc["train_families"], dc)
        data = str(out / "train")
    exports = {}
    for name, ex in dc.get("extra_exports", {}).items():  # more exports: stages name them, tests list them
        _export(out / name, ex["num_qa"], ex["split"], ex["families"], {**dc, "seed": ex.get("seed", 0)})
        exports[name] = str(out / name)
    tests = [out / "test", *(out / name for name in dc.get("extra_tests", []))]
    print(f"exports: {time.monotonic() - t:.0f} s", flush=True)

    runs, evals, stage_evals = {}, {}, {}
    for run in cfg["runs"]:
        name = run["name"]
        model, runs[name] = _train(out / name, run, cfg["train"], data, exports)
        evals[name] = _evaluate(model, tests, out / f"eval_{name}")
        if len(run["stages"]) > 1:  # what the curriculum's first stage had learnt, for the record
            first = out / name / "stage-0"
            stage_evals[name] = _evaluate(first, tests, out / f"eval_{name}_stage-0")
        print(f"{name}: {_minutes(runs[name]):.1f} min, {_steps(runs[name])} steps, "
              f"held-out accuracy {evals[name].get('all', {}).get('acc')}", flush=True)

    from qa.mixes import DYNAMIC, SAT_STATIC

    main_run, twin = cfg["main"], cfg["twin"]
    families = {}
    for fam, r in sorted(evals[main_run].items()):
        if fam == "all":
            continue
        families[fam] = {"n": r["n"], "acc": r["acc"], "text_only": evals[twin].get(fam, {}).get("acc"),
                         "chance": r["chance"]}
    gains = {f: r["acc"] - r["text_only"] for f, r in families.items() if r["text_only"] is not None}

    ablation = {}
    for arm, name in cfg.get("ablation", {}).items():
        ev = evals[name]
        ablation[arm] = {"run": name, "minutes": _minutes(runs[name]), "steps": _steps(runs[name]),
                         "static": _mean(ev, SAT_STATIC), "dynamic": _mean(ev, DYNAMIC),
                         "families": {f: r["acc"] for f, r in ev.items() if f != "all"}}

    from agents.evaluate import evaluate

    nav, navc = {}, cfg["objectnav"]
    for agent in navc["agents"]:
        cache = out / f"nav_{agent}" / "row.json"
        if cache.is_file():
            row = json.loads(cache.read_text())
        else:
            spec = f"model:{_final(out / main_run)}" if agent == "model" else agent
            row = evaluate(spec, navc["env_id"], navc["episodes"],
                           env_kwargs={"episodes": "eval", **navc.get("env_kwargs", {})},
                           out=str(out / f"nav_{agent}"))["table"][0]
            cache.write_text(json.dumps(row))
        nav[agent] = {"success": row["success"], "spl": row["spl"], "episodes": row["episodes"]}
        print(f"nav {agent}: {json.dumps(nav[agent])}", flush=True)

    trained = sorted({f for st in next(r for r in cfg["runs"] if r["name"] == main_run)["stages"]
                      for f in st["families"]})
    summary = {
        "minutes": _minutes(runs[main_run]),
        "config": {**cfg, "main_steps": _steps(runs[main_run]), "twin_minutes": _minutes(runs[twin]),
                   "twin_steps": _steps(runs[twin])},
        "families": families,
        "overall": {"acc": evals[main_run]["all"]["acc"], "text_only": evals[twin]["all"]["acc"],
                    "chance": evals[main_run]["all"]["chance"], "n": evals[main_run]["all"]["n"]},
        "overall_trained_families": {"families": trained, "acc": _mean(families, trained),
                                     "text_only": _mean({f: {"n": r["n"], "acc": r["text_only"]}
                                                         for f, r in families.items()}, trained),
                                     "n": sum(families[f]["n"] for f in trained if f in families)},
        "first_stage": {name: {f: r["acc"] for f, r in ev.items()} for name, ev in stage_evals.items()},
        "families_20_points_over_text_only": sorted(f for f, g in gains.items() if g >= 0.20),
        "nav": nav,
        "ablation": ablation,
        "mark_styles": {"model": by_mark_style(out / f"eval_{main_run}"),
                        "text_only": by_mark_style(out / f"eval_{twin}")},
    }
    (out / "results.json").write_text(json.dumps(summary, indent=1) + "\n")
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text(json.dumps(summary, indent=1) + "\n")
    print(f"{'family':<22}{'n':>5}{'model':>8}{'text':>8}{'chance':>8}{'gain':>8}")
    for f, r in families.items():
        tx = r["text_only"]
        print(f"{f:<22}{r['n']:>5}{r['acc']:>8.3f}{(tx if tx is not None else float('nan')):>8.3f}"
              f"{r['chance']:>8.3f}{gains.get(f, float('nan')):>+8.3f}")
    o = summary["overall"]
    print(f"{'all':<22}{o['n']:>5}{o['acc']:>8.3f}{o['text_only']:>8.3f}{o['chance']:>8.3f}"
          f"{o['acc'] - o['text_only']:>+8.3f}")
    for arm, a in ablation.items():
        print(f"ablation {arm}: static {a['static']}, dynamic {a['dynamic']} ({a['minutes']:.1f} min)")
    print(f"wrote {out / 'results.json'} and {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

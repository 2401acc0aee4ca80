"""A tiny vision-language model trained from scratch on SAT-Env questions, evaluated on held-out houses per family
next to a text-only baseline, then driving ObjectNav-Easy as a model policy against random agents.

    python -m experiments.vlm_tiny experiments/vlm_tiny.json [--out runs/vlm_tiny]

Every stage resumes: a finished export, training run or evaluation under --out is reused, so a re-run after an
interruption only does what is left. Writes results.json and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path


def _export(out: Path, num_qa: int, split: str, cfg: dict) -> None:
    from sat_env.export import ExportConfig, run_export

    if (out / "manifest.json").is_file():
        return
    ec = ExportConfig(num_qa=num_qa, out=str(out), size=cfg["size"], families=cfg["families"], split=split,
                      formats=["sat"], shard_size=500, seed=cfg.get("seed", 0))
    run_export(ec, workers=cfg.get("workers", 2), resume=out.is_dir() and any(out.iterdir()), progress=True)


def text_only(train_dir: Path, test_dir: Path) -> dict:
    """The audit's bag-of-words baseline (question + choices, no image) trained on the training export and scored
    per family on the test export's multiple-choice QAs."""
    from qa.audit import TextBaseline
    from sat_env.export import iter_records

    def items(root, split):
        per = defaultdict(list)
        for r in iter_records(root, "sat", split, load_images=False):
            if len(r["answers"]) > 1:
                per[r["family"]].append((r["question"], r["answers"], r["correct_index"]))
        return per

    train, test = items(train_dir, "train"), items(test_dir, "test")
    out = {}
    for fam, tests in sorted(test.items()):
        model = TextBaseline().fit(train.get(fam, []))
        out[fam] = model.accuracy(tests)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config", help="experiment JSON file")
    ap.add_argument("--out", help="output directory (default runs/<name>)")
    args = ap.parse_args(argv)
    cfg = json.loads(Path(args.config).read_text())
    out = Path(args.out or f"runs/{cfg['name']}")
    out.mkdir(parents=True, exist_ok=True)
    times = {}
    t = time.monotonic()
    _export(out / "train", cfg["data"]["train_qa"], "train", cfg["data"])
    _export(out / "test", cfg["data"]["test_qa"], "test", cfg["data"])
    times["export_s"] = time.monotonic() - t

    from finetune import quiet_hf

    quiet_hf()
    from finetune.sft import SFTConfig, train

    tr = cfg["train"]
    run = out / "model"
    t = time.monotonic()
    done = run / "config.json"
    if not done.is_file():
        resume = (run / "sat_finetune.json").is_file()
        train(SFTConfig(model="tiny", data=str(out / "train"), out=str(run), method="full", epochs=tr["epochs"],
                        lr=tr["lr"], batch_size=tr["batch_size"], tiny_image_size=tr["image_size"],
                        save_every=tr.get("save_every", 500), log_every=25, wandb=tr.get("wandb", "offline"),
                        seed=tr.get("seed", 0)), resume=resume)
    times["train_s"] = time.monotonic() - t

    from finetune.evaluate import evaluate_model, print_table

    t = time.monotonic()
    # Generation + exact match (SAT's protocol) and likelihood ranking of the options (which does not need the
    # tiny model to spell long options such as object names word for word).
    rows = evaluate_model(str(run), out / "eval", data=str(out / "test"), batch_size=16, max_new_tokens=32)
    ranked = evaluate_model(str(run), out / "eval_likelihood", data=str(out / "test"), batch_size=16,
                            likelihood=True)
    times["evaluate_s"] = time.monotonic() - t
    print_table(rows)
    baseline = text_only(out / "train", out / "test")
    by_task = {r["task"]: r for r in ranked}
    table = []
    for r in rows:
        table.append({"family": r["task"], "n": r["n"], "model_generate": r.get("accuracy"),
                      "model_likelihood": by_task[r["task"]].get("accuracy"), "text_only": baseline.get(r["task"]),
                      "chance": r.get("chance")})

    from agents.evaluate import evaluate

    nav = cfg["objectnav"]
    t = time.monotonic()
    agents = {}
    for agent in nav["agents"]:
        spec = f"model:{run}" if agent == "model" else agent
        s = evaluate(spec, nav["env_id"], nav["episodes"], env_kwargs={"episodes": "eval"},
                     out=str(out / f"nav_{agent}"))
        agents[agent] = s["table"][0]
        print(json.dumps(s["table"][0]))
    times["objectnav_s"] = time.monotonic() - t
    results = {"config": cfg, "families": table, "objectnav": agents, "seconds": times}
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"{'family':<22}{'n':>5}{'generate':>10}{'likelihood':>11}{'text':>8}{'chance':>8}")
    for r in table:
        def f(v):
            return f"{v:.3f}" if isinstance(v, float) else "-"
        print(f"{r['family']:<22}{r['n']:>5}{f(r['model_generate']):>10}{f(r['model_likelihood']):>11}"
              f"{f(r['text_only']):>8}{f(r['chance']):>8}")
    print(f"times: {json.dumps({k: round(v) for k, v in times.items()})}")
    print(f"wrote {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

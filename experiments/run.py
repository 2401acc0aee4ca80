"""Run an experiment config: train, then evaluate agents on the fixed evaluation episodes.

    python -m experiments.run experiments/ppo_objectnav_easy.json [--out runs/NAME] [--eval-only]

Writes runs/NAME/ (git-ignored): the trained model, logs, and results.json with one row per agent.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config", help="experiment JSON file")
    ap.add_argument("--out", help="output directory (default runs/<name>)")
    ap.add_argument("--eval-only", action="store_true",
                    help="skip training and evaluate the model already under the output directory")
    args = ap.parse_args(argv)
    cfg = json.loads(Path(args.config).read_text())
    out = Path(args.out or f"runs/{cfg['name']}")
    out.mkdir(parents=True, exist_ok=True)
    env_id, env_kwargs = cfg["env_id"], cfg.get("env_kwargs", {})
    results = {"config": cfg, "agents": {}}
    tr = cfg.get("train")
    if args.eval_only:
        if not (out / "ppo" / "model.zip").is_file():
            ap.error(f"--eval-only needs a trained model at {out / 'ppo' / 'model.zip'}: run without --eval-only first")
        old = out / "results.json"
        if old.is_file():
            prev = json.loads(old.read_text())
            for k in ("train_seconds", "train_episodes"):
                if k in prev:
                    results[k] = prev[k]
    elif tr:
        from agents.ppo import train_ppo

        t0 = time.monotonic()
        train_ppo(env_id, tr["timesteps"], out / "ppo", env_kwargs=env_kwargs, seed=tr.get("seed", 0),
                  n_envs=tr.get("n_envs", 4), n_steps=tr.get("n_steps", 128), batch_size=tr.get("batch_size", 256),
                  learning_rate=tr.get("learning_rate", 3e-4), wandb_mode=tr.get("wandb", "offline"),
                  max_seconds=tr.get("max_seconds"), progress_bar=False)
        steps = sum(1 for _ in open(out / "ppo" / "metrics.jsonl"))
        results["train_seconds"] = time.monotonic() - t0
        results["train_episodes"] = steps
    from agents.evaluate import evaluate

    ev = cfg["eval"]
    for agent in ev["agents"]:
        spec = f"{agent}:{out / 'ppo'}" if agent in ("ppo", "ppo-greedy") else agent
        eval_kwargs = {k: v for k, v in env_kwargs.items() if k not in ("houses", "house_config")}
        summary = evaluate(spec, env_id, ev["episodes"], env_kwargs={**eval_kwargs, "episodes": "eval"},
                           out=str(out / f"eval_{agent}"))
        results["agents"][agent] = summary["table"][0]
        print(json.dumps(summary["table"][0]))
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

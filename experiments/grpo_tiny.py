"""GRPO after SFT against SFT alone, at CPU scale (issue 19): does reinforcement learning on the envs' verifiable
reward add anything to supervised fine-tuning, on held-out houses?

1. SFT: the tiny LLaVA (finetune/tiny.py) trained fully on a stream of fresh left_right / closer_to_camera questions
   for ``sft_steps`` steps (run A).
2. SFT alone: the same SFT run for ``sft_steps + extra_steps`` steps (run B: as many updates as C; the same seed,
   data order and model start, the cosine schedule stretched over the longer run).
3. GRPO after SFT: A trained with ``sat grpo`` for ``extra_steps`` steps (run C: full weights, groups of
   ``generations`` sampled answers, rewarded 1 for the right option).
4. A, B and C answer a held-out val export (other houses), scored by generation (exact option) and by likelihood.

    python -m experiments.grpo_tiny --out runs/grpo_tiny        # ~20 min on 2 CPU cores

Prints one line per run and writes OUT/results.json; experiments/README.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

FAMILIES = ["left_right", "closer_to_camera"]


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="runs/grpo_tiny")
    p.add_argument("--sft-steps", type=int, default=300)
    p.add_argument("--extra-steps", type=int, default=60)
    p.add_argument("--generations", type=int, default=4)
    p.add_argument("--val-qa", type=int, default=300)
    p.add_argument("--size", type=int, default=64)
    a = p.parse_args(argv)

    from finetune import quiet_hf

    quiet_hf()
    from finetune.evaluate import evaluate_model
    from finetune.grpo import grpo
    from finetune.sft import SFTConfig, train
    from sat_env.export import ExportConfig, run_export

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    val = out / "val"
    if not (val / "manifest.json").is_file():
        shutil.rmtree(val, ignore_errors=True)
        run_export(ExportConfig(num_qa=a.val_qa, out=str(val), size=a.size, families=FAMILIES, split="val",
                                formats=["messages"], shard_size=100), progress=False)
    data = "env:" + ",".join(FAMILIES)

    def sft(run: Path, steps: int):
        cfg = SFTConfig(model="tiny", data=data, out=str(run), max_steps=steps, batch_size=16, save_every=a.sft_steps,
                        log_every=20, wandb="disabled", tiny_image_size=a.size // 2, seed=0)
        return train(cfg, progress=False)

    run_a, run_b, run_c = out / "A_sft", out / "B_sft_more", out / "C_grpo"
    if not (run_a / "model.safetensors").is_file():
        shutil.rmtree(run_a, ignore_errors=True)
        sft(run_a, a.sft_steps)
    if not (run_b / "model.safetensors").is_file():
        shutil.rmtree(run_b, ignore_errors=True)
        sft(run_b, a.sft_steps + a.extra_steps)
    if not (run_c / "sat_grpo.json").is_file():
        shutil.rmtree(run_c, ignore_errors=True)
        grpo(str(run_a), str(run_c), data=data, method="full", max_steps=a.extra_steps,
             batch_size=4 * a.generations, num_generations=a.generations, max_completion_length=6, lr=5e-5,
             size=a.size, save_every=a.extra_steps, log_every=5, wandb="disabled", device="cpu")
    results = {}
    for name, model in (("A_sft", run_a), ("B_sft_more", run_b), ("C_grpo", run_c)):
        row = {}
        for scoring in ("generate", "likelihood"):
            rows = evaluate_model(str(model), str(out / "eval" / f"{name}_{scoring}"), data=str(val),
                                  progress=False, likelihood=scoring == "likelihood", device="cpu")
            row[scoring] = {r["task"]: round(r["accuracy"], 3) for r in rows if "accuracy" in r}
        results[name] = row
        print(name, json.dumps(row))
    grpo_log = [json.loads(ln) for ln in (run_c / "metrics.jsonl").read_text().splitlines()]
    rewards = [r["reward"] for r in grpo_log if "reward" in r]
    results["grpo_reward_first_last"] = [rewards[0], rewards[-1]] if rewards else None
    results["minutes"] = round((time.monotonic() - t0) / 60, 1)
    results["config"] = vars(a)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    print(json.dumps({k: results[k] for k in ("grpo_reward_first_last", "minutes")}))
    return results


if __name__ == "__main__":
    main()

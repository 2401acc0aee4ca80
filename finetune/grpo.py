"""``sat grpo``: reinforcement learning of a vision-language model on the QA envs with TRL's ``GRPOTrainer``.

Prompts are streamed from the QA envs (any mix, fresh houses that no dataset repeats; finetune/stream.py renders them
in worker processes); each group of completions is scored by the envs' own verification, not by a learned judge:

- ``choice``: 1 when the completion names the correct option (the same matching as ``sat evaluate``), else 0; for
  free-form metric questions, the mean relative accuracy of the number it gives (VSI-Bench's MRA);
- ``format`` (weight ``format_weight``, default off): 1 when the completion is exactly one of the options.

LoRA (SAT's recipe) or full weights on any local image-text-to-text checkpoint; metrics.jsonl (reward, its spread,
loss, KL) and wandb offline like ``sat finetune``; checkpoints every ``save_every`` steps and ``resume`` continues
from the last one. The stream is indexed by sample, so a resumed run draws the prompts it would have drawn.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from finetune.scoring import match_choice, mra, parse_number
from finetune.sft import LANGUAGE_QV
from finetune.stream import parse_stream
from sat_env.errors import ConfigError
from sat_env.tracking import WANDB_MODES

METRICS = "metrics.jsonl"


def choice_reward(completions, answer, choices, **_) -> list[float]:
    """1 for the correct option (free-form numbers: MRA against the true value), else 0."""
    out = []
    for c, a, opts in zip(completions, answer, choices):
        text = _text(c)
        if len(opts) > 1:
            k = match_choice(text, list(opts))
            out.append(1.0 if k is not None and opts[k] == a else 0.0)
        else:
            truth = parse_number(a)
            out.append(mra(parse_number(text), truth) if truth is not None else float(text.strip() == a))
    return out


def format_reward(completions, choices, **_) -> list[float]:
    """1 when the completion is exactly one of the options (what SAT's prompt asks: a single word or phrase)."""
    return [1.0 if _text(c).strip().strip('."').lower() in {o.lower() for o in opts} else 0.0
            for c, opts in zip(completions, choices)]


def _text(completion) -> str:
    """A completion's text (conversational completions are a list of messages)."""
    if isinstance(completion, list):
        return "".join(m["content"] if isinstance(m["content"], str) else
                       "".join(p.get("text", "") for p in m["content"]) for m in completion)
    return completion


def prompts(data: str, size: int, seed: int, workers: int):
    """A ``datasets.IterableDataset`` of GRPO rows from an env: stream: a conversational prompt (one image
    placeholder per image, then SAT's prompt), its images, the answer and the options."""
    import datasets
    from PIL import Image

    spec = parse_stream(data)
    if spec is None:
        raise ConfigError(f"--data {data!r}: GRPO draws fresh questions from the envs; pass env:MIX (env:sat, "
                          "env:static, env:left_right,count, ...)")

    def rows():
        from finetune.stream import EnvStream

        it = EnvStream(**spec, size=size, seed=seed, split="train", workers=workers).iter_from(0)
        try:
            for s in it:
                yield {"prompt": [{"role": "user", "content": [{"type": "image"} for _ in s.images]
                                   + [{"type": "text", "text": s.text}]}],
                       "images": [Image.fromarray(i) for i in s.images], "answer": s.answer,
                       "choices": list(s.choices) or [s.answer], "family": s.family}
        finally:
            it.close()

    return datasets.IterableDataset.from_generator(rows)


def grpo(model: str, out: str, data: str = "env:sat", method: Literal["lora", "full"] = "lora", max_steps: int = 200,
         batch_size: int = 8, num_generations: int = 4, max_completion_length: int = 16, temperature: float = 1.0,
         lr: float = 1e-5, beta: float = 0.0, format_weight: float = 0.0, lora_r: int = 128, lora_alpha: int = 256,
         lora_dropout: float = 0.05, lora_targets: str = LANGUAGE_QV, size: int = 224, seed: int = 0,
         save_every: int = 50, log_every: int = 1, stream_workers: int = 1, device: str | None = None,
         wandb: Literal["disabled", "offline", "online"] = "offline", resume: bool = False) -> dict:
    """Train `model` with GRPO on questions streamed from the QA envs; write the adapter (LoRA) or the model (full),
    checkpoints and metrics.jsonl under `out`; return the last logged metrics.

    Args:
        model: a local image-text-to-text checkpoint directory (e.g. a `sat finetune` output that was trained fully,
            or a downloaded LLaVA / Qwen2-VL).
        out: output folder.
        data: env:MIX, the questions' source (env:sat, env:static, env:nav, env:left_right,count).
        method: lora (SAT's recipe: r 128, alpha 256 on the language model's q_proj / v_proj) or full.
        max_steps: optimizer steps.
        batch_size: completions per step (prompts per step x num_generations).
        num_generations: completions sampled per prompt (the group GRPO compares).
        max_completion_length: tokens per completion (SAT's answers are a word or a phrase).
        temperature: sampling temperature of the completions.
        lr: learning rate.
        beta: weight of the KL penalty against the starting model (0: none, as in DAPO / TRL's default).
        format_weight: weight of the reward for answering with exactly one option (0: off).
        lora_r: LoRA rank.
        lora_alpha: LoRA alpha.
        lora_dropout: LoRA dropout.
        lora_targets: modules LoRA adapts (a regex, or a comma list of names).
        size: image size of the streamed questions in pixels.
        seed: seed of the stream, the sampling and the initialisation.
        save_every: steps between checkpoints.
        log_every: steps between metrics.jsonl lines.
        stream_workers: processes rendering the questions (0: in this process).
        device: cpu, cuda, ... (default: cuda when available).
        wandb: Weights & Biases logging (offline writes under `out`/wandb).
        resume: continue the run in `out` from its last checkpoint.
    """
    from transformers import AutoModelForImageTextToText, AutoProcessor, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    src = Path(model)
    if not (src / "config.json").is_file():
        raise ConfigError(f"model {model} is not a checkpoint directory (no config.json): pass a local "
                          "image-text-to-text checkpoint, e.g. a `sat finetune --full` output")
    if batch_size % num_generations:
        raise ConfigError(f"--batch-size {batch_size} must be a multiple of --num-generations {num_generations} "
                          "(whole groups of completions per step)")
    if wandb not in WANDB_MODES:
        raise ConfigError(f"--wandb must be one of {', '.join(WANDB_MODES)}")
    dataset = prompts(data, size, seed, stream_workers)  # a bad --data fails here, before anything is written
    out_dir = Path(out)
    checkpoints = sorted(out_dir.glob("checkpoint-*")) if out_dir.is_dir() else []
    if resume and not checkpoints:
        raise ConfigError(f"--resume: {out_dir} holds no GRPO checkpoint; drop --resume")
    if not resume and out_dir.is_dir() and any(out_dir.iterdir()):
        raise ConfigError(f"{out_dir} is not empty: pass --resume to continue the run there, or choose a new --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    if wandb != "disabled":
        os.environ.setdefault("WANDB_DIR", str(out_dir))
        os.environ.setdefault("WANDB_MODE", wandb)
        os.environ.setdefault("WANDB_SILENT", "true")
    peft_config = None
    if method == "lora":
        from peft import LoraConfig

        targets = lora_targets
        if "," in targets or targets.isidentifier():
            targets = [t.strip() for t in targets.split(",") if t.strip()]
        peft_config = LoraConfig(r=lora_r, lora_alpha=lora_alpha, lora_dropout=lora_dropout, bias="none",
                                 target_modules=targets)
    args = GRPOConfig(output_dir=str(out_dir), max_steps=max_steps, per_device_train_batch_size=batch_size,
                      num_generations=num_generations, max_completion_length=max_completion_length,
                      temperature=temperature, learning_rate=lr, beta=beta, seed=seed, data_seed=seed,
                      logging_steps=log_every, save_steps=save_every, save_strategy="steps",
                      report_to=["wandb"] if wandb != "disabled" else [], use_cpu=device == "cpu",
                      reward_weights=[1.0, format_weight] if format_weight else None, dataloader_num_workers=0)
    rewards = [choice_reward, format_reward] if format_weight else [choice_reward]

    class Metrics(TrainerCallback):
        def on_log(self, _args, state, _control, logs=None, **_):
            if logs:
                with open(out_dir / METRICS, "a") as f:
                    f.write(json.dumps({"step": state.global_step, **logs}) + "\n")

    trainer = GRPOTrainer(model=AutoModelForImageTextToText.from_pretrained(src), reward_funcs=rewards, args=args,
                          train_dataset=dataset, processing_class=AutoProcessor.from_pretrained(src),
                          peft_config=peft_config, callbacks=[Metrics()])
    trainer.train(resume_from_checkpoint=bool(resume))
    trainer.save_model(str(out_dir))  # LoRA: the adapter (PeftModel.from_pretrained(base, out)); full: the model
    logs = [h for h in trainer.state.log_history if "reward" in h]
    summary = {"base_model": str(src.resolve()), "method": method, "steps": trainer.state.global_step,
               "data": data, "last": logs[-1] if logs else None}
    (out_dir / "sat_grpo.json").write_text(json.dumps(summary, indent=1))
    return summary

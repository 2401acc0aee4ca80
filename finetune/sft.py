"""`sat finetune`: supervised fine-tuning of a local vision-language checkpoint on a `sat export`, LoRA or full.

    sat finetune --model /models/llava-1.5-7b-hf --data export/ --out runs/llava-sat        # SAT's recipe (LoRA)
    sat finetune --model tiny --data export/ --out runs/tiny --max-steps 300                 # offline, from scratch

Any Hugging Face image-text-to-text checkpoint directory loads (AutoModelForImageTextToText + AutoProcessor); the
prompt is the SAT prompt inside the processor's chat template; the loss is on the answer tokens only. Checkpoints
go to OUT/checkpoints/step-N (weights, optimizer, scheduler, state) and ``--resume`` continues from the latest one
with the same sample order. Metrics go to OUT/metrics.jsonl and to wandb (offline by default, OUT/wandb).
The result in OUT loads with plain transformers / peft code (see the README).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from finetune.export import ProgressBar
from finetune.infer import RUN_FILE, Predictor, load_model, pick_device
from finetune.sft_data import (SampleOrder, collate, export_format, export_samples, export_split,
                               instruct_samples)
from sat_env.errors import ConfigError
from sat_env.tracking import WANDB_MODES, wandb_run

# SAT's recipe for LLaVA (reference/SAT.md §4): LoRA r128 / alpha 256 on q_proj and v_proj. Our default pattern
# keeps the adapters on the language model (SAT's plain names also hit the CLIP tower's q/v projections).
LANGUAGE_QV = r".*(language_model|text_model).*\.(q_proj|v_proj)$"
KEEP_CHECKPOINTS = 2


@dataclass(frozen=True)
class SFTConfig:
    """Everything a fine-tuning run depends on (recorded in OUT/sat_finetune.json; a resume must match it)."""

    model: str
    """local checkpoint directory, or "tiny" (a tiny LLaVA built offline from config, trained from scratch)"""
    data: str
    """a `sat export` folder"""
    out: str
    """output folder: the adapter or model, checkpoints, metrics.jsonl, wandb/"""
    format: str | None = None
    """export format to read (sat, messages, llava; default: the first present)"""
    split: str | None = None
    """export split to train on (default: the folder's only split)"""
    eval_data: str | None = None
    """a held-out export (e.g. `sat export --split val`) for the accuracy logged during training"""
    method: str = "auto"
    """lora, full, or auto: full for tiny (LoRA on a random init does not learn), lora otherwise"""
    lora_r: int = 128
    """LoRA rank (SAT: 128)"""
    lora_alpha: int = 256
    """LoRA alpha (SAT: 256)"""
    lora_dropout: float = 0.05
    """LoRA dropout"""
    lora_targets: str = LANGUAGE_QV
    """regex of module names (or comma-separated names) that get adapters"""
    mix_instruct: str | None = None
    """instruct data in LLaVA-665K's JSON format to mix in"""
    mix_ratio: float = 0.4
    """share of instruct samples (SAT: 0.4) when mix_instruct is given"""
    mix_image_root: str | None = None
    """folder the instruct file's image paths are relative to (default: the file's folder)"""
    epochs: float = 1.0
    """passes over the data (ignored when max_steps is set)"""
    max_steps: int | None = None
    """optimizer steps to run"""
    lr: float | None = None
    """peak learning rate (default: 1e-3 full tiny, 2e-4 LoRA, 1e-5 full real model)"""
    warmup_ratio: float = 0.03
    """share of the steps with linear warm-up before the cosine decay"""
    weight_decay: float = 0.0
    """AdamW weight decay (SAT: 0)"""
    batch_size: int = 8
    """samples per micro-batch"""
    grad_accum: int = 1
    """micro-batches per optimizer step"""
    precision: str = "auto"
    """fp32, bf16, fp16 (CUDA only), or auto (bf16 on a GPU that supports it, else fp32)"""
    gradient_checkpointing: bool = False
    """trade compute for memory on large models"""
    max_length: int | None = None
    """refuse samples longer than this many tokens (default: no limit)"""
    save_every: int = 200
    """steps between checkpoints"""
    eval_every: int = 0
    """steps between accuracy evaluations on eval_data (0: only at the end)"""
    eval_limit: int = 200
    """QAs of eval_data used for that accuracy"""
    log_every: int = 10
    """steps between loss lines in metrics.jsonl"""
    wandb: str = "offline"
    """disabled, offline (default; upload later with `wandb sync`) or online"""
    seed: int = 0
    """seed of the sample order, the tiny model's weights and LoRA's init"""
    device: str | None = None
    """cpu, cuda, cuda:1, ... (default: cuda when available)"""
    tiny_image_size: int = 64
    """image size of the tiny model"""

    def resolved_method(self) -> str:
        if self.method not in ("auto", "lora", "full"):
            raise ConfigError(f"unknown method {self.method!r}: use lora, full or auto")
        if self.method != "auto":
            return self.method
        return "full" if self.model == "tiny" else "lora"

    def resolved_lr(self) -> float:
        if self.lr is not None:
            return self.lr
        if self.resolved_method() == "lora":
            return 2e-4
        return 1e-3 if self.model == "tiny" else 1e-5


def _check(cfg: SFTConfig) -> None:
    if cfg.model != "tiny" and not Path(cfg.model).is_dir():
        raise ConfigError(f"model directory {cfg.model} does not exist: pass a local Hugging Face checkpoint "
                          "directory (downloaded beforehand; SAT-Env never fetches weights) or --model tiny")
    if not Path(cfg.data).is_dir():
        raise ConfigError(f"data folder {cfg.data} does not exist: run `sat export --out {cfg.data} ...` first")
    if cfg.wandb not in WANDB_MODES:
        raise ConfigError(f"--wandb must be one of {', '.join(WANDB_MODES)}, got {cfg.wandb!r}")
    if cfg.batch_size < 1 or cfg.grad_accum < 1:
        raise ConfigError("--batch-size and --grad-accum must be >= 1")
    if cfg.max_steps is not None and cfg.max_steps < 1:
        raise ConfigError(f"--max-steps must be >= 1, got {cfg.max_steps}")
    if cfg.precision not in ("auto", "fp32", "bf16", "fp16"):
        raise ConfigError(f"unknown precision {cfg.precision!r}: use fp32, bf16, fp16 or auto")
    cfg.resolved_method()
    if cfg.precision == "fp16" and not pick_device(cfg.device).startswith("cuda"):
        raise ConfigError("--fp16 needs a CUDA device (fp16 training on CPU is not supported); use --bf16 or fp32")


def _tiny_base(cfg: SFTConfig, out: Path, samples) -> Path:
    """Build (once) the tiny model whose tokenizer is trained on the data's prompts and answers (in the tiny chat
    template's layout, so its merges cover the rendered text)."""
    from finetune.tiny import TinyConfig, build_tiny

    base = out / "base"
    if (base / "config.json").is_file():
        return base
    texts = [f"USER: {s.text}\nASSISTANT: {s.answer}" for s in samples]
    tmp = out / "base.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    build_tiny(tmp, texts * 4, TinyConfig(image_size=cfg.tiny_image_size), seed=cfg.seed)
    os.replace(tmp, base)
    return base


def _apply_lora(model, cfg: SFTConfig):
    from peft import LoraConfig, get_peft_model

    targets = cfg.lora_targets
    if "," in targets or targets.isidentifier():
        targets = [t.strip() for t in targets.split(",") if t.strip()]
    lcfg = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout, bias="none",
                      target_modules=targets)
    try:
        return get_peft_model(model, lcfg)
    except ValueError as e:
        import torch

        names = sorted({n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)})
        raise ConfigError(f"--lora-targets {cfg.lora_targets!r} matches no module of this model ({e}); its linear "
                          f"layers are named: {', '.join(names)}") from e


def _checkpoints(out: Path) -> list[Path]:
    d = out / "checkpoints"
    cps = [p for p in d.glob("step-*") if (p / "state.json").is_file()] if d.is_dir() else []
    return sorted(cps, key=lambda p: int(p.name.split("-")[1]))


def _prepare_out(cfg: SFTConfig, resume: bool) -> Path:
    out = Path(cfg.out)
    run_file = out / RUN_FILE
    mine = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in ("max_steps", "epochs", "device")}
    if resume:
        if not run_file.is_file():
            raise ConfigError(f"--resume: {out} holds no `sat finetune` run ({RUN_FILE} missing); drop --resume")
        theirs = {k: v for k, v in json.loads(run_file.read_text())["config"].items() if k in mine}
        diff = [k for k in mine if theirs.get(k) != mine[k]]
        if diff:
            raise ConfigError(f"--resume: the run in {out} used different settings ({', '.join(diff)}); use the "
                              "same options, or a new --out")
        return out
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out} is not empty: pass --resume to continue the run there, or choose a new --out")
    out.mkdir(parents=True, exist_ok=True)
    return out


def train(cfg: SFTConfig, resume: bool = False, progress: bool = True) -> dict:
    """Run (or resume) a fine-tuning job; returns the summary also written to OUT/sat_finetune.json."""
    import numpy as np
    import torch

    _check(cfg)
    root = Path(cfg.data)
    fmt = export_format(root, cfg.format)
    samples = export_samples(root, fmt, export_split(root, fmt, cfg.split))
    instruct = instruct_samples(cfg.mix_instruct, cfg.mix_image_root) if cfg.mix_instruct else []
    out = _prepare_out(cfg, resume)  # after every input check: a bad input leaves nothing behind
    method = cfg.resolved_method()
    if cfg.model == "tiny" and method == "lora":
        print("warning: LoRA on the tiny model's random init does not learn (its frozen random head and norms "
              "cannot make the logits peaked); use --full", file=sys.stderr)
    base = (_tiny_base(cfg, out, samples) if cfg.model == "tiny" else Path(cfg.model)).resolve()
    device = pick_device(cfg.device)
    use_bf16 = cfg.precision == "bf16" or (cfg.precision == "auto" and device.startswith("cuda")
                                            and torch.cuda.is_bf16_supported())
    model, processor = load_model(base, device="cpu", dtype="fp32", trainable=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        if method == "lora":
            model = _apply_lora(model, cfg)
    if cfg.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        if method == "lora":
            model.enable_input_require_grads()
    model.to(device)
    model.train()

    order = SampleOrder(len(samples), len(instruct), cfg.mix_ratio if instruct else 0.0, cfg.seed)
    per_step = cfg.batch_size * cfg.grad_accum
    total = cfg.max_steps or max(1, math.ceil(cfg.epochs * order.epoch_len / per_step))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.resolved_lr(), weight_decay=cfg.weight_decay)
    from transformers import get_cosine_schedule_with_warmup

    sched = get_cosine_schedule_with_warmup(opt, int(cfg.warmup_ratio * total), total)
    scaler = torch.amp.GradScaler("cuda") if cfg.precision == "fp16" else None

    step = 0
    cps = _checkpoints(out) if resume else []
    if cps:
        step = _load_checkpoint(cps[-1], model, opt, sched)
        _trim_metrics(out / "metrics.jsonl", step)
        print(f"resuming from {cps[-1]} (step {step} of {total})", file=sys.stderr)
    run_info = {"base_model": str(base), "method": method, "format": fmt, "config": dataclasses.asdict(cfg),
                "samples": len(samples), "instruct_samples": len(instruct), "total_steps": total}
    (out / RUN_FILE).write_text(json.dumps(run_info, indent=1))
    n_train = sum(p.numel() for p in params)
    n_all = sum(p.numel() for p in model.parameters())
    print(f"{method}: {n_train:,} of {n_all:,} parameters trainable; {len(samples)} QAs"
          f"{f' + {len(instruct)} instruct samples' if instruct else ''}; {total} steps of {per_step} on {device}",
          file=sys.stderr)
    run = wandb_run(cfg.wandb, out, run_info, project="sat-env-finetune")
    eval_items = _eval_items(Path(cfg.eval_data), cfg.eval_limit) if cfg.eval_data else []
    bar = ProgressBar(total, progress, unit="step", initial=step)
    losses, tokens, t0 = [], 0, time.monotonic()
    try:
        while step < total:
            opt.zero_grad(set_to_none=True)
            step_loss = 0.0
            for micro in range(cfg.grad_accum):
                g0 = (step * cfg.grad_accum + micro) * cfg.batch_size
                batch = [samples[i] if src == 0 else instruct[i]
                         for src, i in (order.at(g) for g in range(g0, g0 + cfg.batch_size))]
                enc = {k: v.to(device) for k, v in collate(processor, batch, cfg.max_length).items()}
                tokens += int(enc["attention_mask"].sum())
                with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16 if use_bf16
                                    else torch.float16, enabled=use_bf16 or scaler is not None):
                    loss = model(**enc).loss / cfg.grad_accum
                if not torch.isfinite(loss):
                    raise RuntimeError(f"loss is {loss.item()} at step {step}: lower --lr or use fp32/bf16")
                (scaler.scale(loss) if scaler else loss).backward()
                step_loss += float(loss.detach())
            if scaler:
                scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            if scaler:
                scaler.step(opt)
                scaler.update()
            else:
                opt.step()
            sched.step()
            step += 1
            losses.append(step_loss)
            bar.update(1, loss=f"{step_loss:.3f}", tok_s=f"{tokens / max(1e-9, time.monotonic() - t0):.0f}")
            if step % cfg.log_every == 0 or step == total:
                rec = {"step": step, "loss": float(np.mean(losses[-cfg.log_every:])), "lr": sched.get_last_lr()[0],
                       "epoch": step * per_step / order.epoch_len, "tokens_per_s": tokens / (time.monotonic() - t0)}
                _log(out, run, rec)
            if eval_items and ((cfg.eval_every and step % cfg.eval_every == 0) or step == total):
                _log(out, run, {"step": step, **_accuracy(model, processor, eval_items)})
            if step % cfg.save_every == 0 and step < total:
                _save_checkpoint(out, step, model, opt, sched)
        summary = _finish(out, model, processor, method, run_info, losses)
    finally:
        bar.close()
        if run is not None:
            run.finish()
    return summary


def _eval_items(root: Path, limit: int) -> list:
    """Up to ``limit`` multiple-choice QAs of a held-out export, images left encoded until asked (free-form metric
    answers are scored by `sat evaluate`)."""
    from itertools import islice

    from finetune.benchmarks import BENCHMARKS

    if not root.is_dir():
        raise ConfigError(f"--eval-data {root} does not exist: export a held-out split, e.g. `sat export --split val`")
    return list(islice((it for it in BENCHMARKS["export"](root, None, load_images="lazy") if it.kind == "mc"), limit))


def _accuracy(model, processor, items: list) -> dict:
    """Greedy-decoding accuracy on multiple-choice QAs, overall and per family, scored by `sat evaluate`'s code."""
    from finetune.evaluate import score, table

    predictor = Predictor(None, model=model, processor=processor)
    rows = table(score(items, predictor.generate, progress=False))
    overall = next(r for r in rows if r["task"] == "all")
    return {"eval_accuracy": overall["accuracy"], "eval_n": overall["n"],
            **{f"eval_accuracy/{r['task']}": r["accuracy"] for r in rows if r["task"] != "all"}}


def _log(out: Path, run, rec: dict) -> None:
    with open(out / "metrics.jsonl", "a") as fh:
        fh.write(json.dumps(rec) + "\n")
    if run is not None:
        run.log({k: v for k, v in rec.items() if k != "step"}, step=rec["step"])


def _trim_metrics(path: Path, step: int) -> None:
    """Drop lines logged after the checkpoint a run resumes from (they will be logged again)."""
    if path.is_file():
        keep = [ln for ln in path.read_text().splitlines() if ln and json.loads(ln)["step"] <= step]
        path.write_text("".join(ln + "\n" for ln in keep))


def _save_checkpoint(out: Path, step: int, model, opt, sched) -> None:
    import torch

    d = out / "checkpoints" / f"step-{step:07d}"
    tmp = d.with_name(d.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    # the trained tensors under their in-memory names (save_pretrained renames keys for the Hub layout)
    torch.save({n: p.detach().cpu() for n, p in model.named_parameters() if p.requires_grad}, tmp / "weights.pt")
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp / "optim.pt")
    (tmp / "state.json").write_text(json.dumps({"step": step}))
    os.replace(tmp, d)  # complete or absent: a kill mid-save leaves only a .partial the next save replaces
    for old in _checkpoints(out)[:-KEEP_CHECKPOINTS]:
        shutil.rmtree(old, ignore_errors=True)


def _load_checkpoint(d: Path, model, opt, sched) -> int:
    import torch

    state = torch.load(d / "weights.pt", weights_only=True)
    trained = {n for n, p in model.named_parameters() if p.requires_grad}
    if set(state) != trained:
        raise ConfigError(f"checkpoint {d} does not match this model's trainable weights: resume with the same "
                          "--model and method, or start a new --out")
    model.load_state_dict(state, strict=False)
    st = torch.load(d / "optim.pt", weights_only=False)
    opt.load_state_dict(st["optimizer"])
    sched.load_state_dict(st["scheduler"])
    return int(json.loads((d / "state.json").read_text())["step"])


def _finish(out: Path, model, processor, method: str, run_info: dict, losses: list) -> dict:
    model.save_pretrained(out)  # LoRA: adapter_config.json + adapter_model.safetensors; full: the whole model
    processor.save_pretrained(out)
    summary = {**run_info, "steps": len(losses), "final_loss": losses[-1] if losses else None}
    if losses:
        summary["first_loss"] = losses[0]
    (out / RUN_FILE).write_text(json.dumps(summary, indent=1))
    return summary

"""`sat finetune`: supervised fine-tuning of a local vision-language checkpoint on a `sat export`, LoRA or full.

    sat finetune --model /models/llava-1.5-7b-hf --data export/ --out runs/llava-sat        # SAT's recipe (LoRA)
    sat finetune --model tiny --data export/ --out runs/tiny --max-steps 300                 # offline, from scratch
    sat finetune --model small --data env:sat --out runs/small --max-steps 20000            # fresh houses, no end

Any Hugging Face image-text-to-text checkpoint directory loads (AutoModelForImageTextToText + AutoProcessor); the
prompt is the SAT prompt inside the processor's chat template; the loss is on the answer tokens only. Checkpoints
go to OUT/checkpoints/step-N (weights, optimizer, scheduler, state) and ``--resume`` continues from the latest one
with the same sample order. Metrics go to OUT/metrics.jsonl and to wandb (offline by default, OUT/wandb).
The result in OUT loads with plain transformers / peft code (see the README).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from finetune.benchmark_data import BENCHMARKS
from finetune.evaluate import score, table
from finetune.infer import RUN_FILE, Predictor, is_small, load_model, pick_device
from finetune.sft_data import (
    SampleOrder,
    check_images,
    collate,
    export_format,
    export_samples,
    export_split,
    instruct_samples,
)
from finetune.stream import EnvStream, parse_stream
from finetune.tiny import TinyConfig, build_tiny
from sat_env.errors import ConfigError
from sat_env.export.formats import FORMATS
from sat_env.export.records import atomic_text
from sat_env.progress import ProgressBar
from sat_env.splits import SPLITS
from sat_env.tracking import WANDB_MODES, wandb_run

# SAT's recipe for LLaVA (reference/SAT.md §4): LoRA r128 / alpha 256 on q_proj and v_proj. Our default pattern
# keeps the adapters on the language model (SAT's plain names also hit the CLIP tower's q/v projections).
LANGUAGE_QV = r".*(language_model|text_model).*\.(q_proj|v_proj)$"
KEEP_CHECKPOINTS = 2
FROM_SCRATCH = ("tiny", "small")  # models built from config here, not loaded


METHODS = ("auto", "lora", "full")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")


@dataclass(frozen=True)
class SFTConfig:
    """Everything a fine-tuning run depends on (recorded in OUT/sat_finetune.json; a resume must match it)."""

    model: str
    """local checkpoint directory, "tiny" (a tiny LLaVA built offline from config, trained from scratch) or "small"
    (SAT-Small, finetune/small.py: a from-scratch model that picks among the options; learns on a CPU)"""
    data: str
    """a `sat export` folder, or env:MIX to stream fresh QAs from the QA envs (env:sat, env:static, env:dynamic,
    env:nav, or families: env:left_right,ego_movement); a stream needs --max-steps"""
    out: str
    """output folder: the adapter or model, checkpoints, metrics.jsonl, wandb/"""
    format: str | None = field(default=None, metadata={"choices": tuple(FORMATS)})
    """export format to read (sat, messages, llava; default: the first present)"""
    split: str | None = field(default=None, metadata={"choices": SPLITS})
    """export split to train on (default: the folder's only split)"""
    families: list[str] | None = None
    """train only on these families of the export (default: all)"""
    eval_data: str | None = None
    """a held-out export (e.g. `sat export --split val`) for the accuracy logged during training"""
    method: str = field(default="auto", metadata={"choices": METHODS})
    """lora, full, or auto: full for tiny and small (LoRA on a random init does not learn), lora otherwise"""
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
    max_minutes: float | None = None
    """stop training after this many minutes (the model is saved as it is then; the schedule is cut short)"""
    lr: float | None = None
    """peak learning rate (default: 1e-3 full tiny, 3e-4 SAT-Small, 2e-4 LoRA, 1e-5 full real model)"""
    warmup_ratio: float = 0.03
    """share of the steps with linear warm-up before the cosine decay"""
    weight_decay: float = 0.0
    """AdamW weight decay (SAT: 0)"""
    batch_size: int = 8
    """samples per micro-batch"""
    grad_accum: int = 1
    """micro-batches per optimizer step"""
    precision: str = field(default="auto", metadata={"choices": PRECISIONS})
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
    wandb: str = field(default="offline", metadata={"choices": WANDB_MODES})
    """disabled, offline (default; upload later with `wandb sync`) or online"""
    seed: int = 0
    """seed of the sample order, the tiny model's weights and LoRA's init"""
    device: str | None = None
    """cpu, cuda, cuda:1, ... (default: cuda when available)"""
    tiny_image_size: int = 64
    """image size of the tiny model"""
    small_image_size: int = 128
    """image size of SAT-Small"""
    blank_images: bool = False
    """SAT-Small only: the model sees blank images in training and evaluation (the text-only twin of a run)"""
    stream_workers: int = 1
    """processes rendering QAs for an env: stream (0: in the training process)"""
    stream_size: int | None = None
    """image size an env: stream renders at (default: the model's input size; 224 for a checkpoint)"""
    vocab_samples: int = 1500
    """stream samples a from-scratch model's vocabulary is built from (an export uses all its samples)"""

    def resolved_method(self) -> str:
        if self.method not in METHODS:
            raise ConfigError(f"unknown method {self.method!r}: use lora, full or auto")
        if self._small() and self.method == "lora":
            raise ConfigError("SAT-Small is trained from scratch and fully: drop --lora (use --full or the default)")
        if self.method != "auto":
            return self.method
        return "full" if self.model in FROM_SCRATCH or self._small() else "lora"

    def _small(self) -> bool:
        """SAT-Small, new (``small``) or a trained one to continue from (e.g. the next stage of a curriculum)."""
        return self.model == "small" or is_small(self.model)

    def resolved_lr(self) -> float:
        if self.lr is not None:
            return self.lr
        if self.resolved_method() == "lora":
            return 2e-4
        if self._small():
            return 3e-4  # 1e-3 and 2e-3 never left the plateau on 7 families; 3e-4 did by step 250 (experiments/README)
        return 1e-3 if self.model == "tiny" else 1e-5

    def render_size(self) -> int:
        """The image size an env: stream renders at."""
        if self.stream_size:
            return self.stream_size
        return {"small": self.small_image_size, "tiny": 2 * self.tiny_image_size}.get(self.model, 224)


def _check(cfg: SFTConfig) -> None:
    if cfg.model not in FROM_SCRATCH and not Path(cfg.model).is_dir():
        raise ConfigError(f"model directory {cfg.model} does not exist: pass a local Hugging Face checkpoint "
                          "directory (downloaded beforehand; SAT-Env never fetches weights), --model small or "
                          "--model tiny")
    stream = parse_stream(cfg.data)
    if stream is None and not Path(cfg.data).is_dir():
        raise ConfigError(f"data folder {cfg.data} does not exist: run `sat export --out {cfg.data} ...` first, or "
                          "stream fresh questions with --data env:sat")
    if stream is not None and cfg.max_steps is None:
        raise ConfigError(f"--data {cfg.data} is an endless stream: pass --max-steps (and optionally --max-minutes)")
    if stream is not None and cfg.mix_instruct:
        raise ConfigError("--mix-instruct works with an export folder, not with an env: stream")
    if cfg._small() and cfg.mix_instruct:
        raise ConfigError("SAT-Small answers multiple-choice questions only: it cannot train on --mix-instruct data")
    if cfg.blank_images and cfg.model != "small":
        raise ConfigError("--blank-images is for --model small (the text-only twin of a SAT-Small run; a trained "
                          "twin keeps the setting in its config)")
    if cfg.families and stream is not None:
        raise ConfigError("--families filters an export; for a stream name the families in --data env:a,b")
    if cfg.max_minutes is not None and cfg.max_minutes <= 0:
        raise ConfigError(f"--max-minutes must be > 0, got {cfg.max_minutes}")
    if cfg.stream_workers < 0:
        raise ConfigError(f"--stream-workers must be >= 0, got {cfg.stream_workers}")
    if cfg.model == "small" and not (32 <= cfg.small_image_size <= 512 and cfg.small_image_size % 16 == 0):
        raise ConfigError(f"--small-image-size must be a multiple of 16 in 32..512, got {cfg.small_image_size}")
    if cfg.wandb not in WANDB_MODES:
        raise ConfigError(f"--wandb must be one of {', '.join(WANDB_MODES)}, got {cfg.wandb!r}")
    if cfg.batch_size < 1 or cfg.grad_accum < 1:
        raise ConfigError("--batch-size and --grad-accum must be >= 1")
    if cfg.max_steps is not None and cfg.max_steps < 1:
        raise ConfigError(f"--max-steps must be >= 1, got {cfg.max_steps}")
    if cfg.precision not in PRECISIONS:
        raise ConfigError(f"unknown precision {cfg.precision!r}: use fp32, bf16, fp16 or auto")
    cfg.resolved_method()
    if cfg.precision == "fp16" and not pick_device(cfg.device).startswith("cuda"):
        raise ConfigError("--fp16 needs a CUDA device (fp16 training on CPU is not supported); use --bf16 or fp32")


def _small_base(cfg: SFTConfig, out: Path, samples) -> Path:
    """Build (once) an untrained SAT-Small whose word vocabulary and answer table come from ``samples``."""
    import torch

    from finetune.small import SatSmallConfig, SatSmallModel, build_answers, build_vocab, split_prompt

    base = out / "base"
    if (base / "config.json").is_file():
        return base
    texts = [split_prompt(s.text)[0] for s in samples] + [c for s in samples for c in s.choices]
    answers = [s.answer for s in samples]
    config = SatSmallConfig(vocab=build_vocab(texts), answers=build_answers(answers, max(5, len(answers) // 300)),
                            image_size=cfg.small_image_size, blank_images=cfg.blank_images)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        model = SatSmallModel(config)
    tmp = out / "base.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    os.replace(tmp, base)
    return base


def _tiny_base(cfg: SFTConfig, out: Path, samples) -> Path:
    """Build (once) the tiny model whose tokenizer is trained on the data's prompts and answers (in the tiny chat
    template's layout, so its merges cover the rendered text)."""
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
    # what may differ on a resume: how long to train, where (the device, and the folder: a run may be moved), and how
    # many processes render a stream (the stream's sequence does not depend on them)
    mine = {k: v for k, v in dataclasses.asdict(cfg).items()
            if k not in ("max_steps", "epochs", "device", "max_minutes", "stream_workers", "out")}
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


def _source(cfg: SFTConfig):
    """(samples, stream): the export's samples (stream None) or an env: stream (samples None)."""
    spec = parse_stream(cfg.data)
    if spec is not None:
        return None, EnvStream(**spec, size=cfg.render_size(), seed=cfg.seed, split="train",
                               workers=cfg.stream_workers)
    root = Path(cfg.data)
    fmt = export_format(root, cfg.format)
    samples = export_samples(root, fmt, export_split(root, fmt, cfg.split))
    if cfg.families:
        have = {s.family for s in samples}
        missing = sorted(set(cfg.families) - have)
        if missing:
            raise ConfigError(f"--families {', '.join(missing)}: not in {root} (it has {', '.join(sorted(have))})")
        samples = [s for s in samples if s.family in cfg.families]
    if cfg._small():
        mc = [s for s in samples if s.choices]
        if not mc:
            raise ConfigError(f"{root} holds no multiple-choice QAs: SAT-Small learns to pick options")
        if len(mc) < len(samples):
            print(f"SAT-Small: {len(samples) - len(mc)} free-form QAs skipped (it picks among options)",
                  file=sys.stderr)
        samples = mc
    return samples, None


def _batches(samples, stream, instruct, order, g0: int, size: int, choices_only: bool):
    """Lists of ``size`` samples from global sample index ``g0`` on: the seeded export order, or the stream (with
    ``choices_only``, for SAT-Small, its free-form QAs are passed over, which keeps the order a function of the
    index)."""
    if stream is None:
        g = g0
        while True:
            yield [samples[i] if src == 0 else instruct[i] for src, i in (order.at(x) for x in range(g, g + size))]
            g += size
    it = stream.iter_from(g0)
    try:
        while True:
            batch = []
            while len(batch) < size:
                s = next(it)
                if s.choices or not choices_only:
                    batch.append(s)
            yield batch
    finally:
        it.close()


def train(cfg: SFTConfig, resume: bool = False, progress: bool = True) -> dict:
    """Run (or resume) a fine-tuning job; returns the summary also written to OUT/sat_finetune.json."""
    import numpy as np
    import torch

    _check(cfg)
    samples, stream = _source(cfg)
    instruct = instruct_samples(cfg.mix_instruct, cfg.mix_image_root) if cfg.mix_instruct else []
    if samples is not None:  # every image readable, before anything is written
        check_images(samples + instruct, f"{cfg.data}" + (f" and {cfg.mix_instruct}" if instruct else ""),
                     progress=progress)
    out = _prepare_out(cfg, resume)  # after every input check: a bad input leaves nothing behind
    if not (out / RUN_FILE).is_file():  # first thing written: from here on the folder is a run --resume continues
        atomic_text(out / RUN_FILE, json.dumps({"config": dataclasses.asdict(cfg), "status": "starting"}, indent=1))
    method = cfg.resolved_method()
    small = cfg._small()
    if cfg.model == "tiny" and method == "lora":
        print("warning: LoRA on the tiny model's random init does not learn (its frozen random head and norms "
              "cannot make the logits peaked); use --full", file=sys.stderr)
    if cfg.model in FROM_SCRATCH:
        vocab_from = samples if samples is not None else [
            s for s in stream.take(0, cfg.vocab_samples) if not small or s.choices]
        base = (_small_base if small else _tiny_base)(cfg, out, vocab_from).resolve()
    else:
        base = Path(cfg.model).resolve()
    device = pick_device(cfg.device)
    use_bf16 = cfg.precision == "bf16" or (cfg.precision == "auto" and device.startswith("cuda")
                                            and torch.cuda.is_bf16_supported())
    model, processor = load_model(base, device="cpu", dtype="fp32", trainable=True)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        if method == "lora":
            model = _apply_lora(model, cfg)
    if cfg.gradient_checkpointing and not small:
        model.gradient_checkpointing_enable()
        if method == "lora":
            model.enable_input_require_grads()
    model.to(device)
    model.train()

    per_step = cfg.batch_size * cfg.grad_accum
    order = None
    if samples is not None:
        order = SampleOrder(len(samples), len(instruct), cfg.mix_ratio if instruct else 0.0, cfg.seed)
    total = cfg.max_steps or max(1, math.ceil(cfg.epochs * order.epoch_len / per_step))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.resolved_lr(), weight_decay=cfg.weight_decay)
    from transformers import get_cosine_schedule_with_warmup

    sched = get_cosine_schedule_with_warmup(opt, int(cfg.warmup_ratio * total), total)
    scaler = torch.amp.GradScaler("cuda") if cfg.precision == "fp16" else None

    step = 0
    cps = _checkpoints(out) if resume else []
    rng_state = None
    if cps:
        step, rng_state = _load_checkpoint(cps[-1], model, opt, sched)
        _trim_metrics(out / "metrics.jsonl", step)
        print(f"resuming from {cps[-1]} (step {step} of {total})", file=sys.stderr)
    run_info = {"base_model": str(base), "method": method, "format": "stream" if stream else export_format(
                    Path(cfg.data), cfg.format), "config": dataclasses.asdict(cfg),
                "samples": len(samples) if samples is not None else None,
                "stream": stream.describe() if stream else None,
                "instruct_samples": len(instruct), "total_steps": total}
    (out / RUN_FILE).write_text(json.dumps(run_info, indent=1))
    n_train = sum(p.numel() for p in params)
    n_all = sum(p.numel() for p in model.parameters())
    what = f"{len(samples)} QAs" if samples is not None else f"a stream of fresh QAs ({cfg.data})"
    print(f"{method}: {n_train:,} of {n_all:,} parameters trainable; {what}"
          f"{f' + {len(instruct)} instruct samples' if instruct else ''}; {total} steps of {per_step} on {device}",
          file=sys.stderr)
    run = wandb_run(cfg.wandb, out, run_info, project="sat-env-finetune")
    eval_items = _eval_items(Path(cfg.eval_data), cfg.eval_limit) if cfg.eval_data else []

    def encode(batch):
        if small:
            return model.encode([(s.images, s.text, list(s.choices)) for s in batch],
                                [s.choices.index(s.answer) for s in batch])
        return collate(processor, batch, cfg.max_length)

    bar = ProgressBar(total, progress, unit="step", initial=step)
    batches = _batches(samples, stream, instruct, order, step * per_step, cfg.batch_size, small)
    losses, tokens, seen, t0 = [], 0, 0, time.monotonic()
    stopped_early = False
    # Dropout (LoRA's, the models' own) draws from torch's global generators: seed them for the run, checkpoint their
    # state and restore it on resume (so runs repeat and resume exactly), and give the caller's back afterwards.
    rng_scope = contextlib.ExitStack()
    rng_scope.enter_context(torch.random.fork_rng(devices=[torch.device(device).index or 0]
                                                  if device.startswith("cuda") else []))
    torch.manual_seed(cfg.seed)
    if rng_state is not None:
        torch.set_rng_state(rng_state["cpu"])
        if rng_state["cuda"] and device.startswith("cuda"):
            torch.cuda.set_rng_state_all(rng_state["cuda"])
    try:
        while step < total:
            if cfg.max_minutes is not None and time.monotonic() - t0 > 60 * cfg.max_minutes:
                print(f"--max-minutes {cfg.max_minutes}: stopping at step {step} of {total}", file=sys.stderr)
                stopped_early = True
                break
            opt.zero_grad(set_to_none=True)
            step_loss = 0.0
            for micro in range(cfg.grad_accum):
                batch = next(batches)
                enc = {k: v.to(device) for k, v in encode(batch).items()}
                tokens += int(enc["attention_mask"].sum()) if "attention_mask" in enc else 0
                seen += len(batch)
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
            rate = {"samples_s": f"{seen / max(1e-9, time.monotonic() - t0):.0f}"} if small else {
                "tok_s": f"{tokens / max(1e-9, time.monotonic() - t0):.0f}"}
            bar.update(1, loss=f"{step_loss:.3f}", **rate)
            if step % cfg.log_every == 0 or step == total:
                el = time.monotonic() - t0
                rec = {"step": step, "loss": float(np.mean(losses[-cfg.log_every:])), "lr": sched.get_last_lr()[0],
                       "samples_per_s": seen / el, "elapsed_s": el}
                if order is not None:
                    rec["epoch"] = step * per_step / order.epoch_len
                if not small:
                    rec["tokens_per_s"] = tokens / el
                _log(out, run, rec)
            if eval_items and ((cfg.eval_every and step % cfg.eval_every == 0) or step == total):
                _log(out, run, {"step": step, **_accuracy(model, processor, eval_items)})
            if step % cfg.save_every == 0 and step < total:
                _save_checkpoint(out, step, model, opt, sched)
        if stopped_early and eval_items:
            _log(out, run, {"step": step, **_accuracy(model, processor, eval_items)})
        run_info["train_seconds"] = time.monotonic() - t0
        run_info["stopped_early"] = stopped_early
        summary = _finish(out, model, processor, method, run_info, losses)
    finally:
        batches.close()
        bar.close()
        if run is not None:
            run.finish()
        rng_scope.close()
    return summary


def _eval_items(root: Path, limit: int) -> list:
    """Up to ``limit`` multiple-choice QAs of a held-out export, images left encoded until asked (free-form metric
    answers are scored by `sat evaluate`)."""
    from itertools import islice

    if not root.is_dir():
        raise ConfigError(f"--eval-data {root} does not exist: export a held-out split, e.g. `sat export --split val`")
    return list(islice((it for it in BENCHMARKS["export"](root, None, load_images="lazy") if it.kind == "mc"), limit))


def _accuracy(model, processor, items: list) -> dict:
    """Greedy-decoding accuracy on multiple-choice QAs, overall and per family, scored by `sat evaluate`'s code."""
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
    # the trained tensors under their in-memory names (save_pretrained renames keys for the Hub layout), and the
    # buffers training changes (BatchNorm's running statistics in SAT-Small)
    torch.save(_train_state(model), tmp / "weights.pt")
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()}, tmp / "optim.pt")
    torch.save({"cpu": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else []}, tmp / "rng.pt")
    (tmp / "state.json").write_text(json.dumps({"step": step}))
    os.replace(tmp, d)  # complete or absent: a kill mid-save leaves only a .partial the next save replaces
    for old in _checkpoints(out)[:-KEEP_CHECKPOINTS]:
        shutil.rmtree(old, ignore_errors=True)


def _train_state(model) -> dict:
    """What a checkpoint must hold to resume exactly: trainable parameters and the persistent buffers."""
    keys = set(model.state_dict())
    state = {n: p.detach().cpu() for n, p in model.named_parameters() if p.requires_grad}
    state.update({n: b.detach().cpu() for n, b in model.named_buffers() if n in keys})
    return state


def _load_checkpoint(d: Path, model, opt, sched) -> tuple[int, dict | None]:
    """Load a checkpoint into the model, optimizer and scheduler; (its step, the RNG state it saved or None)."""

    state = _load_tensors(d / "weights.pt")
    if set(state) != set(_train_state(model)):
        raise ConfigError(f"checkpoint {d} does not match this model's trainable weights: resume with the same "
                          "--model and method, or start a new --out")
    model.load_state_dict(state, strict=False)
    st = _load_tensors(d / "optim.pt")
    opt.load_state_dict(st["optimizer"])
    sched.load_state_dict(st["scheduler"])
    # checkpoints written before the RNG state was saved resume with the run's seed
    rng = _load_tensors(d / "rng.pt") if (d / "rng.pt").is_file() else None
    return int(json.loads((d / "state.json").read_text())["step"]), rng


def _load_tensors(path: Path):
    """A checkpoint file, read as tensors and plain containers only (``weights_only``): a checkpoint folder may come
    from anyone, and unpickling would run any code planted in it."""
    import pickle

    import torch

    try:
        return torch.load(path, weights_only=True)
    except pickle.UnpicklingError as e:
        raise ConfigError(f"{path} holds more than tensors (refusing to unpickle it: it could run code): delete "
                          f"{path.parent} to resume from the checkpoint before it, or start a new --out") from e
    except (RuntimeError, EOFError) as e:
        raise ConfigError(f"{path} is unreadable ({e}): delete {path.parent} to resume from the checkpoint before "
                          "it, or start a new --out") from e


def _finish(out: Path, model, processor, method: str, run_info: dict, losses: list) -> dict:
    model.save_pretrained(out)  # LoRA: adapter_config.json + adapter_model.safetensors; full: the whole model
    if processor is not None:  # SAT-Small has none: it reads SAT prompts itself
        processor.save_pretrained(out)
    summary = {**run_info, "steps": len(losses), "final_loss": losses[-1] if losses else None}
    if losses:
        summary["first_loss"] = losses[0]
    (out / RUN_FILE).write_text(json.dumps(summary, indent=1))
    return summary

"""Probe what SAT-Small learns: one short run on chosen families of an export, training and held-out accuracy.

    python -m experiments.probe_small --train EXPORT_TRAIN --test EXPORT_TEST --families left_right \\
        --steps 300 [--image-size 128] [--limit 2000] [--pooling attention|mean] [--no-coords] [--blank]

The runs behind the "why it did not learn" evidence in experiments/README.md. Each prints one JSON line: settings,
seconds, training accuracy (on up to 1,000 of its training QAs) and held-out accuracy per family, and the
loss curve every 50 steps. No files are written unless --out is given (the JSON line appended there).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path


def _samples(root, families, limit=None):
    from finetune.sft_data import export_samples, export_split

    root = Path(root)
    out = [s for s in export_samples(root, "sat", export_split(root, "sat", None))
           if s.choices and (not families or s.family in families)]
    return out[:limit] if limit else out


def _accuracy(model, samples) -> dict:
    per = defaultdict(list)
    picks = model.choose([(list(s.images), s.text, list(s.choices)) for s in samples])
    for s, p in zip(samples, picks):
        per[s.family].append(s.choices[p] == s.answer)
    return {f: round(sum(v) / len(v), 3) for f, v in sorted(per.items())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--families", nargs="*", default=None)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--image-size", type=int, default=128)
    ap.add_argument("--limit", type=int, help="training QAs used (default: all of the chosen families)")
    ap.add_argument("--pooling", default="attention", choices=["attention", "mean"])
    ap.add_argument("--no-coords", action="store_true")
    ap.add_argument("--blank", action="store_true", help="blank images (the text-only twin)")
    ap.add_argument("--no-answer-embed", action="store_true", help="options read word by word only")
    ap.add_argument("--channels", default="32,64,96,128")
    ap.add_argument("--norm", default="batch", choices=["batch", "group"])
    ap.add_argument("--keypoint-temp", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", help="append the JSON line to this file")
    args = ap.parse_args(argv)

    import numpy as np
    import torch

    from finetune.small import SatSmallConfig, SatSmallModel, build_answers, build_vocab, split_prompt

    train = _samples(args.train, args.families, args.limit)
    test = _samples(args.test, args.families)
    texts = [split_prompt(s.text)[0] for s in train] + [c for s in train for c in s.choices]
    answers = [] if args.no_answer_embed else build_answers([s.answer for s in train], max(5, len(train) // 300))
    cfg = SatSmallConfig(vocab=build_vocab(texts), answers=answers, image_size=args.image_size,
                         pooling=args.pooling, coords=not args.no_coords, blank_images=args.blank,
                         channels=[int(c) for c in args.channels.split(",")], norm=args.norm,
                         keypoint_temp=args.keypoint_temp)
    torch.manual_seed(args.seed)
    model = SatSmallModel(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
    from transformers import get_cosine_schedule_with_warmup

    sched = get_cosine_schedule_with_warmup(opt, max(1, args.steps // 30), args.steps)
    rng = np.random.default_rng(args.seed)
    order = np.concatenate([rng.permutation(len(train)) for _ in range(args.steps * args.batch_size // len(train) + 1)])
    curve, t0 = [], time.monotonic()
    model.train()
    for step in range(args.steps):
        batch = [train[i] for i in order[step * args.batch_size:(step + 1) * args.batch_size]]
        enc = model.encode([(list(s.images), s.text, list(s.choices)) for s in batch],
                           [s.choices.index(s.answer) for s in batch])
        loss = model(**enc).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        curve.append(float(loss))
        if (step + 1) % 50 == 0:
            print(f"step {step + 1} loss {np.mean(curve[-50:]):.3f} {time.monotonic() - t0:.0f}s", flush=True)
    secs = time.monotonic() - t0
    rec = {"families": args.families, "n_train": len(train), "steps": args.steps, "image_size": args.image_size,
           "pooling": args.pooling, "coords": not args.no_coords, "blank": args.blank, "channels": args.channels,
           "norm": args.norm, "keypoint_temp": args.keypoint_temp, "lr": args.lr, "seed": args.seed,
           "answer_embed": not args.no_answer_embed, "seconds": round(secs),
           "loss": [round(float(np.mean(curve[i:i + 50])), 3) for i in range(0, len(curve), 50)],
           "train_acc": _accuracy(model, train[:1000]), "test_acc": _accuracy(model, test)}
    print(json.dumps(rec))
    if args.out:
        with open(args.out, "a") as fh:
            fh.write(json.dumps(rec) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

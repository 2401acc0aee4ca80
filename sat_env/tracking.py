"""Experiment tracking shared by PPO training and fine-tuning: a wandb run (offline by default) or nothing."""

from __future__ import annotations

import os
from pathlib import Path

WANDB_MODES = ("disabled", "offline", "online")


def wandb_run(mode: str, out: Path, config: dict, sync_tensorboard: bool = False, project: str = "sat-env"):
    """A wandb run in the given mode writing under ``out/wandb``, or None (disabled, or wandb not installed: then
    say so and go on; metrics.jsonl still records everything). Offline runs upload later with ``wandb sync``."""
    if mode == "disabled":
        return None
    try:
        import wandb
    except ImportError:
        print("note: wandb is not installed, logging to metrics.jsonl only "
              "(pip install wandb, or pass --wandb disabled to silence this)")
        return None
    os.environ.setdefault("WANDB_DIR", str(out))
    os.environ.setdefault("WANDB_SILENT", "true")
    return wandb.init(project=project, mode=mode, dir=str(out), config=config, sync_tensorboard=sync_tensorboard)

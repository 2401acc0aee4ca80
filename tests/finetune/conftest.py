"""Fixtures for the fine-tuning tests: small exports (train and a held-out val split) and a tiny model trained on
them, built once per session (deterministic)."""

from __future__ import annotations

import pytest

# Families that sample quickly, with one- and two-image questions and 2- and 3-way choices.
FAMILIES = ["left_right", "closer_to_camera", "ego_movement", "count"]


@pytest.fixture(scope="session")
def train_export(tmp_path_factory):
    from sat_env.export import ExportConfig, run_export

    out = tmp_path_factory.mktemp("ft") / "train"
    run_export(ExportConfig(num_qa=48, out=str(out), size=64, families=FAMILIES, formats=["sat", "messages"],
                            shard_size=24), progress=False)
    return out


@pytest.fixture(scope="session")
def val_export(tmp_path_factory):
    from sat_env.export import ExportConfig, run_export

    out = tmp_path_factory.mktemp("ft") / "val"
    run_export(ExportConfig(num_qa=16, out=str(out), size=64, families=FAMILIES, formats=["messages"], split="val",
                            shard_size=16), progress=False)
    return out


@pytest.fixture(scope="session")
def tiny_run(train_export, val_export, tmp_path_factory):
    """A tiny model trained fully for 40 steps; returns (out dir, summary, captured in-memory logits)."""
    from finetune.sft import SFTConfig, train

    out = tmp_path_factory.mktemp("ft") / "run"
    cfg = SFTConfig(model="tiny", data=str(train_export), out=str(out), max_steps=40, batch_size=8,
                    eval_data=str(val_export), eval_limit=8, wandb="disabled", save_every=1000, log_every=5)
    return out, train(cfg, progress=False)


@pytest.fixture
def kill_and_resume(monkeypatch):
    """``run(cfg, crash_step)``: train ``cfg`` killed right after the checkpoint of ``crash_step``, check that a plain
    re-run refuses the non-empty folder, then resume it to the end."""
    from finetune import sft
    from sat_env.errors import ConfigError

    def run(cfg, crash_step: int) -> None:
        save = sft._save_checkpoint

        def crash(out, step, *a):
            save(out, step, *a)
            if step == crash_step:
                raise KeyboardInterrupt("simulated kill")

        monkeypatch.setattr(sft, "_save_checkpoint", crash)
        with pytest.raises(KeyboardInterrupt):
            sft.train(cfg, progress=False)
        monkeypatch.setattr(sft, "_save_checkpoint", save)
        with pytest.raises(ConfigError, match="--resume"):
            sft.train(cfg, progress=False)
        sft.train(cfg, resume=True, progress=False)

    return run

"""Fine-tuning under faults (issue 17): LoRA with dropout repeats and resumes bit for bit; a checkpoint carrying a
pickle payload is refused without running it; a dataset with a missing, truncated or no image at all is refused
before anything is written; a run killed while its base model is built resumes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from finetune.sft import SFTConfig, train  # noqa: E402
from sat_env.cli import main  # noqa: E402
from sat_env.errors import ConfigError  # noqa: E402


def _lora(data, out, **kw):
    return SFTConfig(model="tiny", method="lora", lora_dropout=0.3, data=str(data), out=str(out), max_steps=8,
                     batch_size=4, save_every=4, log_every=2, wandb="disabled", **kw)


def _adapter(out):
    from safetensors.torch import load_file

    return load_file(str(out / "adapter_model.safetensors"))


def _same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_lora_with_dropout_repeats_and_resumes_to_the_same_weights(train_export, tmp_path, kill_and_resume):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    train(_lora(train_export, tmp_path / "a"), progress=False)
    assert torch.equal(torch.get_rng_state(), before)  # the caller's generator is given back untouched
    torch.rand(7)  # whatever the caller drew before, the run is the same
    train(_lora(train_export, tmp_path / "b"), progress=False)
    a = _adapter(tmp_path / "a")
    assert _same(a, _adapter(tmp_path / "b"))
    kill_and_resume(_lora(train_export, tmp_path / "c"), 4)
    assert _same(a, _adapter(tmp_path / "c"))
    assert (tmp_path / "c" / "checkpoints" / "step-0000004" / "rng.pt").is_file()
    # the seed is what makes them equal: another seed draws other dropout masks
    train(_lora(train_export, tmp_path / "d", seed=1), progress=False)
    assert not _same(a, _adapter(tmp_path / "d"))


def _killed_after_step_4(cfg, monkeypatch) -> None:
    """Train `cfg` and stop it (as a kill would) right after its step-4 checkpoint."""
    from finetune import sft

    save = sft._save_checkpoint

    def crash(o, step, *a):
        save(o, step, *a)
        if step == 4:
            raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(sft, "_save_checkpoint", crash)
        with pytest.raises(KeyboardInterrupt):
            train(cfg, progress=False)


class _Payload:
    """Unpickling this runs code: it creates the file named in its argument."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_a_checkpoint_with_a_pickle_payload_is_refused_without_running_it(train_export, tmp_path, monkeypatch):
    out = tmp_path / "run"
    _killed_after_step_4(_lora(train_export, out), monkeypatch)
    planted = tmp_path / "pwned"
    optim = out / "checkpoints" / "step-0000004" / "optim.pt"
    torch.save({"optimizer": _Payload(str(planted)), "scheduler": {}}, optim)
    with pytest.raises(ConfigError, match="refusing to unpickle"):
        train(_lora(train_export, out), resume=True, progress=False)
    assert not planted.exists()


def _messages_copy(src, dst):
    shutil.copytree(src, dst)
    shutil.rmtree(dst / "sat", ignore_errors=True)
    return dst


def test_bad_images_and_empty_data_are_refused_before_anything_is_written(train_export, tmp_path, capsys):
    data = _messages_copy(train_export, tmp_path / "data")
    images = sorted((data / "images" / "train").rglob("*.jpg"))
    images[13].unlink()  # one missing image (the run used to crash at the step that drew it)
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match=r"1 of \d+ images .* cannot be read: .*missing"):
        train(_lora(data, out, format="messages"), progress=False)
    assert not out.exists()
    images[14].write_bytes(images[14].read_bytes()[:500])  # a truncated JPEG too
    assert main(["finetune", "--model", "tiny", "--data", str(data), "--format", "messages", "--out", str(out),
                 "--max-steps", "2", "--wandb", "disabled", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "2 of" in err and "truncated" in err and "--verify" in err and not out.exists()
    empty = _messages_copy(train_export, tmp_path / "empty")
    for f in (empty / "messages" / "train").glob("*.jsonl"):
        f.write_text("")
    with pytest.raises(ConfigError, match="no training samples"):
        train(_lora(empty, out, format="messages"), progress=False)
    assert not out.exists()


def test_a_run_killed_while_its_base_model_is_built_resumes(train_export, tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "sat_env", "finetune", "--model", "tiny", "--data", str(train_export), "--out",
           str(out), "--max-steps", "2", "--batch-size", "4", "--wandb", "disabled", "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    while not (out / "base.partial").exists() and proc.poll() is None and time.monotonic() - t0 < 120:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (out / "base.partial").exists() and not (out / "base").exists(), "the kill missed the base build"
    plain = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert plain.returncode == 2 and "--resume" in plain.stderr
    resumed = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((out / "sat_finetune.json").read_text())["steps"] == 2


def test_a_moved_run_resumes_in_its_new_folder(train_export, tmp_path, monkeypatch):
    _killed_after_step_4(_lora(train_export, tmp_path / "old"), monkeypatch)
    shutil.move(tmp_path / "old", tmp_path / "new")  # e.g. copied to a bigger disk
    train(_lora(train_export, tmp_path / "new"), resume=True, progress=False)
    train(_lora(train_export, tmp_path / "ref"), progress=False)
    assert _same(_adapter(tmp_path / "new"), _adapter(tmp_path / "ref"))

"""SAT-Small (finetune/small.py): it reads SAT prompts, learns a pixel-position comparison its text-only twin cannot,
trains from an export or an env: stream through `sat finetune`, resumes exactly, and loads like any checkpoint
(its own class, AutoModel with trust_remote_code, `sat evaluate`, the model policy)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from finetune.sft import SFTConfig, train
from finetune.small import SatSmallConfig, SatSmallModel, build_vocab, split_prompt
from qa.prompts import sat_prompt
from sat_env.errors import ConfigError

STREAM = "env:left_right,ego_movement"


@pytest.mark.parametrize("choices", [["yes"], ["left", "right"], ["the sofa (marked A)", "rotated left", "0"]])
def test_split_prompt_reads_back_a_sat_prompt(choices):
    q = "Is the chair (marked A) left or right of the table?"
    question, options = split_prompt(sat_prompt(q, choices))
    assert question == q
    assert options == (choices if len(choices) > 1 else [])


def _marks(rng, n, size=64):
    """Grey images with a red and a blue square; the answer is whether red is left of blue."""
    out, labels = [], []
    for _ in range(n):
        im = np.full((size, size, 3), 128, np.uint8)
        x1, x2 = rng.choice(size - 14, 2, replace=False) + 7
        y1, y2 = rng.integers(7, size - 7, 2)
        im[y1 - 3:y1 + 3, x1 - 3:x1 + 3] = (230, 30, 30)
        im[y2 - 3:y2 + 3, x2 - 3:x2 + 3] = (30, 80, 235)
        out.append(([im], sat_prompt("Is the red mark left or right of the blue mark?", ["left", "right"]),
                    ["left", "right"]))
        labels.append(0 if x1 < x2 else 1)
    return out, labels


@pytest.mark.parametrize("blank", [False, True])
def test_learns_where_a_mark_is_and_its_twin_cannot(blank):
    """Fresh samples every step: the model must learn the comparison, not memorise; blanked, it stays at chance."""
    cfg = SatSmallConfig(vocab=build_vocab(["is the red mark left or right of the blue mark"]),
                         answers=["left", "right"], image_size=64, channels=(16, 32, 48, 64), hidden=64,
                         blank_images=blank)
    torch.manual_seed(0)
    model = SatSmallModel(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    rng = np.random.default_rng(0)
    for _ in range(150):
        s, y = _marks(rng, 32)
        loss = model(**model.encode(s, y)).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    test, y = _marks(np.random.default_rng(1), 200)
    acc = float(np.mean(np.array(model.choose(test)) == np.array(y)))
    if blank:
        assert 0.35 < acc < 0.65
    else:
        assert acc > 0.9


def test_blank_images_make_the_answer_independent_of_the_pixels():
    cfg = SatSmallConfig(vocab=build_vocab(["left right"]), answers=["left", "right"], image_size=32,
                         blank_images=True)
    model = SatSmallModel(cfg).eval()
    a, _ = _marks(np.random.default_rng(0), 4, size=32)
    b = [([np.zeros_like(im[0])], t, o) for im, t, o in a]
    with torch.no_grad():
        assert torch.equal(model(**model.encode(a)).logits, model(**model.encode(b)).logits)


def _cfg(out, data, **kw):
    base = {"model": "small", "data": str(data), "out": str(out), "max_steps": 6, "batch_size": 4,
            "small_image_size": 64, "wandb": "disabled", "save_every": 1000, "log_every": 2, "stream_workers": 0,
            "vocab_samples": 48}
    return SFTConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def small_run(train_export, tmp_path_factory):
    out = tmp_path_factory.mktemp("small") / "run"
    return out, train(_cfg(out, train_export, max_steps=20, batch_size=8), progress=False)


def test_small_run_saves_a_checkpoint_that_loads_like_any_other(small_run, train_export, tmp_path):
    from transformers import AutoModel

    from finetune.infer import Predictor
    from sat_env.export import iter_records

    out, summary = small_run
    assert summary["steps"] == 20 and (out / "small.py").is_file()
    assert json.loads((out / "config.json").read_text())["auto_map"]["AutoModel"] == "small.SatSmallModel"
    recs = list(iter_records(train_export, "sat", "train"))[:6]
    asks = [(r["images"], sat_prompt(r["question"], r["answers"]), r["answers"]) for r in recs]
    mine = SatSmallModel.from_pretrained(out).eval()
    remote = AutoModel.from_pretrained(out, trust_remote_code=True).eval()
    enc = mine.encode(asks)
    with torch.no_grad():
        assert torch.allclose(mine(**enc).logits, remote(**enc).logits)
    p = Predictor(out)
    picked = p.rank(asks)
    assert p.generate([(i, t) for i, t, _ in asks]) == [o[k] for (_, _, o), k in zip(asks, picked)]
    assert p.generate([(asks[0][0], "How far is the sofa?")]) == [""]  # a prompt without options


def test_sat_evaluate_and_the_model_policy_take_a_small_model(small_run, val_export, tmp_path):
    from agents.evaluate import evaluate
    from finetune.evaluate import evaluate_model

    out, _ = small_run
    rows = evaluate_model(str(out), tmp_path / "eval", data=str(val_export), progress=False)
    overall = next(r for r in rows if r["task"] == "all")
    assert overall["n"] == 16 and 0 <= overall["accuracy"] <= 1
    s = evaluate(f"model:{out}", "SAT-ObjectNav-Easy-v0", 1, env_kwargs={"size": 64, "max_steps": 3})
    assert s["table"][0]["episodes"] == 1


def test_stream_training_resumes_to_the_same_weights(tmp_path, kill_and_resume):
    from safetensors.torch import load_file

    def cfg(out):
        return _cfg(out, STREAM, max_steps=8, save_every=4)

    train(cfg(tmp_path / "a"), progress=False)
    kill_and_resume(cfg(tmp_path / "b"), 4)
    a, b = load_file(str(tmp_path / "a" / "model.safetensors")), load_file(str(tmp_path / "b" / "model.safetensors"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    run = json.loads((tmp_path / "a" / "sat_finetune.json").read_text())
    assert run["format"] == "stream" and run["stream"] is not None


@pytest.mark.parametrize("kw, match", [
    ({"data": "env:left_right", "max_steps": None}, "--max-steps"),
    ({"data": "env:no_such_family"}, "no_such_family"),
    ({"model": "tiny", "blank_images": True}, "--blank-images"),
    ({"method": "lora"}, "from scratch"),
    ({"max_minutes": 0}, "--max-minutes"),
    ({"small_image_size": 100}, "multiple of 16"),
    ({"data": "/no/such/export"}, "env:sat"),
])
def test_clear_errors_leave_nothing_behind(kw, match, tmp_path, train_export):
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match=match):
        train(_cfg(out, kw.pop("data", train_export), **kw), progress=False)
    assert not out.exists()


def test_families_filter_and_continuing_from_a_trained_small_model(small_run, train_export, tmp_path):
    from sat_env.export import iter_records

    out, _ = small_run
    n_lr = sum(r["family"] == "left_right" for r in iter_records(train_export, "sat", "train", load_images=False))
    s = train(_cfg(tmp_path / "next", train_export, model=str(out), families=["left_right"], max_steps=2),
              progress=False)
    assert s["method"] == "full" and s["samples"] == n_lr
    vocab = SatSmallModel.from_pretrained(out).config.vocab
    assert SatSmallModel.from_pretrained(tmp_path / "next").config.vocab == vocab
    with pytest.raises(ConfigError, match="not in"):
        train(_cfg(tmp_path / "bad", train_export, families=["perspective"]), progress=False)
    assert not (tmp_path / "bad").exists()


def test_sat_finetune_command_line_trains_small(train_export, tmp_path, capsys):
    """`sat finetune` end to end through the options generated from SFTConfig."""
    from sat_env.cli import main

    out = tmp_path / "cli"
    assert main(["finetune", "--model", "small", "--data", str(train_export), "--out", str(out), "--max-steps", "2",
                 "--batch-size", "4", "--small-image-size", "64", "--wandb", "disabled", "--full", "--warmup-ratio",
                 "0.5", "--no-progress"]) == 0
    run = json.loads((out / "sat_finetune.json").read_text())
    assert run["steps"] == 2 and run["config"]["warmup_ratio"] == 0.5 and run["method"] == "full"
    assert "saved the model" in capsys.readouterr().out

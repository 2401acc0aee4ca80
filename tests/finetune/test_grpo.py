"""`sat grpo` (issue 19): TRL's GRPOTrainer on questions streamed from the QA envs, rewarded by the envs' own
verification; on the tiny model on CPU the reward is logged, the LoRA weights move, and a run resumes."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from finetune.grpo import choice_reward, format_reward, grpo  # noqa: E402
from sat_env.errors import ConfigError  # noqa: E402

FAST = dict(data="env:left_right", batch_size=8, num_generations=4, max_completion_length=4,
            size=32, wandb="disabled", device="cpu", lora_r=4, lora_alpha=8, temperature=0.7, format_weight=0.5)


def test_rewards_are_the_envs_verification():
    choices = [["left", "right"], ["left", "right"], ["1.50 m"], ["1.50 m"]]
    answers = ["left", "left", "1.50 m", "1.50 m"]
    got = choice_reward(["left", "It is to the right.", "1.5", "about 3 meters"], answers, choices)
    assert got[:2] == [1.0, 0.0] and got[2] == pytest.approx(1.0) and 0 <= got[3] < 0.5
    assert format_reward(["left", "left, I think"], choices[:2]) == [1.0, 0.0]
    conv = [[{"role": "assistant", "content": "right"}]]  # conversational completions
    assert choice_reward(conv, ["right"], [["left", "right"]]) == [1.0]


def test_grpo_logs_rewards_moves_the_adapter_and_resumes(tiny_run, tmp_path):
    # The tiny model answers left_right at chance, mostly "right" whatever the picture: within a group the choice
    # reward is often flat, so the format reward (answering with exactly an option) gives the group its spread
    from safetensors.torch import load_file

    model, _ = tiny_run
    out = tmp_path / "grpo"
    s = grpo(str(model), str(out), max_steps=2, save_every=1, **FAST)
    assert s["steps"] == 2
    logs = [json.loads(ln) for ln in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logs if "reward" in r] == [1, 2] and all(0 <= r["reward"] <= 1.5 for r in logs
                                                                        if "reward" in r)
    adapter = load_file(str(out / "adapter_model.safetensors"))
    assert any("lora_B" in k and torch.count_nonzero(v) for k, v in adapter.items()), "no LoRA update"
    with pytest.raises(ConfigError, match="--resume"):
        grpo(str(model), str(out), max_steps=3, **FAST)
    s3 = grpo(str(model), str(out), max_steps=3, resume=True, save_every=1, **FAST)
    assert s3["steps"] == 3 and (out / "checkpoint-3").is_dir()


def test_grpo_refuses_bad_input_before_writing(tmp_path, tiny_run):
    model, _ = tiny_run
    with pytest.raises(ConfigError, match="env:MIX"):
        grpo(str(model), str(tmp_path / "a"), data=str(tmp_path))
    with pytest.raises(ConfigError, match="multiple of"):
        grpo(str(model), str(tmp_path / "b"), batch_size=6, num_generations=4)
    with pytest.raises(ConfigError, match="checkpoint directory"):
        grpo(str(tmp_path), str(tmp_path / "c"))
    assert not any((tmp_path / d).exists() for d in "abc")

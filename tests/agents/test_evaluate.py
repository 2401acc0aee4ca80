"""Agent evaluation: tables, trajectory pictures and videos; the PPO pipeline end to end (slow tier)."""

from __future__ import annotations

import json

import pytest

from agents.evaluate import evaluate, make_agent
from sat_env.cli import main
from sat_env.errors import ConfigError


def test_oracle_and_random_on_qa_env(tmp_path):
    kw = {"size": 64, "num_questions": 4}
    s = evaluate("oracle", "SAT-Static-v0", 3, env_kwargs=kw, out=str(tmp_path / "o"))
    assert s["table"][-1]["family"] == "ALL" and s["table"][-1]["accuracy"] == 1.0
    assert (tmp_path / "o" / "summary.csv").is_file() and (tmp_path / "o" / "episodes.json").is_file()
    s = evaluate("random", "SAT-LeftRight-v0", 3, env_kwargs=kw)
    assert 0.0 <= s["table"][-1]["accuracy"] <= 1.0


def test_objectnav_oracle_trajectories_and_video(tmp_path):
    s = evaluate("oracle", "SAT-ObjectNav-Easy-v0", 2, env_kwargs={"episodes": "eval"}, out=str(tmp_path / "n"),
                 video_dir=str(tmp_path / "v"))
    row = s["table"][0]
    assert row["success"] == 1.0 and row["spl"] > 0.8
    assert len(list((tmp_path / "n" / "trajectories").glob("*.png"))) == 2
    assert len(list((tmp_path / "v").glob("*.gif"))) == 2


def test_cli_evaluate_agent(tmp_path, capsys):
    assert main(["evaluate-agent", "--agent", "random", "--env", "SAT-ObjectNav-Easy-v0", "--episodes", "2",
                 "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "episodes.json").read_text())
    assert len(rows) == 2 and {"success", "spl", "steps"} <= set(rows[0])
    assert "success" in capsys.readouterr().out


def test_bad_agent_and_env():
    with pytest.raises(ConfigError, match="unknown agent"):
        make_agent("genius", None)
    with pytest.raises(ConfigError, match="cannot make env"):
        evaluate("random", "SAT-Nope-v0", 1)
    with pytest.raises(ConfigError, match="no PPO model"):
        evaluate("ppo:/nonexistent", "SAT-ObjectNav-Easy-v0", 1)


@pytest.mark.slow
def test_ppo_trains_saves_and_evaluates(tmp_path):
    assert main(["train-ppo", "--env", "SAT-ObjectNav-Easy-v0", "--timesteps", "512", "--n-envs", "2",
                 "--out", str(tmp_path / "ppo"), "--wandb", "disabled", "--no-progress",
                 "--env-kwarg", "houses=[0, 1, 2]"]) == 0
    assert (tmp_path / "ppo" / "model.zip").is_file()
    assert (tmp_path / "ppo" / "metrics.jsonl").is_file()
    s = evaluate(f"ppo:{tmp_path / 'ppo'}", "SAT-ObjectNav-Easy-v0", 2, env_kwargs={"episodes": "eval"})
    assert 0.0 <= s["table"][0]["success"] <= 1.0


def test_random_walk_never_calls_done_and_is_objectnav_only():
    import gymnasium as gym

    from sat_env.tasks.objectnav import ACTIONS

    env = gym.make("SAT-ObjectNav-Easy-v0", episodes="eval")
    agent = make_agent("random-walk", env, seed=3)
    acts = [agent.act(None, {}) for _ in range(600)]
    assert ACTIONS.index("Done") not in acts and set(acts) == set(range(len(ACTIONS))) - {ACTIONS.index("Done")}
    qa = gym.make("SAT-Static-v0", size=64)
    with pytest.raises(ConfigError, match="ObjectNav agent"):
        make_agent("random-walk", qa)


def test_ppo_agent_samples_reproducibly_and_greedy_takes_argmax(tmp_path):
    pytest.importorskip("stable_baselines3")
    import gymnasium as gym
    import numpy as np
    from stable_baselines3 import PPO

    from agents.ppo import PPOAgent
    from sat_env.envs.wrappers import SB3ObsWrapper

    env = gym.make("SAT-ObjectNav-Easy-v0", episodes="eval")
    PPO("MultiInputPolicy", SB3ObsWrapper(env), n_steps=16, batch_size=16, seed=0, device="cpu").save(tmp_path / "m")
    obs, info = env.reset(seed=0)
    a, b = (make_agent(f"ppo:{tmp_path / 'm.zip'}", env, seed=7) for _ in range(2))
    assert [a.act(obs, info) for _ in range(50)] == [b.act(obs, info) for _ in range(50)]
    probs = a.action_probs(obs)
    assert probs.shape == (6,) and abs(probs.sum() - 1) < 1e-5
    greedy = make_agent(f"ppo-greedy:{tmp_path / 'm.zip'}", env)
    assert isinstance(greedy, PPOAgent) and greedy.act(obs, info) == int(np.argmax(probs))
    # an untrained policy is near uniform: sampling visits several actions, greedy always the same one
    assert len({a.act(obs, info) for _ in range(50)}) > 2


def test_ppo_trains_without_tensorboard_and_writes_nothing_for_a_bad_env(tmp_path, monkeypatch, capsys):
    import sys

    from agents.ppo import train_ppo

    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as on a machine without it
    path = train_ppo("SAT-ObjectNav-Easy-v0", 64, tmp_path / "ppo", env_kwargs={"size": 64}, n_envs=1, n_steps=32,
                     batch_size=32, wandb_mode="offline", progress_bar=False)
    assert path.is_file() and "tensorboard is not installed" in capsys.readouterr().out
    assert not (tmp_path / "ppo" / "tb").exists()
    with pytest.raises(Exception):
        train_ppo("SAT-NoSuchEnv-v0", 64, tmp_path / "bad", wandb_mode="disabled", progress_bar=False)
    assert not (tmp_path / "bad").exists()

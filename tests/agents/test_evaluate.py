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

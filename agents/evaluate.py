"""Evaluating agents on SAT-Env environments: per-family accuracy for QA envs; success, SPL, episode length and
distance to goal for ObjectNav; top-down trajectory pictures and episode videos."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import gymnasium as gym
import numpy as np

import sat_env  # noqa: F401
from agents import model_policy
from agents.base import RandomAgent
from agents.model_policy import ModelPolicyAgent
from agents.oracle import OracleQAAgent
from agents.oracle_nav import OracleNavAgent
from sat_env.errors import ConfigError
from sat_env.tasks.objectnav import ACTIONS
from sat_env.viz import letterbox, topdown


def make_agent(spec: str, env, seed: int = 0):
    """An agent from a spec.

    Specs: "random", "random-walk" (ObjectNav: random moves and turns, never Done), "forward" (ObjectNav:
    MoveAhead, turning while blocked, never Done), "scan-walker" (ObjectNav: the model policy's movement rule
    without a model: forward, plus a look around at the start and every 20 moves), "oracle-answers" (ObjectNav: that
    rule with truthful answers, its upper bound), "oracle", "ppo:PATH" (actions
    sampled from the policy with a seeded RNG), "ppo-greedy:PATH" (argmax actions), or "model:PATH" /
    "model:PATH@ADAPTER" (a fine-tuned vision-language model, :class:`agents.model_policy.ModelPolicyAgent`: it
    answers QA envs' questions and drives ObjectNav with the nav_visible / nav_stop / nav_direction questions;
    PATH is a local checkpoint or a `sat finetune` output, ADAPTER an optional peft adapter directory).
    """
    if spec == "random":
        return RandomAgent(env.action_space, seed=seed)
    if spec == "random-walk":
        if "ObjectNav" not in type(env.unwrapped).__name__:
            raise ConfigError("random-walk is an ObjectNav agent: use random for QA envs")
        return RandomAgent(env.action_space, seed=seed, exclude=(ACTIONS.index("Done"),))
    if spec == "oracle":
        if hasattr(env.unwrapped, "goal_points") or "ObjectNav" in type(env.unwrapped).__name__:
            return OracleNavAgent(env)
        return OracleQAAgent(env)
    if spec.startswith(("ppo:", "ppo-greedy:")):
        from agents.ppo import PPOAgent

        kind, path = spec.split(":", 1)
        return PPOAgent.load(path, env, deterministic=kind == "ppo-greedy", seed=seed)
    if spec.startswith("model:"):
        path, _, adapter = spec[len("model:"):].partition("@")
        if not path:
            raise ConfigError("model agent without a path: use model:PATH or model:PATH@ADAPTER")
        return ModelPolicyAgent(path, env, adapter=adapter or None, seed=seed)
    if spec in ("forward", "scan-walker", "oracle-answers"):
        if "ObjectNav" not in type(env.unwrapped).__name__:
            raise ConfigError(f"{spec} is an ObjectNav agent: use random for QA envs")
        make = {"forward": model_policy.forward_walker, "scan-walker": model_policy.scan_walker,
                "oracle-answers": model_policy.oracle_answers}[spec]
        return make(env, seed=seed)
    raise ConfigError(f"unknown agent {spec!r}: use random, random-walk, forward, scan-walker, oracle-answers, "
                      "oracle, ppo:PATH, ppo-greedy:PATH, model:PATH or model:PATH@ADAPTER")


def evaluate(agent_spec: str, env_id: str, episodes: int = 20, env_kwargs: dict | None = None, seed: int = 0,
             video_dir: str | None = None, out: str | None = None, progress=None) -> dict:
    """Run `episodes` episodes; return (and write under `out`) a summary table and per-episode records: accuracy per
    family (QA envs) or success, SPL, episode length and distance to goal (ObjectNav), trajectory PNGs and, with
    `video_dir`, episode GIFs.

    Args:
        agent_spec: random, random-walk (ObjectNav, never Done), forward (ObjectNav: ahead, turning while blocked),
            scan-walker (ObjectNav: the model policy's movement rule without a model: forward plus look-arounds),
            oracle-answers (that rule with truthful answers), oracle, ppo:PATH (a model.zip or its folder; actions
            sampled with the seed; stable-baselines3 unpickles model.zip, which can run code: only load a model you
            trust), ppo-greedy:PATH (argmax actions) or model:PATH[@ADAPTER] (a fine-tuned VLM:
            answers QA envs; in ObjectNav asks the nav_visible, nav_stop and nav_direction questions each step).
        env_id: environment id.
        episodes: episodes to run.
        env_kwargs: env constructor arguments.
        seed: seed of the first episode (episode k: seed + k).
        video_dir: directory for episode GIFs.
        out: output directory (None: nothing is written).
        progress: ``progress(done, total)`` after each episode.
    """
    if episodes < 1:
        raise ConfigError(f"episodes must be >= 1, got {episodes}")
    kwargs = dict(env_kwargs or {})
    if video_dir:
        kwargs["render_mode"] = "rgb_array"
    try:
        env = gym.make(env_id, **kwargs)
    except gym.error.Error as e:
        raise ConfigError(f"cannot make env {env_id!r}: {e}") from e
    agent = make_agent(agent_spec, env, seed)
    nav = "ObjectNav" in env_id
    records = []
    for ep in range(episodes):
        obs, info = env.reset(seed=seed + ep)
        agent.reset(obs, info)
        frames = [env.render()] if video_dir else []
        path = [(env.unwrapped.privileged()["backend"].pose.x, env.unwrapped.privileged()["backend"].pose.z)] \
            if nav else []
        done, steps, ret = False, 0, 0.0
        answers = []
        while not done:
            obs, r, term, trunc, info = env.step(agent.act(obs, info))
            steps += 1
            ret += r
            done = term or trunc
            if video_dir:
                frames.append(env.render())
            if nav:
                p = env.unwrapped.privileged()["backend"].pose
                path.append((p.x, p.z))
            elif "answered" in info:
                answers.append(info["answered"])
        rec = {"episode": ep, "steps": steps, "return": ret}
        if nav:
            rec.update(success=float(info.get("success", 0.0)), spl=float(info.get("spl", 0.0)),
                       distance_to_goal=float(info.get("distance_to_goal", np.nan)),
                       path_length=float(info.get("path_length", np.nan)), target=info.get("target"))
            if out:
                _trajectory_png(env, path, Path(out) / "trajectories" / f"episode_{ep:03d}.png")
        else:
            rec["answers"] = answers
        if video_dir and frames and frames[0] is not None:
            _video(frames, Path(video_dir) / f"episode_{ep:03d}.gif")
        records.append(rec)
        if progress:
            progress(ep + 1, episodes)
    env.close()
    summary = _summary(records, nav, agent_spec, env_id)
    if out:
        outp = Path(out)
        outp.mkdir(parents=True, exist_ok=True)
        (outp / "episodes.json").write_text(json.dumps(records, indent=1, default=float) + "\n")
        with open(outp / "summary.csv", "w", newline="") as f:
            rows = summary["table"]
            wr = csv.DictWriter(f, fieldnames=list(rows[0]))
            wr.writeheader()
            wr.writerows(rows)
    return summary


def _summary(records, nav: bool, agent: str, env_id: str) -> dict:
    if nav:
        row = {"agent": agent, "env": env_id, "episodes": len(records),
               "success": float(np.mean([r["success"] for r in records])),
               "spl": float(np.mean([r["spl"] for r in records])),
               "episode_length": float(np.mean([r["steps"] for r in records])),
               "distance_to_goal": float(np.nanmean([r["distance_to_goal"] for r in records]))}
        return {"table": [row]}
    per = defaultdict(list)
    for r in records:
        for a in r["answers"]:
            per[a["family"]].append(float(a["correct"]))
    rows = [{"agent": agent, "env": env_id, "family": f, "questions": len(v), "accuracy": float(np.mean(v))}
            for f, v in sorted(per.items())]
    allv = [x for v in per.values() for x in v]
    rows.append({"agent": agent, "env": env_id, "family": "ALL", "questions": len(allv),
                 "accuracy": float(np.mean(allv)) if allv else float("nan")})
    return {"table": rows}


def _trajectory_png(env, path, file: Path) -> None:
    priv = env.unwrapped.privileged()
    backend = priv["backend"]
    p = backend.pose
    img = topdown(backend.scene, agent=(p.x, p.z, p.yaw), path=path, px_per_m=50)
    file.parent.mkdir(parents=True, exist_ok=True)
    img.save(file)


def _video(frames, file: Path) -> None:
    """An episode GIF. The envs render one frame size per env; any frame of another size is letterboxed into the
    first one's, never cropped."""
    import imageio.v2 as imageio
    from PIL import Image

    file.parent.mkdir(parents=True, exist_ok=True)
    h, w = frames[0].shape[:2]
    frames = [f if f.shape[:2] == (h, w) else np.asarray(letterbox(Image.fromarray(f), (w, h))) for f in frames]
    imageio.mimsave(file, frames, duration=150, loop=0)

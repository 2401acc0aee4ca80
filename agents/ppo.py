"""PPO (stable-baselines3) on SAT-Env: training with checkpoints, TensorBoard and wandb logs, and a loadable agent.

torch and stable-baselines3 are imported inside the functions (optional extra: ``pip install -e ".[rl]"``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

import gymnasium as gym
import numpy as np

import sat_env  # noqa: F401  (registers ids)
from sat_env.envs.wrappers import SB3ObsWrapper
from sat_env.errors import ConfigError
from sat_env.tracking import wandb_run


def _require_sb3():
    try:
        import stable_baselines3  # noqa: F401
        import torch  # noqa: F401
    except ImportError as e:
        raise ConfigError('PPO needs stable-baselines3 and torch: pip install -e ".[rl]" '
                          "(it pins torch==2.13.0, the CPU wheel)") from e


def make_wrapped_env(env_id: str, env_kwargs: dict | None = None, seed: int | None = None):
    """gym.make(env_id, **env_kwargs) wrapped for SB3 (no strings, channel-first images)."""
    env = SB3ObsWrapper(gym.make(env_id, **(env_kwargs or {})))
    if seed is not None:
        env.reset(seed=seed)
    return env


def train_ppo(env_id: str, timesteps: int, out: str | os.PathLike, env_kwargs: dict | None = None, seed: int = 0,
              n_envs: int = 4, n_steps: int = 128, batch_size: int = 256, learning_rate: float = 3e-4,
              checkpoint_every: int = 10_000, wandb_mode: Literal["disabled", "offline", "online"] = "offline",
              progress_bar: bool = True, device: str = "cpu", max_seconds: float | None = None) -> Path:
    """Train PPO with a multi-input CNN policy; save checkpoints, TensorBoard logs, metrics and the final model.

    Training stops after `timesteps` steps or `max_seconds` of wall time, whichever comes first.
    Returns the path of the final model (``out/model.zip``).

    Args:
        env_id: environment id, e.g. SAT-ObjectNav-Easy-v0.
        timesteps: environment steps to train for.
        out: output directory.
        env_kwargs: env constructor arguments.
        seed: seed of the envs (env k gets seed + k) and of PPO.
        n_envs: parallel envs in one process.
        n_steps: steps per env per update.
        batch_size: minibatch size.
        learning_rate: Adam learning rate.
        checkpoint_every: steps between checkpoints.
        wandb_mode: Weights & Biases logging.
        progress_bar: show SB3's progress bar.
        device: torch device of the policy.
        max_seconds: stop after this much wall time.
    """
    import time
    _require_sb3()
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback, CheckpointCallback
    from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

    if timesteps < 1:
        raise ConfigError(f"timesteps must be >= 1, got {timesteps}")
    if wandb_mode not in ("disabled", "offline", "online"):
        raise ConfigError(f"--wandb must be disabled, offline or online, got {wandb_mode!r}")
    try:  # decided before anything is written: wandb mirrors TensorBoard only where TensorBoard logs exist
        import tensorboard  # noqa: F401

        have_tb = True
    except ImportError:
        have_tb = False
    venv = VecMonitor(DummyVecEnv([
        (lambda k=k: make_wrapped_env(env_id, env_kwargs, seed=seed + k)) for k in range(n_envs)]))  # bad ids fail here
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    config = {"env_id": env_id, "env_kwargs": env_kwargs or {}, "timesteps": timesteps, "seed": seed,
              "n_envs": n_envs, "n_steps": n_steps, "batch_size": batch_size, "learning_rate": learning_rate}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    tb = str(out / "tb") if have_tb else None
    if not have_tb:
        print('note: tensorboard is not installed, so no TensorBoard logs (pip install -e ".[rl]"); episode metrics '
              "still go to metrics.jsonl (and to wandb)")
    run = wandb_run(wandb_mode, out, config, sync_tensorboard=have_tb)
    venv.seed(seed)
    model = PPO("MultiInputPolicy", venv, n_steps=n_steps, batch_size=batch_size, learning_rate=learning_rate,
                n_epochs=4, gamma=0.99, ent_coef=0.01, seed=seed, device=device, verbose=0, tensorboard_log=tb)

    class Metrics(BaseCallback):
        """Episode returns, successes and SPL to metrics.jsonl (and wandb when active)."""

        def __init__(self):
            super().__init__()
            self.f = open(out / "metrics.jsonl", "a")

        def _on_step(self) -> bool:
            if max_seconds is not None and time.monotonic() - t_start > max_seconds:
                return False  # time budget spent: stop training
            for info in self.locals.get("infos", []):
                ep = info.get("episode")
                if ep is None:
                    continue
                rec = {"timesteps": self.num_timesteps, "return": float(ep["r"]), "length": int(ep["l"])}
                for k in ("success", "spl"):
                    if k in info:
                        rec[k] = float(info[k])
                self.f.write(json.dumps(rec) + "\n")
                for k, v in rec.items():
                    if k != "timesteps":
                        self.logger.record_mean(f"episode/{k}", v)
                if run is not None:
                    run.log(rec)  # (wandb picks the step; sync_tensorboard forbids setting it)
            return True

        def _on_training_end(self) -> None:
            self.f.close()

    t_start = time.monotonic()
    ckpt = CheckpointCallback(save_freq=max(1, checkpoint_every // n_envs), save_path=str(out / "checkpoints"),
                              name_prefix="ppo")
    model.learn(total_timesteps=timesteps, callback=[ckpt, Metrics()], progress_bar=progress_bar and _has_bar())
    path = out / "model.zip"
    model.save(path)
    venv.close()
    if run is not None:
        run.finish()
    return path


def _has_bar() -> bool:
    try:
        import rich  # noqa: F401
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


class PPOAgent:
    """A trained PPO policy as an agent: ``PPOAgent.load(path, env)``, then ``act(obs, info)`` on the env's raw
    (unwrapped-observation) outputs; the SB3 observation transform is applied inside.

    By default actions are *sampled* from the policy's distribution with the agent's own seeded RNG (so evaluation
    is reproducible and no global RNG is touched): a reactive navigation policy without memory that always takes
    its argmax action gets stuck in loops (turn left, turn right, ...). ``deterministic=True`` takes the argmax."""

    def __init__(self, model, env, deterministic: bool = False, seed: int = 0):
        self.model = model
        self.wrapper = SB3ObsWrapper(env)
        self.deterministic = deterministic
        self.rng = np.random.default_rng(seed)

    @classmethod
    def load(cls, path: str | os.PathLike, env, deterministic: bool = False, seed: int = 0) -> "PPOAgent":
        """Load ``model.zip`` (or its folder). stable-baselines3's format unpickles Python objects (the policy
        class, schedules), so loading a file can run code: only load models you trained or trust."""
        _require_sb3()
        from stable_baselines3 import PPO

        p = Path(path)
        if p.is_dir():
            p = p / "model.zip"
        if not p.is_file():
            raise ConfigError(f"no PPO model at {path}: pass the model.zip written by `sat train-ppo` or its folder")
        return cls(PPO.load(p, device="cpu"), env, deterministic, seed)

    def reset(self, obs, info: dict) -> None:
        pass

    def action_probs(self, obs) -> np.ndarray:
        """The policy's probabilities over the discrete actions for one raw observation."""
        import torch

        policy = self.model.policy
        tensor, _ = policy.obs_to_tensor(self.wrapper.observation(obs))
        with torch.no_grad():
            probs = policy.get_distribution(tensor).distribution.probs
        return probs[0].cpu().numpy().astype(np.float64)

    def act(self, obs, info: dict) -> int:
        probs = self.action_probs(obs)
        if self.deterministic:
            return int(np.argmax(probs))
        return int(self.rng.choice(len(probs), p=probs / probs.sum()))

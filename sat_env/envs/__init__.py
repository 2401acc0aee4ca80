"""Gymnasium environments. Importing :mod:`sat_env` registers every id below (when Gymnasium is imported, before or
after; see sat_env/__init__.py), without importing these modules: the entry points are strings.

| id | what |
|---|---|
| ``SAT-Static-v0`` | one apartment per episode, a sequence of static questions (SAT static + SpatialVLM families) |
| ``SAT-Dynamic-v0`` | the same with SAT's mix of static and dynamic families (the env executes the motions) |
| ``SAT-<Family>-v0`` | one family only, e.g. ``SAT-GoalAiming-v0``, ``SAT-LeftRight-v0`` |
| ``SAT-ObjectNav-v0`` | ObjectNav: reach an object of the target type and call Done (500 steps) |
| ``SAT-ObjectNav-Easy-v0`` | ObjectNav in 1-2 room apartments with 64 px images, for PPO on a CPU |

``gym.make("sat_env:SAT-Dynamic-v0")`` also works without importing sat_env first.
"""

from __future__ import annotations

import gymnasium as gym

from sat_env.envs.registry import ENV_IDS, register_all

register_all()

__all__ = ["ENV_IDS", "register_all", "gym"]

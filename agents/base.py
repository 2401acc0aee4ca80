"""The agent protocol shared by every agent: ``reset(obs, info)`` at the start of an episode, ``act(obs, info)``
for each step.

Oracles read privileged ground truth through one documented accessor, ``env.unwrapped.privileged()``, never from
the observation.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Agent(Protocol):
    def reset(self, obs: Any, info: dict) -> None: ...

    def act(self, obs: Any, info: dict) -> int: ...


class RandomAgent:
    """Uniformly random actions from the env's action space, with its own seeded RNG (no global state).

    For QA envs the number of valid choices can be smaller than the action space; then only valid indices are drawn
    (``info["num_choices"]``). ``exclude`` removes actions from the draw (the ``random-walk`` agent is a random agent
    that never calls ObjectNav's ``Done``: a baseline for the easy variant, where reaching a target ends the episode).
    """

    def __init__(self, action_space, seed: int | None = None, exclude: tuple[int, ...] = ()):
        self.action_space = action_space
        self.rng = np.random.default_rng(seed)
        self.exclude = tuple(exclude)

    def reset(self, obs, info: dict) -> None:
        pass

    def act(self, obs, info: dict) -> int:
        n = int(info.get("num_choices", self.action_space.n))
        if not self.exclude:
            return int(self.rng.integers(n))
        allowed = [a for a in range(n) if a not in self.exclude]
        return int(allowed[self.rng.integers(len(allowed))])

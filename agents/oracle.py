"""Oracle agents: perfect answers and paths from privileged ground truth (``env.unwrapped.privileged()``)."""

from __future__ import annotations


class OracleQAAgent:
    """Answers every question of a QA env correctly, reading the current QA record through the env's privileged
    accessor. Its accuracy must be exactly 1.0: anything less means an env or family bug."""

    def __init__(self, env):
        self.env = env.unwrapped

    def reset(self, obs, info: dict) -> None:
        pass

    def act(self, obs, info: dict) -> int:
        return int(self.env.privileged()["qa"].correct)

"""Registration of every environment id (idempotent)."""

from __future__ import annotations

import gymnasium as gym

ENV_IDS: dict[str, dict] = {}


def _camel(name: str) -> str:
    return "".join(p.capitalize() for p in name.split("_"))


def register_all() -> None:
    """Register SAT-Static-v0, SAT-Dynamic-v0, SAT-Nav-v0 (the model policy's questions), one id per question family,
    and the ObjectNav ids."""
    from qa.mixes import DYNAMIC, NAV, SAT_STATIC, SPATIALVLM

    specs = {
        "SAT-Static-v0": dict(entry_point="sat_env.envs.qa_env:SATQAEnv", kwargs={"mix": "static"}),
        "SAT-Dynamic-v0": dict(entry_point="sat_env.envs.qa_env:SATQAEnv", kwargs={"mix": "sat"}),
        "SAT-Nav-v0": dict(entry_point="sat_env.envs.qa_env:SATQAEnv", kwargs={"mix": "nav"}),
        "SAT-ObjectNav-v0": dict(entry_point="sat_env.envs.objectnav:ObjectNavEnv", kwargs={},
                                 max_episode_steps=None),
        "SAT-ObjectNav-Easy-v0": dict(entry_point="sat_env.envs.objectnav:ObjectNavEnv", kwargs={"easy": True},
                                      max_episode_steps=None),
    }
    for fam in (*SAT_STATIC, *SPATIALVLM, *DYNAMIC, *NAV):  # every family has its id
        specs[f"SAT-{_camel(fam)}-v0"] = dict(entry_point="sat_env.envs.qa_env:SATQAEnv",
                                               kwargs={"families": (fam,)})
    for env_id, spec in specs.items():
        ENV_IDS[env_id] = spec
        if env_id not in gym.registry:
            gym.register(id=env_id, **spec)

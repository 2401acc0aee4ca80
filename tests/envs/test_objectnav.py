"""SAT-ObjectNav-v0 / SAT-ObjectNav-Easy-v0: API conformance, determinism, the fixed eval set, success rules,
reward shaping, errors, and the shortest-path oracle."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import sat_env  # noqa: F401  (registers the ids)
from agents.oracle_nav import OracleNavAgent
from sat_env.envs.objectnav import EVAL_HOUSE_SEED_BASE, TRAIN_SEED_RANGE, ObjectNavEnv, eval_episode, eval_episodes
from sat_env.errors import ConfigError
from sat_env.tasks.objectnav import ACTIONS, TARGET_TYPES


def _run(env, agent, options=None):
    obs, info = env.reset(options=options)
    agent.reset(obs, info)
    while True:
        obs, r, te, tr, info = env.step(agent.act(obs, info))
        if te or tr:
            return info


@pytest.mark.parametrize("env_id", ["SAT-ObjectNav-v0", "SAT-ObjectNav-Easy-v0"])
def test_check_env(env_id):
    env = gym.make(env_id, size=64)
    check_env(env.unwrapped)
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs)
    assert obs["target"] in TARGET_TYPES and TARGET_TYPES[obs["target_index"]] == obs["target"]
    for key in ("success", "spl", "path_length", "distance_to_goal", "shortest_path_length", "target", "episode_id",
                "house_seed", "collided"):
        assert key in info
    assert info["shortest_path_length"] > 1.0
    env.close()
    env.close()


def test_check_env_depth_and_render():
    env = ObjectNavEnv(size=(48, 32), depth=True, easy=True, render_mode="rgb_array")
    check_env(env, skip_render_check=True)
    obs, _ = env.reset(seed=0)
    assert obs["rgb"].shape == (32, 48, 3) and obs["depth"].shape == (32, 48, 1) and obs["depth"].dtype == np.float32
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3 and frame.shape[1] > 48
    env.close()


def test_determinism_under_seed():
    a, b = gym.make("SAT-ObjectNav-v0", size=32), gym.make("SAT-ObjectNav-v0", size=32)
    oa, ia = a.reset(seed=123)
    ob, ib = b.reset(seed=123)
    assert ia == ib and oa["target"] == ob["target"] and np.array_equal(oa["rgb"], ob["rgb"])
    rng = np.random.default_rng(0)
    for _ in range(40):
        act = int(rng.integers(5))
        ra, rb = a.step(act), b.step(act)
        assert np.array_equal(ra[0]["rgb"], rb[0]["rgb"]) and ra[1:4] == rb[1:4] and ra[4] == rb[4]
    # A different seed gives a different episode (house or start).
    oc, ic = a.reset(seed=124)
    assert ic["episode_id"] != ia["episode_id"]


def test_eval_set_is_fixed():
    first = eval_episodes(4, easy=True)
    eval_episode.cache_clear()
    assert eval_episodes(4, easy=True) == first
    assert len({e.episode_id for e in first}) == 4
    for e in first + eval_episodes(2):
        assert e.house_seed >= TRAIN_SEED_RANGE[1] and e.target in TARGET_TYPES
        assert e.yaw % 30 == 0 and e.shortest_path_length > 1.0
    assert first[0].house_seed >= EVAL_HOUSE_SEED_BASE[True]
    env = gym.make("SAT-ObjectNav-Easy-v0", episodes="eval")
    infos = [env.reset()[1] for _ in range(2)]
    assert [i["episode_id"] for i in infos] == [e.episode_id for e in first[:2]]
    assert env.reset(options={"episode": 0})[1]["episode_id"] == first[0].episode_id  # does not move the sequence
    assert env.reset(seed=7)[1]["episode_id"] == first[2].episode_id  # the seed does not choose eval episodes
    assert env.reset(options={"episode": 3})[1]["episode_id"] == first[3].episode_id
    assert env.unwrapped.privileged()["start_pose"].x == first[3].x


def test_oracle_easy_eval():
    env = gym.make("SAT-ObjectNav-Easy-v0", episodes="eval")
    agent = OracleNavAgent(env)
    infos = [_run(env, agent, {"episode": k}) for k in range(10)]
    assert all(i["success"] for i in infos)
    assert np.mean([i["spl"] for i in infos]) >= 0.9
    assert all(0 < i["spl"] <= 1 for i in infos)


def test_oracle_full_eval():
    env = gym.make("SAT-ObjectNav-v0", episodes="eval", size=64)
    agent = OracleNavAgent(env)
    infos = [_run(env, agent, {"episode": k}) for k in range(3)]
    assert all(i["success"] for i in infos)
    assert np.mean([i["spl"] for i in infos]) >= 0.85


def test_done_at_start_fails_and_ends():
    env = gym.make("SAT-ObjectNav-Easy-v0")
    env.reset(seed=5)
    obs, r, te, tr, info = env.step(ACTIONS.index("Done"))
    assert te and not tr and not info["success"] and info["spl"] == 0.0
    assert r == pytest.approx(-0.01 - 1.0)  # the easy variant charges 1 for a wrong Done
    full = gym.make("SAT-ObjectNav-v0", size=32)
    full.reset(seed=5)
    assert full.step(ACTIONS.index("Done"))[1] == pytest.approx(-0.01)  # ProcTHOR: no penalty
    full.close()
    with pytest.raises(gym.error.ResetNeeded):
        env.unwrapped.step(0)


def test_success_needs_visibility_and_proximity():
    """At the oracle's final pose Done succeeds; turning away from the target (same place) fails."""
    env = gym.make("SAT-ObjectNav-Easy-v0", episodes="eval", auto_done=False)
    agent = OracleNavAgent(env)
    obs, info = env.reset(options={"episode": 0})
    agent.reset(obs, info)
    priv = env.unwrapped.privileged()
    while True:
        a = agent.act(obs, info)
        if a == ACTIONS.index("Done"):
            break
        obs, r, te, tr, info = env.step(a)
    pose = priv["backend"].pose
    from sat_env.backends.base import AgentPose

    assert priv["success_at"](pose)
    away = [AgentPose(pose.x, pose.z, (pose.yaw + d) % 360, -30.0) for d in (150, 180, 210)]
    assert not all(priv["success_at"](p) for p in away)
    # The same view far away (the start) does not count: proximity is required too.
    start = priv["start_pose"]
    assert not priv["success_at"](AgentPose(start.x, start.z, pose.yaw, pose.horizon)) or \
        info["shortest_path_length"] <= 1.0
    obs, r, te, tr, info = env.step(ACTIONS.index("Done"))
    assert te and info["success"] and r > 9.0


def test_reward_shaping_sign():
    env = gym.make("SAT-ObjectNav-v0", size=32)
    env.reset(seed=11)
    agent = OracleNavAgent(env)
    obs, info = env.reset(seed=11)
    agent.reset(obs, info)
    toward = []
    for _ in range(30):
        a = agent.act(obs, info)
        d0 = info["distance_to_goal"]
        obs, r, te, tr, info = env.step(a)
        if a == 0 and not info["collided"]:
            toward.append((r, d0 - info["distance_to_goal"]))
        elif a != 5:
            assert r == pytest.approx(-0.01)
        if te or tr:
            break
    assert toward and all(r > 0 for r, dd in toward if dd > 0.1)
    for r, dd in toward:
        assert r == pytest.approx(-0.01 + dd)
    sparse = gym.make("SAT-ObjectNav-v0", size=32, shaping_weight=0.0)
    sparse.reset(seed=11)
    assert sparse.step(0)[1] == pytest.approx(-0.01)


def test_truncation_and_sync_vector():
    env = gym.make("SAT-ObjectNav-Easy-v0", max_steps=3)
    env.reset(seed=0)
    outs = [env.step(1) for _ in range(3)]
    assert [o[3] for o in outs] == [False, False, True] and not any(o[2] for o in outs)
    venv = gym.make_vec("SAT-ObjectNav-Easy-v0", num_envs=2, vectorization_mode="sync", size=32)
    obs, _ = venv.reset(seed=1)
    assert obs["rgb"].shape == (2, 32, 32, 3) and all(t in TARGET_TYPES for t in obs["target"])
    venv.close()


@pytest.mark.parametrize("action", [7, -1, 6, 1.5, "MoveAhead", None, np.array([0, 1])])
def test_bad_action(action):
    env = gym.make("SAT-ObjectNav-Easy-v0", size=16)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"\[0, 5\]"):
        env.unwrapped.step(action)


@pytest.mark.parametrize("kwargs", [
    {"size": 0}, {"size": "big"}, {"size": (64,)}, {"fov": 0}, {"max_steps": 0}, {"episodes": "test"},
    {"render_mode": "human"}, {"house_config": {"bogus": 1}}, {"house_config": 3}, {"houses": []},
    {"houses": [1.5]}, {"houses": [-1]}, {"episodes": "eval", "houses": [1]}, {"shaping_weight": float("nan")},
])
def test_bad_kwargs(kwargs):
    with pytest.raises(ConfigError):
        ObjectNavEnv(**kwargs)


def test_house_files_and_their_errors(tmp_path):
    """House JSON paths are accepted as by the QA envs (the same rule, sat_env.envs.base); a missing one says how to
    make one."""
    from sat_env.errors import HouseFormatError
    from sat_env.scene import generate_house, save_house
    from sat_env.scene.config import HouseConfig

    with pytest.raises(HouseFormatError, match="sat scene"):
        ObjectNavEnv(size=16, houses=[str(tmp_path / "missing.json")])
    paths = []
    for seed in (7, 8):
        save_house(generate_house(seed, HouseConfig(min_rooms=1, max_rooms=2)), tmp_path / f"h{seed}.json")
        paths.append(str(tmp_path / f"h{seed}.json"))
    env = ObjectNavEnv(size=16, houses=paths)
    _, info = env.reset(seed=0)
    assert info["target"] in env.TARGET_TYPES
    env.close()


def test_bad_reset_options_and_houses_list():
    env = ObjectNavEnv(size=16, houses=[7, 8], house_config={"min_rooms": 1, "max_rooms": 2})
    with pytest.raises(ConfigError, match="unknown reset option"):
        env.reset(options={"bogus": 1})
    with pytest.raises(ConfigError, match="TARGET_TYPES"):
        env.reset(options={"target": "Unicorn"})
    for s in range(3):
        _, info = env.reset(seed=s)
        assert info["house_seed"] in (7, 8)
    with pytest.raises(gym.error.ResetNeeded):
        ObjectNavEnv(size=16).privileged()


def test_sb3_check_env_on_wrapped_objectnav():
    from stable_baselines3.common.env_checker import check_env as sb3_check

    from sat_env.envs.wrappers import SB3ObsWrapper

    env = SB3ObsWrapper(gym.make("SAT-ObjectNav-Easy-v0", depth=True))
    sb3_check(env, warn=True, skip_render_check=True)
    obs, _ = env.reset(seed=0)
    assert obs["rgb"].shape == (3, 64, 64) and obs["depth"].shape == (1, 64, 64)
    assert obs["target"].dtype == np.int64 and "target_index" in obs
    env.close()


def test_async_vector_env_matches_single_envs():
    single = []
    for k in range(2):
        env = gym.make("SAT-ObjectNav-Easy-v0")
        obs, info = env.reset(seed=20 + k)
        single.append((obs["target"], obs["rgb"].copy()))
        env.close()
    vec = gym.make_vec("SAT-ObjectNav-Easy-v0", num_envs=2, vectorization_mode="async",
                       vector_kwargs={"shared_memory": False, "context": "spawn"})
    obs, _ = vec.reset(seed=20)
    for k in range(2):
        assert obs["target"][k] == single[k][0]
        assert np.array_equal(obs["rgb"][k], single[k][1])
    vec.close()


def test_auto_done_succeeds_without_done():
    env = gym.make("SAT-ObjectNav-Easy-v0", episodes="eval")
    agent = OracleNavAgent(env)
    obs, info = env.reset(options={"episode": 1})
    agent.reset(obs, info)
    done, used_done = False, False
    while not done:
        a = agent.act(obs, info)
        used_done |= a == ACTIONS.index("Done")
        obs, r, te, tr, info = env.step(a)
        done = te or tr
    assert info["success"] and not used_done and r > 9.0

"""Gymnasium's RecordVideo over the envs (issue 18): render() keeps one frame size within and across episodes (one-
and two-image questions; apartments of every shape), so a video spanning a reset is written."""

from __future__ import annotations

import gymnasium as gym
import pytest

import sat_env  # noqa: F401

pytest.importorskip("moviepy")


@pytest.mark.parametrize("env_id,kw", [("SAT-Dynamic-v0", dict(size=48, num_questions=3)),
                                       ("SAT-ObjectNav-Easy-v0", dict(size=48, max_steps=6))])
def test_record_video_across_a_reset(env_id, kw, tmp_path):
    env = gym.make(env_id, render_mode="rgb_array", **kw)
    sizes = set()
    env = gym.wrappers.RecordVideo(env, str(tmp_path), episode_trigger=lambda e: True, step_trigger=None,
                                   video_length=20)  # 20 frames: longer than an episode, so it crosses a reset
    obs, _ = env.reset(seed=0)
    for t in range(20):
        sizes.add(env.render().shape)
        obs, r, term, trunc, _ = env.step(env.action_space.sample() if "Nav" in env_id else 0)
        if term or trunc:
            obs, _ = env.reset()
    env.close()
    assert len(sizes) == 1, sizes
    videos = list(tmp_path.glob("*.mp4"))
    assert videos and all(v.stat().st_size > 1000 for v in videos)


def test_qa_render_has_a_slot_per_image():
    env = gym.make("SAT-Dynamic-v0", render_mode="rgb_array", size=40, num_questions=6)
    env.reset(seed=1)
    shapes, blanks = set(), []
    for _ in range(12):
        frame = env.render()
        shapes.add(frame.shape)
        n = env.unwrapped.privileged()["qa"].images
        blanks.append((len(n), bool((frame[:, 40:80] == 255).all())))  # the second slot is white for 1 image
        _, _, term, _, _ = env.step(0)
        if term:
            env.reset()
    env.close()
    assert shapes == {(40, 2 * 40 + 40, 3)}
    assert all(blank == (k == 1) for k, blank in blanks) and {k for k, _ in blanks} == {1, 2}, blanks


def test_sb3_vec_video_recorder_across_episodes(tmp_path):
    pytest.importorskip("stable_baselines3")
    from stable_baselines3.common.vec_env import DummyVecEnv, VecVideoRecorder

    from sat_env.envs.wrappers import SB3ObsWrapper

    venv = DummyVecEnv([lambda: SB3ObsWrapper(gym.make("SAT-ObjectNav-Easy-v0", size=48, max_steps=5,
                                                       render_mode="rgb_array"))])
    venv = VecVideoRecorder(venv, str(tmp_path), record_video_trigger=lambda step: step == 0, video_length=12)
    venv.reset()
    for t in range(14):  # 5-step episodes: the 12-frame video spans two resets, apartments of different shapes
        venv.step([t % 3])
    venv.close()
    assert [v.stat().st_size > 1000 for v in tmp_path.glob("*.mp4")] == [True]

"""Gymnasium's vector envs as people type them: the default async env (shared memory, the platform's start method)
returns the same observations as the sync env, strings included (issue 18). Each comparison runs in a fresh
interpreter: the default start method on Linux is fork, which a process that has rendered cannot use (the renderer
says so), and this test process has rendered."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import sys
import gymnasium as gym
import numpy as np
import sat_env

env_id, kw, keys = sys.argv[1], eval(sys.argv[2]), sys.argv[3].split(",")

def run(mode):
    env = gym.make_vec(env_id, 2, vectorization_mode=mode, **kw)
    out = []
    obs, _ = env.reset(seed=3)
    for t in range(5):
        out.append({k: (obs[k].copy() if isinstance(obs[k], np.ndarray) else obs[k]) for k in keys})
        obs, *_ = env.step(np.array([t % 2, (t + 1) % 2]))
    env.close()
    return out

a = run("async")  # first: the parent has not rendered yet, so the default fork works
s = run("sync")
for oa, os_ in zip(a, s):
    for k in keys:
        if isinstance(os_[k], np.ndarray):
            assert np.array_equal(oa[k], os_[k]), k
        else:
            assert tuple(oa[k]) == tuple(os_[k]), (k, oa[k], os_[k])
texts = [t for o in a for k in keys if not isinstance(o[k], np.ndarray) and k != "choices" for t in o[k]]
assert texts and all(t.strip() and "\\t" not in t for t in texts), texts
print("same", len(a))
"""


@pytest.mark.parametrize("env_id,kw,keys", [
    ("SAT-Dynamic-v0", "dict(size=32, num_questions=2)", "question,choices,num_choices,images"),
    ("SAT-ObjectNav-Easy-v0", "dict(size=32)", "target,target_index,rgb"),
])
def test_default_async_vector_env_matches_sync(env_id, kw, keys):
    r = subprocess.run([sys.executable, "-c", SCRIPT, env_id, kw, keys], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "same 5" in r.stdout, r.stderr[-2000:]

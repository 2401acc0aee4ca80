"""Environment throughput: steps/s with random actions, single process and 2 async workers.

    .venv/bin/python benchmarks/env_bench.py [--steps 2000] [--sizes 64 128 224] [--no-async]

Resets are included in the timing (an episode ends on Done or after max_steps). QA envs listed in ``QA_ENVS``
are measured the same way.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

# (env id, make kwargs) pairs for the QA envs, e.g. ("SAT-Static-v0", {"size": 224}); filled in by the QA owner.
# QA envs: one step = one answered question (incl. the next question's sampling and renders; resets after
# num_questions answers). Measured at 224 px as the target asks.
QA_ENVS: list[tuple[str, dict]] = [
    ("SAT-Static-v0", {"size": 224, "num_questions": 10}),
    ("SAT-Dynamic-v0", {"size": 224, "num_questions": 10}),
    ("SAT-GoalAiming-v0", {"size": 224, "num_questions": 10}),
    ("SAT-LeftRight-v0", {"size": 224, "num_questions": 10}),
]

NAV_ID = "SAT-ObjectNav-v0"


def _actions(space, rng, n_actions: int | None):
    """Random actions; for ObjectNav n_actions=5 leaves out Done (else 1 step in 6 would end the episode)."""
    if n_actions is None:
        return space.sample()
    return int(rng.integers(n_actions))


def bench_single(env_id: str, steps: int, n_actions: int | None = None, **kwargs) -> tuple[float, float]:
    """(steps/s including resets, mean reset time in ms)."""
    import gymnasium as gym

    import sat_env  # noqa: F401

    env = gym.make(env_id, **kwargs)
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    env.action_space.seed(0)
    for _ in range(20):  # warm-up (GL context, first house)
        _, _, te, tr, _ = env.step(_actions(env.action_space, rng, n_actions))
        if te or tr:
            env.reset()
    t = time.perf_counter()
    for _ in range(steps):
        _, _, te, tr, _ = env.step(_actions(env.action_space, rng, n_actions))
        if te or tr:
            env.reset()
    dt = time.perf_counter() - t
    t = time.perf_counter()
    for _ in range(10):
        env.reset()
    reset_ms = (time.perf_counter() - t) * 100
    env.close()
    return steps / dt, reset_ms


def bench_async(env_id: str, steps: int, num_envs: int = 2, **kwargs) -> float:
    """gym.make_vec with AsyncVectorEnv workers started by 'spawn' (Mesa/EGL does not survive fork once a GL context
    exists) and shared_memory=False (gymnasium 1.4 returns stale Text observations with shared memory)."""
    import gymnasium as gym

    import sat_env  # noqa: F401

    venv = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="async",
                        vector_kwargs={"context": "spawn", "shared_memory": False}, **kwargs)
    rng = np.random.default_rng(0)
    venv.reset(seed=0)
    for _ in range(10):
        venv.step(rng.integers(0, 5, size=num_envs))
    n = max(1, steps // num_envs)
    t = time.perf_counter()
    for _ in range(n):
        venv.step(rng.integers(0, 5, size=num_envs))
    dt = time.perf_counter() - t
    venv.close()
    return n * num_envs / dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 224])
    ap.add_argument("--no-async", action="store_true")
    args = ap.parse_args()
    # ObjectNav: random actions without Done (resets at max_steps=500), so steps/s measures stepping.
    print(f"{'env':<28}{'size':>6}{'mode':>10}{'steps/s':>10}{'reset ms':>10}")
    for size in args.sizes:
        sps, rms = bench_single(NAV_ID, args.steps, n_actions=5, size=size)
        print(f"{NAV_ID:<28}{size:>6}{'1 proc':>10}{sps:>10.0f}{rms:>10.1f}", flush=True)
    # QA envs twice: a fresh generated apartment every episode (generation is part of each reset), and a pool of
    # 20 pre-generated apartments (houses=[...]: what a training run over a fixed house set sees).
    from sat_env.scene import generate_house

    pool = [generate_house(s) for s in range(20)]
    for env_id, kw in QA_ENVS:
        sps, rms = bench_single(env_id, args.steps, **kw)
        print(f"{env_id:<28}{kw.get('size', '-')!s:>6}{'1 proc':>10}{sps:>10.0f}{rms:>10.1f}", flush=True)
        sps, rms = bench_single(env_id, args.steps, houses=pool, **kw)
        print(f"{env_id:<28}{kw.get('size', '-')!s:>6}{'pool 20':>10}{sps:>10.0f}{rms:>10.1f}", flush=True)
    if not args.no_async:
        size = 128 if 128 in args.sizes else args.sizes[0]
        sps = bench_async(NAV_ID, args.steps, 2, size=size)
        print(f"{NAV_ID:<28}{size:>6}{'async x2':>10}{sps:>10.0f}", flush=True)


if __name__ == "__main__":
    main()

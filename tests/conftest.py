"""Shared fixtures: generated houses are built once per test session (generation is deterministic)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

N_PROPERTY_SEEDS = 200


@pytest.fixture(scope="session")
def houses():
    """200 generated houses, seeds 0..199."""
    from sat_env.scene import generate_house

    return {seed: generate_house(seed) for seed in range(N_PROPERTY_SEEDS)}


@pytest.fixture(scope="session")
def scenes(houses):
    from sat_env.scene.build import build_scene

    return {seed: build_scene(h) for seed, h in houses.items()}

"""Procedural apartments in the ProcTHOR house-JSON schema: generate, load, save, validate, navigate.

Pure numpy; no OpenGL here.
"""

from __future__ import annotations

from sat_env.scene.camera import Camera
from sat_env.scene.config import HouseConfig
from sat_env.scene.house_io import load_house, save_house
from sat_env.scene.procthor import load_procthor


def generate_house(seed: int, config: HouseConfig | None = None) -> dict:
    """Generate an apartment (see :func:`sat_env.scene.generate.generate_house`)."""
    from sat_env.scene.generate import generate_house as _gen

    return _gen(seed, config)


def build_scene(house: dict):
    """Solids, object records, lights and navigation grid of a house (see :mod:`sat_env.scene.build`)."""
    from sat_env.scene.build import build_scene as _build

    return _build(house)


def reachable_positions(house: dict):
    """(N, 2) array of reachable (x, z) grid positions (0.25 m grid, agent radius 0.2 m).

    Builds the scene each call; for many queries keep ``build_scene(house).navgrid``.
    """
    return build_scene(house).navgrid.positions()


def geodesic_distance(house: dict, a, b) -> float:
    """Length in metres of the shortest collision-free path between two (x, z) points (inf if unreachable)."""
    return build_scene(house).navgrid.geodesic_distance(a, b)


__all__ = [
    "Camera",
    "HouseConfig",
    "build_scene",
    "generate_house",
    "geodesic_distance",
    "load_house",
    "load_procthor",
    "reachable_positions",
    "save_house",
]

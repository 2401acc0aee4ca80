"""Envs under bad input (issue 17): a house dict that breaks the schema, a room whose outline crosses itself and a
house with objects in walls get clear errors or warnings instead of a KeyError or silence; a closed env says so."""

from __future__ import annotations

import copy

import gymnasium as gym
import pytest

import sat_env  # noqa: F401
from sat_env.errors import HouseFormatError
from sat_env.scene import generate_house
from sat_env.scene.validate import HouseGeometryWarning, check_schema

ENVS = [("SAT-Static-v0", dict(size=32, num_questions=2)), ("SAT-ObjectNav-v0", dict(size=32))]


@pytest.mark.parametrize("env_id,kw", ENVS)
def test_a_house_dict_without_rooms_is_a_house_format_error(env_id, kw):
    house = generate_house(3)
    del house["rooms"]
    with pytest.raises(HouseFormatError, match="missing the list 'rooms'"):
        env = gym.make(env_id, houses=[house], **kw)
        env.reset(seed=0)


def test_a_self_crossing_room_outline_is_refused():
    house = generate_house(3)
    poly = house["rooms"][0]["floorPolygon"]
    assert len(poly) >= 4
    poly[1], poly[2] = poly[2], poly[1]  # a bow tie: the same corners in the wrong order
    with pytest.raises(HouseFormatError, match="crosses itself"):
        check_schema(house)
    check_schema(generate_house(3))  # the generated outline is simple
    for seed in range(20):  # and so is every generated room
        check_schema(generate_house(seed))


@pytest.mark.parametrize("env_id,kw", ENVS)
def test_a_given_house_with_an_object_in_a_wall_warns_once(env_id, kw):
    house = generate_house(3)
    bad = copy.deepcopy(house)
    obj = next(o for o in bad["objects"] if not o.get("children"))
    wall = bad["walls"][0]["polygon"]
    obj["position"]["x"], obj["position"]["z"] = wall[0]["x"], wall[0]["z"]  # into the wall's corner
    env = gym.make(env_id, houses=[bad], **kw)
    with pytest.warns(HouseGeometryWarning, match=obj["id"].replace("|", r"\|")):
        env.reset(seed=0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", HouseGeometryWarning)  # checked once per house, not at every reset
        env.reset(seed=1)
    env.close()
    ok = gym.make(env_id, houses=[house], **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", HouseGeometryWarning)
        ok.reset(seed=0)
    ok.close()


@pytest.mark.parametrize("env_id,kw", ENVS)
def test_a_closed_env_says_so(env_id, kw):
    env = gym.make(env_id, **kw)
    env.reset(seed=0)
    env.close()
    with pytest.raises(gym.error.ClosedEnvironmentError, match="closed: make a new env"):
        env.step(0)
    with pytest.raises(gym.error.ClosedEnvironmentError, match="closed"):
        env.reset(seed=0)

"""Child random streams (sat_env/envs/qa_env.py, STREAM_*): in a seeded run, houses and viewpoints depend on the seed
and the episode alone, and one family's draws never move another family's questions."""

from __future__ import annotations

import dataclasses
import json

import pytest

from qa.core import FAMILIES
from qa.sampler import load_families
from sat_env.envs.qa_env import SATQAEnv

load_families()
EPISODES = 5


def run(families, seed=11, questions=4):
    """[(scene id, viewpoints, [(family, question, answer, truth), ...]) per episode] of a seeded run."""
    env = SATQAEnv(families=families, size=64, num_questions=questions)
    out = []
    for ep in range(EPISODES):
        _, info = env.reset(seed=seed) if ep == 0 else env.reset()
        qas = []
        while True:
            qa = env.privileged()["qa"]
            qas.append((qa.family, qa.question, qa.answer, json.dumps(qa.truth, sort_keys=True, default=str)))
            if not env.next_question():
                break
        out.append((info["scene_id"], [(p.x, p.z, p.yaw, p.horizon) for p in env._stream._views], qas))
    env.close()
    return out


def houses(r):
    return [(scene, views) for scene, views, _ in r]


def of_family(r, family):
    return [[q for q in qas if q[0] == family] for _, _, qas in r]


@pytest.fixture(scope="module")
def base():
    return run(["left_right", "ego_movement"])


def test_same_seed_same_run(base):
    assert run(["left_right", "ego_movement"]) == base


@pytest.mark.parametrize("families", [["left_right", "ego_movement", "goal_aiming"], ["left_right"]],
                         ids=["family added", "family removed"])
def test_adding_or_removing_a_family_keeps_every_house_and_view(base, families):
    assert houses(run(families)) == houses(base)


def test_changing_one_family_keeps_houses_and_the_other_families_questions(base, monkeypatch):
    # A change inside ego_movement's sampler (one extra draw before it samples: a fix or a new option usually adds
    # some): its own questions change, every house, every view and every left_right question stays as it was.
    fam = FAMILIES["ego_movement"]

    def with_extra_draw(ctx, rng, target):
        rng.random()
        return fam.sample(ctx, rng, target)

    monkeypatch.setitem(FAMILIES, "ego_movement", dataclasses.replace(fam, sample=with_extra_draw))
    changed = run(["left_right", "ego_movement"])
    assert houses(changed) == houses(base)
    assert of_family(changed, "left_right") == of_family(base, "left_right")
    assert of_family(changed, "ego_movement") != of_family(base, "ego_movement")
    assert sum(map(len, of_family(base, "left_right"))) >= 5

"""The model policy: a tiny VLM (built offline, random weights) drives ObjectNav and answers QA envs end to end;
a stub predictor checks the answer -> action mapping."""

from __future__ import annotations

import gymnasium as gym
import pytest

import sat_env  # noqa: F401  (registers the env ids)
from agents.evaluate import evaluate, make_agent
from agents.model_policy import ModelPolicyAgent
from finetune.export import sat_prompt
from qa.nav import nav_question
from sat_env.envs.objectnav import ACTIONS
from sat_env.errors import ConfigError

NAV_KW = {"size": 64, "max_steps": 4}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from finetune.tiny import build_tiny

    texts = [sat_prompt(*nav_question("stop", "Sofa")), sat_prompt(*nav_question("direction", "Bed")),
             sat_prompt("Is the chair left or right of the table?", ["left", "right"]),
             "yes", "no", "left", "right", "straight"]
    return str(build_tiny(tmp_path_factory.mktemp("policy") / "m", texts))


class Stub:
    """A predictor answering every (stop, direction) batch with fixed strings, recording the prompts."""

    def __init__(self, stop: str, direction: str):
        self.answers = (stop, direction)
        self.prompts: list[str] = []

    def generate(self, samples, max_new_tokens=16, batch_size=8):
        self.prompts += [text for _, text in samples]
        return list(self.answers[: len(samples)]) if len(samples) == 2 else [self.answers[0]]


def test_objectnav_episode_end_to_end(tiny):
    s = evaluate("model:" + tiny, "SAT-ObjectNav-Easy-v0", 1, env_kwargs=NAV_KW)
    row = s["table"][0]
    assert {"success", "spl", "episode_length"} <= set(row)
    # The env raises on an invalid action, so an ended episode (Done or the step limit) means every action was valid.
    assert 1 <= row["episode_length"] <= NAV_KW["max_steps"]


def test_objectnav_stats_and_valid_actions(tiny):
    env = gym.make("SAT-ObjectNav-Easy-v0", **NAV_KW)
    agent = make_agent("model:" + tiny, env, seed=0)
    obs, info = env.reset(seed=1)
    agent.reset(obs, info)
    done, steps = False, 0
    while not done:
        a = agent.act(obs, info)
        assert 0 <= a < env.action_space.n
        obs, _, term, trunc, info = env.step(a)
        steps += 1
        done = term or trunc
    assert agent.stats["steps"] == steps and agent.stats["questions"] == 2 * steps
    assert agent.stats["unparsable"] <= 2 * steps
    env.close()


def test_qa_episode_answers_valid_indices(tiny):
    env = gym.make("SAT-LeftRight-v0", size=64, num_questions=3)
    agent = ModelPolicyAgent(tiny, env, seed=0)
    obs, info = env.reset(seed=0)
    agent.reset(obs, info)
    done = False
    while not done:
        a = agent.act(obs, info)
        assert 0 <= a < info["num_choices"]
        obs, _, term, trunc, info = env.step(a)
        done = term or trunc
    assert agent.stats["questions"] == 3 and agent.stats["steps"] == 3
    env.close()


@pytest.fixture
def nav_env():
    env = gym.make("SAT-ObjectNav-Easy-v0", **NAV_KW)
    obs, info = env.reset(seed=0)
    yield env, obs, info
    env.close()


@pytest.mark.parametrize("stop,direction,action", [("yes", "left", "Done"), ("Yes.", "straight", "Done"),
                                                   ("no", "left", "RotateLeft"), ("no", "right", "RotateRight"),
                                                   ("no", "straight", "MoveAhead"),
                                                   ("The answer is no", '"right"', "RotateRight")])
def test_answer_to_action(nav_env, stop, direction, action):
    env, obs, info = nav_env
    stub = Stub(stop, direction)
    agent = ModelPolicyAgent(None, env, predictor=stub)
    agent.reset(obs, info)
    assert agent.act(obs, info) == ACTIONS.index(action)
    assert agent.stats["questions"] == 2 and agent.stats["unparsable"] == 0
    target = obs["target"]
    assert stub.prompts == [sat_prompt(*nav_question("stop", target)), sat_prompt(*nav_question("direction", target))]


def test_garbage_is_counted_and_never_stops(nav_env):
    env, obs, info = nav_env
    agent = ModelPolicyAgent(None, env, predictor=Stub("banana", "purple"), seed=3)
    agent.reset(obs, info)
    acts = [agent.act(obs, info) for _ in range(20)]
    assert ACTIONS.index("Done") not in acts  # an unparsable stop answer counts as "no"
    assert set(acts) <= {ACTIONS.index(a) for a in ("MoveAhead", "RotateLeft", "RotateRight")} and len(set(acts)) > 1
    assert agent.stats["unparsable"] == 40 and agent.totals["unparsable"] == 40
    agent.reset(obs, info)
    assert agent.stats["unparsable"] == 0 and agent.totals["unparsable"] == 40


def test_failed_move_turns_instead(nav_env):
    env, obs, info = nav_env
    agent = ModelPolicyAgent(None, env, predictor=Stub("no", "straight"), seed=0)
    agent.reset(obs, info)
    move, turns = ACTIONS.index("MoveAhead"), {ACTIONS.index("RotateLeft"), ACTIONS.index("RotateRight")}
    ok, blocked = dict(info, last_action_success=True), dict(info, last_action_success=False)
    assert agent.act(obs, ok) == move
    side = agent.act(obs, blocked)  # the move failed and the model still says straight: turn instead
    assert side in turns
    assert agent.act(obs, ok) == move  # the turn worked: try to move again
    assert agent.act(obs, blocked) == side  # blocked again: the same side (one side per blocked stretch)
    assert agent.stats["bump_turns"] == 2
    assert agent.act(obs, ok) == move and agent.act(obs, ok) == move and agent._escape is None


def test_qa_garbage_gets_a_random_valid_choice():
    env = gym.make("SAT-LeftRight-v0", size=64, num_questions=2)
    obs, info = env.reset(seed=0)
    agent = ModelPolicyAgent(None, env, predictor=Stub("perhaps", ""), seed=0)
    a = agent.act(obs, info)
    assert 0 <= a < obs["num_choices"] and agent.stats["unparsable"] == 1
    env.close()


def test_make_agent_errors(tiny):
    env = gym.make("SAT-ObjectNav-Easy-v0", **NAV_KW)
    with pytest.raises(ConfigError, match="model:PATH"):
        make_agent("model:", env)
    with pytest.raises(ConfigError, match="does not exist"):
        make_agent("model:/nonexistent/model", env)
    with pytest.raises(ConfigError, match="adapter"):
        make_agent(f"model:{tiny}@/nonexistent/adapter", env)
    env.close()


def test_forward_walker_moves_ahead_turns_when_blocked_and_never_stops():
    env = gym.make("SAT-ObjectNav-Easy-v0", size=64, max_steps=60)
    agent = make_agent("forward", env, seed=0)
    obs, info = env.reset(seed=3)
    agent.reset(obs, info)
    actions, blocked_then = [], []
    done = False
    while not done:
        a = agent.act(obs, info)
        if actions and actions[-1] == ACTIONS.index("MoveAhead") and not info["last_action_success"]:
            blocked_then.append(a)
        actions.append(a)
        obs, _, term, trunc, info = env.step(a)
        done = term or trunc
    names = {ACTIONS[a] for a in actions}
    assert "Done" not in names and names <= {"MoveAhead", "RotateLeft", "RotateRight"}
    assert all(ACTIONS[a] in ("RotateLeft", "RotateRight") for a in blocked_then)
    with pytest.raises(ConfigError, match="ObjectNav"):
        make_agent("forward", gym.make("SAT-LeftRight-v0", size=64, num_questions=2))

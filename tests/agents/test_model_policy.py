"""The model policy: a tiny VLM (built offline, random weights) drives ObjectNav and answers QA envs end to end;
a stub predictor checks the answer -> action mapping."""

from __future__ import annotations

import gymnasium as gym
import pytest

import sat_env  # noqa: F401  (registers the env ids)
from agents.evaluate import evaluate, make_agent
from agents.model_policy import ModelPolicyAgent
from qa.nav import nav_kind, nav_question
from qa.prompts import sat_prompt
from sat_env.errors import ConfigError
from sat_env.tasks.objectnav import ACTIONS

NAV_KW = {"size": 64, "max_steps": 4}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from finetune.tiny import build_tiny

    texts = [sat_prompt(*nav_question("stop", "Sofa")), sat_prompt(*nav_question("direction", "Bed")),
             sat_prompt(*nav_question("visible", "Chair")),
             sat_prompt("Is the chair left or right of the table?", ["left", "right"]),
             "yes", "no", "left", "right", "straight"]
    return str(build_tiny(tmp_path_factory.mktemp("policy") / "m", texts))


class Stub:
    """A predictor answering each navigation question (recognised by its first template) with a fixed string, and
    anything else with `other`; records the prompts."""

    def __init__(self, visible: str, direction: str, stop: str = "no", other: str = ""):
        self.answers = {"visible": visible, "stop": stop, "direction": direction}
        self.other = other
        self.prompts: list[str] = []

    def generate(self, samples, max_new_tokens=16, batch_size=8):
        out = []
        for _, text in samples:
            self.prompts.append(text)
            kind = nav_kind(text)
            out.append(self.answers[kind] if kind else self.other)
        return out


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


@pytest.fixture(params=[True, False], ids=["auto_done", "no_auto_done"])
def nav_env(request):
    env = gym.make("SAT-ObjectNav-Easy-v0", **NAV_KW, auto_done=request.param)
    obs, info = env.reset(seed=0)
    yield env, obs, info
    env.close()


MOVE, LEFT, RIGHT, DONE = (ACTIONS.index(a) for a in ("MoveAhead", "RotateLeft", "RotateRight", "Done"))


@pytest.mark.parametrize("visible,stop,direction,action", [
    ("yes", "yes", "left", "Done"), ("Yes.", "no", "left", "RotateLeft"), ("yes", "no", "right", "RotateRight"),
    ("yes", "no", "straight", "MoveAhead"), ("The answer is yes", "no", '"right"', "RotateRight"),
    ("no", "yes", "left", "MoveAhead"),  # not in view: explore, whatever the other answers say
    ("banana", "yes", "left", "MoveAhead"),  # an unparsable visibility answer counts as "no"
])
def test_answer_to_action(nav_env, visible, stop, direction, action):
    env, obs, info = nav_env
    stub = Stub(visible, direction, stop)
    agent = ModelPolicyAgent(None, env, predictor=stub, scan_turns=0)
    agent.reset(obs, info)
    auto = env.unwrapped.auto_done
    if auto and action == "Done":
        action = "RotateLeft"  # with auto_done the stop question is never asked: the direction is followed
    assert agent.act(obs, info) == ACTIONS.index(action)
    kinds = ("visible", "direction") if auto else ("visible", "stop", "direction")
    target = obs["target"]
    assert stub.prompts == [sat_prompt(*nav_question(k, target)) for k in kinds]
    assert agent.stats["questions"] == len(kinds) and agent.stats["unparsable"] == (visible == "banana")


def test_look_around_at_start_ends_when_target_seen(nav_env):
    env, obs, info = nav_env
    stub = Stub("no", "right")
    agent = ModelPolicyAgent(None, env, predictor=stub, scan_turns=5, rescan_every=3, detour_steps=0)
    agent.reset(obs, info)
    ok = dict(info, last_action_success=True)
    assert [agent.act(obs, ok) for _ in range(5)] == [LEFT] * 5  # the look around
    assert [agent.act(obs, ok) for _ in range(3)] == [MOVE] * 3  # nothing seen: explore
    assert agent.act(obs, ok) == LEFT  # the third move succeeded: rescan_every moves, look around again
    stub.answers["visible"] = "yes"
    assert agent.act(obs, ok) == RIGHT  # seen: the look around ends and the direction is followed
    assert agent.stats["scan"] == 6


def test_turn_back_becomes_straight(nav_env):
    env, obs, info = nav_env
    stub = Stub("yes", "left")
    agent = ModelPolicyAgent(None, env, predictor=stub, scan_turns=0)
    agent.reset(obs, info)
    ok = dict(info, last_action_success=True)
    assert agent.act(obs, ok) == LEFT
    stub.answers["direction"] = "right"
    assert agent.act(obs, ok) == MOVE  # right after left: the target is between the two headings
    assert agent.act(obs, ok) == RIGHT  # after a move, turning is allowed again
    assert agent.stats["reversal_straight"] == 1


def test_detour_after_a_blocked_move(nav_env):
    env, obs, info = nav_env
    agent = ModelPolicyAgent(None, env, predictor=Stub("yes", "straight"), scan_turns=0, detour_steps=3, seed=0)
    agent.reset(obs, info)
    ok, blocked = dict(info, last_action_success=True), dict(info, last_action_success=False)
    assert agent.act(obs, ok) == MOVE
    side = agent.act(obs, blocked)  # blocked: turn to a side instead
    assert side in (LEFT, RIGHT)
    agent.predictor.answers["direction"] = "left" if side == RIGHT else "right"  # "turn back at the target"
    assert [agent.act(obs, ok) for _ in range(2)] == [MOVE, MOVE]  # ... is ignored while going round
    assert agent.act(obs, ok) != MOVE  # detour over: the direction counts again


def test_garbage_is_counted_and_never_stops(nav_env):
    env, obs, info = nav_env
    agent = ModelPolicyAgent(None, env, predictor=Stub("banana", "purple", "yes"), seed=3)
    agent.reset(obs, info)
    acts = [agent.act(obs, info) for _ in range(20)]
    assert DONE not in acts  # an unparsable visibility answer counts as "not in view"
    assert set(acts) <= {MOVE, LEFT, RIGHT} and len(set(acts)) > 1
    assert agent.stats["unparsable"] == 40  # visibility and direction; "yes" to the stop question parses
    agent.reset(obs, info)
    assert agent.stats["unparsable"] == 0 and agent.totals["unparsable"] == 40


def test_failed_move_turns_instead(nav_env):
    env, obs, info = nav_env
    agent = ModelPolicyAgent(None, env, predictor=Stub("no", "straight"), seed=0, scan_turns=0)
    agent.reset(obs, info)
    ok, blocked = dict(info, last_action_success=True), dict(info, last_action_success=False)
    assert agent.act(obs, ok) == MOVE
    side = agent.act(obs, blocked)  # the move failed and the model still says straight: turn instead
    assert side in (LEFT, RIGHT)
    assert agent.act(obs, ok) == MOVE  # the turn worked: try to move again
    assert agent.act(obs, blocked) == side  # blocked again: the same side (one side per blocked stretch)
    assert agent.stats["bump_turns"] == 2
    assert agent.act(obs, ok) == MOVE and agent.act(obs, ok) == MOVE and agent._escape is None


def test_truthful_answers_follow_the_env():
    """oracle-answers: "visible" exactly when ObjectNav's pixel rule says so, "stop" exactly when Done would
    succeed; on the easy eval episodes it ends the look around on the step the target comes into view."""
    env = gym.make("SAT-ObjectNav-Easy-v0", size=64, episodes="eval", auto_done=False)
    agent = make_agent("oracle-answers", env, seed=0)
    truthful = agent.predictor
    checked = {"yes": 0, "no": 0}
    for ep in range(3):
        obs, info = env.reset(seed=ep)
        agent.reset(obs, info)
        for _ in range(30):
            priv = env.unwrapped.privileged()
            view = priv["view"]
            px = max(view.pixel_counts[view.instance_of(o)] for o in priv["target_object_ids"])
            vis, stop = truthful.generate([([], sat_prompt(*nav_question(k, obs["target"])))
                                           for k in ("visible", "stop")])
            assert vis == ("yes" if px >= priv["visible_pixels"] else "no")
            assert stop == ("yes" if priv["success_at"](priv["pose"]) else "no")
            checked[vis] += 1
            obs, _, term, trunc, info = env.step(agent.act(obs, info))
            if term or trunc:
                break
    assert checked["yes"] and checked["no"], checked
    env.close()


def test_qa_garbage_gets_a_random_valid_choice():
    env = gym.make("SAT-LeftRight-v0", size=64, num_questions=2)
    obs, info = env.reset(seed=0)
    agent = ModelPolicyAgent(None, env, predictor=Stub("no", "no", other="perhaps"), seed=0)
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


def test_scan_walker_looks_around_first():
    env = gym.make("SAT-ObjectNav-Easy-v0", size=64, max_steps=20)
    agent = make_agent("scan-walker", env, seed=0)
    obs, info = env.reset(seed=3)
    agent.reset(obs, info)
    acts = []
    for _ in range(14):
        acts.append(agent.act(obs, info))
        obs, _, _, _, info = env.step(acts[-1])
    assert acts[:11] == [LEFT] * 11 and DONE not in acts
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

"""The question stream (sat_env/tasks/questions.py): the one loop behind the QA envs, exports, `--data env:`,
`sat ask` and `sat audit`."""

from __future__ import annotations

from itertools import islice

import pytest

from sat_env.envs.qa_env import SATQAEnv
from sat_env.errors import ConfigError
from sat_env.tasks.questions import QuestionStream, ask


def _key(scene_id, qa):
    return scene_id, qa.family, qa.question, tuple(qa.choices), qa.correct


def test_the_env_is_the_stream_behind_a_gymnasium_face():
    with QuestionStream.open(5, "static", size=48, questions_per_house=4, houses=[3, 4]) as stream:
        direct = [_key(s, qa) for s, qa in islice(stream, 10)]
    env = SATQAEnv(mix="static", size=48, num_questions=4, houses=[3, 4])
    _, info = env.reset(seed=5)
    via_env = []
    while len(via_env) < 10:
        via_env.append(_key(info["scene_id"], env.privileged()["qa"]))
        _, _, term, _, info = env.step(0)
        if term:
            _, info = env.reset()
    env.close()
    assert via_env == direct
    assert len({s for s, *_ in direct}) == 2  # it moved on to the next house after 4 questions


def test_same_seed_same_questions_and_a_restart_starts_afresh():
    with QuestionStream.open(1, families=["left_right", "count"], size=48, questions_per_house=3) as stream:
        a = [_key(s, qa) for s, qa in islice(stream, 7)]
        stream.restart(1)
        stream.begin(force=True)
        b = [_key(s, qa) for s, qa in islice(stream, 7)]
        stream.restart(2)
        stream.begin(force=True)
        c = [_key(s, qa) for s, qa in islice(stream, 7)]
    assert a == b and a != c


def test_the_observer_sees_every_sampler_call_and_each_accepted_question():
    calls = []
    with QuestionStream.open(0, families=["count"], size=48, questions_per_house=3,
                             on_attempt=lambda f, view, target, qa: calls.append((f, target, qa))) as stream:
        got = [qa for _, qa in islice(stream, 5)]
    accepted = [qa for _, _, qa in calls if qa is not None]
    assert accepted == got  # the very objects handed out, in order
    assert all(f == "count" for f, _, _ in calls) and len(calls) >= len(got)
    assert all(qa.label == target for _, target, qa in calls if qa is not None)  # the drawn label is what is asked


def test_limits_and_repeats():
    # count asks with 3+ choices: under max_choices=2 only left_right's questions pass
    with QuestionStream.open(3, families=["count", "left_right"], size=48, questions_per_house=8,
                             max_choices=2) as stream:
        qs = list(islice(stream, 12))
    assert {qa.family for _, qa in qs} == {"left_right"}
    seen = [(s, qa.answer, str(qa.truth)) for s, qa in qs]
    assert len(set(seen)) == len(seen)  # no question twice in a house


def test_misuse_and_bad_arguments_say_what_to_do():
    stream = QuestionStream(None, {"left_right": 1.0})
    with pytest.raises(RuntimeError, match="restart"):
        stream.begin()
    with pytest.raises(RuntimeError, match="begin"):
        stream.next()
    with pytest.raises(ConfigError, match="backend"):
        QuestionStream.open(0, backend="unity")
    with pytest.raises(ConfigError, match="unknown family"):
        ask(0, "left-right")


def test_ask_gives_one_question_of_the_family_and_none_when_the_house_has_none(monkeypatch, tmp_path, capsys):
    qa = ask(1, "left_right", size=64)
    assert qa.family == "left_right" and qa.frames[qa.images[0]].shape == (64, 64, 3)
    assert _key("", qa) == _key("", ask(1, "left_right", size=64))  # deterministic
    import sat_env.tasks.questions as questions
    from sat_env.cli import main

    monkeypatch.setattr(questions, "sample_qa", lambda *a, **k: None)  # a house whose views yield nothing
    assert ask(1, "left_right", size=64) is None
    assert main(["ask", "--seed", "1", "--family", "left_right", "--size", "32", "--out", str(tmp_path)]) == 1
    assert "try another --seed" in capsys.readouterr().err and not any(tmp_path.iterdir())

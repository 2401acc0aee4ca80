"""The endless env training source (finetune/stream.py): parsing ``env:...``, same seed same bytes, resuming at a
sample index, the same sequence from spawned workers as in-process, the chunks' houses and seeds, the end of the
split's house range."""

from __future__ import annotations

import json
import multiprocessing as mp
import time

import numpy as np
import pytest

from finetune.stream import STREAM_PREFIX, EnvStream, make_chunk, parse_stream
from qa.prompts import SAT_PROMPT_SUFFIX, sat_prompt
from sat_env.errors import ConfigError
from sat_env.splits import QUESTIONS_PER_HOUSE, SPLIT_CODE, SPLIT_HOUSE_BASE

FAMS = ["left_right", "ego_movement", "nav_direction"]
SMALL = {"families": FAMS, "size": 32, "chunk": 8, "block_chunks": 2}  # blocks of 16 samples, 2 houses per chunk
N_REF = 48  # three blocks


def key(s):
    """Everything a sample is, comparable (image bytes and shapes included)."""
    return (tuple((i.shape, i.dtype.str, i.tobytes()) for i in s.images), s.text, s.answer, s.family, s.choices)


@pytest.fixture(scope="module")
def ref():
    return EnvStream(**SMALL, seed=0, workers=0).take(0, N_REF)


def test_parse_stream():
    assert STREAM_PREFIX == "env:"
    assert parse_stream("env:sat") == {"mix": "sat"}
    assert parse_stream("env:nav") == {"mix": "nav"}
    assert parse_stream("env:left_right, above_below") == {"families": ["above_below", "left_right"]}
    assert parse_stream("env:ego_movement") == {"families": ["ego_movement"]}
    assert parse_stream("runs/export") is None and parse_stream("sat") is None
    for bad in ("env:left_rigth", "env:left_right,nope", "env:", "env:sat,"):
        with pytest.raises(ConfigError, match="left_right") as e:  # the message names the valid families
            parse_stream(bad)
        assert "sat" in str(e.value)


def test_bad_settings_are_config_errors():
    for kw in ({"families": ["nope"]}, {"mix": "nope"}, {"size": 8}, {"split": "dev"}, {"chunk": 0},
               {"workers": -1}, {"chunk": 10**6}):
        with pytest.raises(ConfigError):
            EnvStream(**kw)


def test_samples_are_well_formed(ref):
    assert len(ref) == N_REF
    assert {s.family for s in ref} <= set(FAMS)
    assert len({s.family for s in ref}) >= 2
    for s in ref:
        assert s.images and all(isinstance(i, np.ndarray) and i.dtype == np.uint8 and i.shape == (32, 32, 3)
                                for i in s.images)
        assert SAT_PROMPT_SUFFIX in s.text
        if s.choices:
            assert s.answer in s.choices and all(f'"{c}"' in s.text for c in s.choices)
            assert s.text == sat_prompt(s.text.split(f" {SAT_PROMPT_SUFFIX}")[0], list(s.choices))
        else:
            assert s.answer


def test_chunk_is_the_env_over_its_own_houses_and_seed():
    """Chunk c is SATQAEnv over houses base + c*H .. base + (c+1)*H reset with SeedSequence([seed, split, c]), as an
    export shard is (here checked against the env run by hand)."""
    from sat_env.envs.qa_env import SATQAEnv

    s = EnvStream(**SMALL, seed=3, workers=0, split="val")
    assert s.houses_per_chunk == 2 and s.house_base == SPLIT_HOUSE_BASE["val"] + 500_000
    c = 5
    lo = s.house_base + c * 2
    env = SATQAEnv(families=FAMS, size=32, num_questions=QUESTIONS_PER_HOUSE, houses=[lo, lo + 1])
    env.reset(seed=int(np.random.SeedSequence([3, SPLIT_CODE["val"], c]).generate_state(1)[0]))
    want = []
    while len(want) < 8:
        qa = env.privileged()["qa"]
        assert qa.family in FAMS
        want.append((sat_prompt(qa.question, list(qa.choices)), qa.choices[qa.correct], qa.family,
                     tuple(qa.frames[r].tobytes() for r in qa.images)))
        assert env.privileged()["scene_id"] in (f"seed:{lo}", f"seed:{lo + 1}")
        if not env.next_question():
            env.reset()
    env.close()
    got = s.chunk_samples(c)
    assert [(g.text, g.answer, g.family, tuple(i.tobytes() for i in g.images)) for g in got] == want
    for g, w in zip(got, want):
        assert g.text.startswith(w[0].split(f" {SAT_PROMPT_SUFFIX}")[0])  # the text holds the question


def test_blocks_shuffle_chunks_across_houses(ref):
    s = EnvStream(**SMALL, seed=0, workers=0)
    plain = s.chunk_samples(0) + s.chunk_samples(1)
    assert sorted(map(key, plain)) == sorted(map(key, ref[:16]))  # block 0 is chunks 0 and 1, shuffled
    assert list(map(key, plain)) != list(map(key, ref[:16]))
    perm = np.random.default_rng([0, 7, 0]).permutation(16)
    assert [key(plain[i]) for i in perm] == list(map(key, ref[:16]))


def test_same_seed_same_bytes_other_seed_other_samples(ref):
    again = EnvStream(**SMALL, seed=0, workers=0).take(0, 16)
    assert list(map(key, again)) == list(map(key, ref[:16]))
    other = EnvStream(**SMALL, seed=1, workers=0).take(0, 16)
    assert list(map(key, other)) != list(map(key, ref[:16]))
    assert len(set(map(key, other)) & set(map(key, ref))) == 0


def test_iter_from_resumes_at_a_sample_index(ref):
    s = EnvStream(**SMALL, seed=0, workers=0)
    for k in (5, 37):  # in the middle of block 0, and in block 2
        it = s.iter_from(k)
        got = [next(it) for _ in range(N_REF - k)]
        it.close()
        assert list(map(key, got)) == list(map(key, ref[k:]))
    assert list(map(key, s.take(20, 8))) == list(map(key, ref[20:28]))


def test_workers_give_the_same_sequence_and_stop_when_abandoned(ref):
    s = EnvStream(**SMALL, seed=0, workers=2)
    it = s.iter_from(0)
    got = [next(it) for _ in range(40)]  # chunks 0..4 are needed; the workers have more in flight
    t0 = time.monotonic()
    it.close()
    assert time.monotonic() - t0 < 30
    assert list(map(key, got)) == list(map(key, ref[:40]))
    assert mp.active_children() == []


def test_describe_is_json_and_names_the_settings():
    d = EnvStream(**SMALL, seed=4, workers=2).describe()
    assert json.loads(json.dumps(d)) == d
    assert d["families"] == sorted(FAMS) and d["mix"] is None and d["seed"] == 4 and d["chunk"] == 8
    assert "workers" not in d  # the sequence does not depend on them
    assert EnvStream(mix="nav", size=32).describe()["mix"] == "nav"


def test_a_stream_ends_where_the_split_house_range_ends():
    s = EnvStream(**SMALL, workers=0)
    # 500,000 seeds in the upper half of the split / 2 houses per chunk, in whole blocks of 2 chunks of 8 samples
    assert s.max_samples == 250_000 * 8
    for start in (s.max_samples, 10**12):
        with pytest.raises(ConfigError, match=f"can give {s.max_samples} samples"):
            s.take(start, 1)
    with pytest.raises(ConfigError, match="can give"):
        make_chunk(s._settings(), s.max_chunks)
    big = EnvStream(families=FAMS, size=32, chunk=2000, block_chunks=8)  # 250 houses a chunk: 2000 chunks, 250 blocks
    assert big.max_samples == 250 * 8 * 2000

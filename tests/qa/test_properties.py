"""Properties of every registered family over many seeds: valid records, truth reproduces the answer, referenced
objects visible, answers invariant under turning the whole house and camera, left/right swapped by mirroring."""

from __future__ import annotations

import numpy as np
import pytest

from qa.sampler import load_families, sample_qa
from sat_env.backends.base import AgentPose
from sat_env.backends.embedded import EmbeddedBackend
from sat_env.backends.views import sample_views
from sat_env.scene import generate_house
from sat_env.scene.transform import mirror_house, rotate_house

FAMILIES = load_families()
SEEDS = range(6)
SIZE = 160
MIRROR = {"left": "right", "right": "left", "rotated left": "rotated right", "rotated right": "rotated left"}


@pytest.fixture(scope="module")
def worlds():
    """(house, poses) for a few houses: three good views each."""
    out = []
    for seed in SEEDS:
        h = generate_house(seed)
        b = EmbeddedBackend(width=SIZE, height=SIZE)
        b.load(h)
        out.append((h, sample_views(b, np.random.default_rng(seed), 3)))
        b.close()
    return out


def _samples(worlds, family, transform=None, pose_map=None, label_map=None):
    """Sample `family` at every view with a fixed RNG per view; optionally in a transformed world."""
    out = []
    b = EmbeddedBackend(width=SIZE, height=SIZE)
    fam = FAMILIES[family]
    for wi, (h, poses) in enumerate(worlds):
        b.load(transform(h) if transform else h)
        for vi, p in enumerate(poses):
            for ti, target in enumerate(fam.labels or (None,)):
                pose = pose_map(p) if pose_map else p
                b.teleport(pose.x, pose.z, pose.yaw, pose.horizon)
                t = label_map.get(target, target) if (label_map and target) else target
                rng = np.random.default_rng([wi, vi, ti])
                out.append(((wi, vi, ti), sample_qa(family, b, rng, target_label=t), b))
    return out, b


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_records_are_valid_and_reproducible(worlds, family):
    fam = FAMILIES[family]
    samples, b = _samples(worlds, family)
    got = [(k, qa) for k, qa, _ in samples if qa is not None]
    assert len(got) >= len(samples) // 4, f"{family} sampled only {len(got)} of {len(samples)}"
    for _, qa in got:
        assert qa.family == family and qa.sat_type == fam.sat_type
        assert 0 <= qa.correct < len(qa.choices)
        assert len(set(qa.choices)) == len(qa.choices), qa.choices
        assert qa.choices.count(qa.answer) == 1
        if fam.labels:
            assert qa.label in fam.labels
        assert fam.recompute is not None and fam.recompute(qa.truth) == qa.label, (qa.truth, qa.label)
        for role in qa.images:
            img = qa.frames[role]
            assert img.shape == (SIZE, SIZE, 3) and img.dtype == np.uint8
        assert qa.question.strip() and qa.question[0].isupper()
    b.close()


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_referenced_objects_are_visible(worlds, family):
    b = EmbeddedBackend(width=SIZE, height=SIZE)
    for wi, (h, poses) in enumerate(worlds):
        b.load(h)
        for vi, p in enumerate(poses):
            b.teleport(p.x, p.z, p.yaw, p.horizon)
            view = b.view()
            qa = sample_qa(family, b, np.random.default_rng([wi, vi]), view=view)
            if qa is None:
                continue
            for oid in qa.objects:
                inst = view.instance_of(oid)
                assert view.pixel_counts[inst] > 0, (family, oid)
    b.close()


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_turning_house_and_camera_changes_no_answer(worlds, family):
    base, _ = _samples(worlds, family)
    turned, _ = _samples(worlds, family, transform=lambda h: rotate_house(h, 1),
                         pose_map=lambda p: AgentPose(p.z, -p.x, (p.yaw + 90.0) % 360.0, p.horizon))
    same = 0
    for (k, a, _), (_, b, _) in zip(base, turned):
        if a is None or b is None:
            continue
        if a.objects == b.objects:
            same += 1
            assert a.question == b.question and a.choices == b.choices and a.correct == b.correct, (a.question,
                                                                                                    b.question)
    assert same >= 0.8 * sum(a is not None for _, a, _ in base)


@pytest.mark.parametrize("family", sorted(f for f, fam in FAMILIES.items() if fam.labels and
                                          {"left", "right"} & set(fam.labels)))
def test_mirroring_swaps_left_and_right(worlds, family):
    base, _ = _samples(worlds, family)
    mirrored, _ = _samples(worlds, family, transform=mirror_house,
                           pose_map=lambda p: AgentPose(-p.x, p.z, (-p.yaw) % 360.0, p.horizon), label_map=MIRROR)
    checked = 0
    for (k, a, _), (_, b, _) in zip(base, mirrored):
        if a is None or b is None or a.objects != b.objects:
            continue
        checked += 1
        assert MIRROR.get(a.label, a.label) == b.label, (a.question, a.label, b.label)
    assert checked >= 3

"""Drawing one QA of a family from the backend's current view."""

from __future__ import annotations

import importlib

import numpy as np

from qa.context import QAContext
from qa.core import FAMILIES, QA, Family
from sat_env.errors import ConfigError

# Family modules; importing one registers its families.
FAMILY_MODULES = ("qa.static", "qa.spatialvlm", "qa.dynamic", "qa.nav")


def load_families() -> dict[str, Family]:
    """Import every family module (idempotent) and return the registry."""
    for m in FAMILY_MODULES:
        try:
            importlib.import_module(m)
        except ModuleNotFoundError as e:
            if e.name != m:
                raise
    return FAMILIES


def sample_qa(family: str, backend, rng: np.random.Generator, view=None, target_label: str | None = None,
              balancer=None) -> QA | None:
    """Sample a QA of `family` at the backend's current pose (or from `view`).

    The target answer label is drawn uniformly from the family's label set (balance by construction) unless given.
    Dynamic families move the camera or an object through the backend; the agent pose is restored afterwards and
    a displaced object is put back, so the scene is unchanged for the next question. Returns None when the view has
    no valid instance for this family (callers that want balanced labels keep the same target label across views
    until one yields it: families succeed more often for some labels than others). With a
    :class:`~qa.balance.CategoryBalancer`, families keep objects whose categories the balancer accepts for the
    target label (drawn with `rng`), so that the categories named say nothing about the answer.
    """
    fams = load_families()
    if family not in fams:
        raise ConfigError(f"unknown question family {family!r}; available: {sorted(fams)}")
    fam = fams[family]
    if target_label is None and fam.labels:
        target_label = fam.labels[int(rng.integers(len(fam.labels)))]
    pose = backend.pose
    ctx = QAContext(backend, view, balancer=balancer, family=fam.name, rng=rng)
    try:
        qa = fam.sample(ctx, rng, target_label)
    finally:
        if backend.pose != pose:
            backend.teleport(pose.x, pose.z, pose.yaw, pose.horizon)
    if qa is not None:
        qa.family = fam.name
        qa.sat_type = qa.sat_type or fam.sat_type
    return qa

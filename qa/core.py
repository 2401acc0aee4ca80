"""The question engine's core: the QA record, the family registry, the sampling context and shared geometry.

A *family* (one module per family in this package) samples a question from a view with an explicit RNG and
computes its answer from ground-truth geometry (object centres and sizes, camera poses); pixels only decide which
objects are visible. Families register themselves with :func:`register`.

Rules every family follows (docs/QA_SPEC.md): near-ties are rejected by named margins; answer labels are balanced by
construction (the sampler draws the target label uniformly and the family builds a question whose answer is that
label, or returns None); the correct choice's position is uniform (choices are shuffled by the RNG); a name refers to
exactly one visible object.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

# --- the record -------------------------------------------------------------------------------------------------


@dataclass
class QA:
    """One question with its answer and everything needed to check it.

    Attributes:
        question: the question text.
        choices: answer options (already shuffled); for free-form numeric questions a single formatted answer.
        correct: index of the correct choice.
        family: family name (e.g. "left_right").
        sat_type: SAT's question_type label ("other", "action_sequence", "obj_movement", "action_consequence",
            "goal_aim", "perspective").
        images: the roles of the images the question refers to, in order (keys of ``frames``), e.g. ["marked"] or
            ["before", "after"].
        frames: role -> RGB image (H, W, 3) uint8; holds the referred images and the unmarked originals.
        objects: object ids the question involves.
        truth: the ground-truth numbers the answer was computed from (JSON-able), enough to recompute it.
        label: the canonical answer label used for balance statistics (e.g. "left", "yes", "closer").
        numeric: for metric questions, the true value (in `unit`) so answers can be scored by relative accuracy.
        unit: unit of `numeric` ("m", "cm", "deg", "count"...).
        template: the question's wording before names were filled in (the audit's blind baseline reads it; every
            family draws it independently of the answer).
    """

    question: str
    choices: list[str]
    correct: int
    family: str
    sat_type: str
    images: list[str]
    frames: dict[str, np.ndarray] = field(repr=False)
    objects: list[str]
    truth: dict
    label: str
    numeric: float | None = None
    unit: str | None = None
    template: str | None = None

    @property
    def answer(self) -> str:
        return self.choices[self.correct]

    def to_json(self) -> dict:
        """JSON-able dict without the pixel arrays (image roles only)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "frames"}
        d["answer"] = self.answer
        return d


# --- registry ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """A registered question family.

    Attributes:
        name: registry key.
        sat_type: SAT question_type label of its questions.
        sample: function (ctx, rng, target_label) -> QA | None.
        labels: the balanced answer labels (the sampler draws one uniformly), or None if the family has no closed
            label set (counts, metric answers).
        dynamic: True if the family moves the camera or objects (needs before/after frames).
        spatialvlm: True for the SpatialVLM families.
        recompute: function (truth dict) -> label: the answer label recomputed from the recorded ground-truth
            numbers alone (property tests check it agrees with every sampled QA).
    """

    name: str
    sat_type: str
    sample: Callable
    labels: tuple[str, ...] | None
    dynamic: bool = False
    spatialvlm: bool = False
    recompute: Callable | None = None


FAMILIES: dict[str, Family] = {}


def register(name: str, sat_type: str, labels: tuple[str, ...] | None, dynamic: bool = False,
             spatialvlm: bool = False, recompute: Callable | None = None):
    """Decorator: register a family's sample function under `name` (see :class:`Family` for the fields)."""

    def deco(fn):
        FAMILIES[name] = Family(name, sat_type, fn, labels, dynamic, spatialvlm, recompute)
        return fn

    return deco


# --- margins against near-ties (named, with their reasons; the visibility thresholds are in qa.visibility) ------

MIN_PAIR_SEPARATION = 0.5  # SAT: objects in a pair are at least this far apart (centres), else a view is ambiguous
LATERAL_MARGIN = 0.15  # m: left/right needs this lateral difference, smaller offsets are near-ties
FORWARD_MARGIN = 0.15  # m: front/behind needs this difference along the viewing axis
VERTICAL_MARGIN = 0.15  # m: above/below and taller need this height difference
DISTANCE_MARGIN = 0.2  # m: SAT's distance-change threshold; also closer/farther comparisons
RELATIVE_MARGIN = 0.15  # size comparisons need a 15 % relative difference
BEARING_STRAIGHT = 10.0  # deg: SAT's goal cone: within +-10 deg counts as straight ahead
BEARING_MARGIN = 5.0  # deg: bearings within this of a decision boundary are near-ties


# --- camera-frame geometry ----------------------------------------------------------------------------------------


def camera_frame(points: np.ndarray, cam_xz: tuple[float, float], yaw: float) -> np.ndarray:
    """World points (..., 3) or (..., 2) in x-z -> (..., 2) (lateral, forward) in metres for a camera at cam_xz with
    yaw degrees (docs/QA_SPEC.md rule 2): lateral = dx cos t - dz sin t (positive = right),
    forward = dx sin t + dz cos t."""
    p = np.asarray(points, dtype=np.float64)
    x, z = (p[..., 0], p[..., 2]) if p.shape[-1] == 3 else (p[..., 0], p[..., 1])
    dx, dz = x - cam_xz[0], z - cam_xz[1]
    t = np.radians(yaw)
    return np.stack([dx * np.cos(t) - dz * np.sin(t), dx * np.sin(t) + dz * np.cos(t)], axis=-1)


def bearing(point, cam_xz: tuple[float, float], yaw: float) -> float:
    """Horizontal angle (deg) of a point from the camera's heading: positive = to the right, in (-180, 180]."""
    lat, fwd = camera_frame(np.asarray(point, dtype=np.float64), cam_xz, yaw)
    return float(np.degrees(np.arctan2(lat, fwd)))


def shuffle_choices(choices: list[str], correct: int, rng: np.random.Generator) -> tuple[list[str], int]:
    """Shuffle choices with the RNG; return them and the new index of the correct one (uniform position)."""
    if len(set(choices)) != len(choices):
        raise ValueError(f"duplicate choices: {choices}")
    perm = rng.permutation(len(choices))
    out = [choices[i] for i in perm]
    return out, int(np.nonzero(perm == correct)[0][0])


def pick(rng: np.random.Generator, options):
    """One element of a sequence, chosen by the RNG."""
    return options[int(rng.integers(len(options)))]

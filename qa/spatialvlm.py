"""SpatialVLM-style families (docs/QA_SPEC.md, "Static families"; reference/SPATIALVLM.md section 1): qualitative size
comparisons, metric distances and sizes, and clock directions, all from simulator ground truth.

Definitions (stated once, used by every template):
- size: the object's box in its own frame, ``Candidate.size`` = (width x, height y, depth z); width is the object's
  own x extent (not the camera-frame AABB, which changes with the view), height its vertical extent, volume the
  product of the three.
- distance: between box centres. "direct" = 3D Euclidean, "vertical" = |dy|, "horizontal" = distance along the
  floor, sqrt(dx^2 + dz^2) (VQASynth's definition; SpatialRGPT's |dx| is view-dependent).
- clock: in the camera-aligned frame translated to A: 12 o'clock = forward (away from the camera), 3 = right,
  6 = towards the camera, 9 = left; the nearest hour (rounded, not SpatialVLM's floor, see SPATIALVLM.md 1.5.7).

Metric answers are posed free-form (one formatted choice, ``QA.numeric`` / ``QA.unit`` for scoring by relative
accuracy); ``truth["form"]`` says which. ``metric_size`` may instead be posed as a two-way choice whose distractor is
the same measure of another asset of the same type, drawn as often as such an asset is asked about (and whether the
truth is the larger or the smaller option is a balanced label): the object's name then says nothing about which
option is right (docs/AUDIT.md: distractors on a x1.5 ladder around the truth
let a text-only model pick the right rung from category size priors, 0.54 against chance 0.25). Distances have no
such prior to draw from (a pair of categories does not fix a distance distribution we could sample), so they are
only free-form.
"""

from __future__ import annotations

import functools
import json
import math
from importlib import resources

import numpy as np

from qa import visibility as vis
from qa.context import QAContext
from qa.core import (
    BEARING_MARGIN,
    MIN_PAIR_SEPARATION,
    QA,
    RELATIVE_MARGIN,
    camera_frame,
    pick,
    register,
)
from qa.static import _finish, pairs, refer
from sat_env.scene.catalog import load_catalog

# m: metric questions about smaller values are not asked: at 2-decimal precision the rounding alone is >5 % of the
# answer and a relative-accuracy score becomes noise (e.g. the vertical distance of two objects on the floor).
MIN_METRIC_VALUE = 0.1
MIN_CHOICE_RATIO = 1.25  # two options must differ by more than 25 % (larger / smaller > 1.25, after rounding)
# Clock questions: distractor hours are at least this many hours from the truth (adjacent hours are 30 deg away,
# too close to be clearly wrong when the bearing may be near the edge of the BEARING_MARGIN band).


def fmt_m(value: float) -> str:
    """The canonical 2-decimal metre string used for labels and choices' numbers."""
    return f"{value:.2f}"


def prior_choice(value: float, pool: tuple, rng: np.random.Generator) -> list[str] | None:
    """A two-way choice between the truth and one value drawn from ``pool`` = (values, probabilities), the
    distribution the truth itself is drawn from; or None when the two are not clearly different after rounding. One draw, no retry: the pair (truth, distractor) is then
    exchangeable, so a model that knows only the pool, not the image, is at chance. Returns the options, truth
    first."""
    values, probs = pool
    if not values:
        return None
    other = float(fmt_m(values[int(rng.choice(len(values), p=probs))]))
    mine = float(fmt_m(value))
    lo, hi = sorted((mine, other))
    if lo <= 0 or hi / lo <= MIN_CHOICE_RATIO:
        return None
    return [f"{fmt_m(mine)} m", f"{fmt_m(other)} m"]  # truth first; _finish shuffles


# --- size comparison --------------------------------------------------------------------------------------------

SIZE_WORDS = {"volume": ("bigger", "smaller"), "height": ("taller", "shorter"), "width": ("wider", "narrower")}
SIZE_YESNO = (
    "Is {x} {w} than {y}?",
    "Would you say {x} is {w} than {y}?",
    "Is it true that {x} is {w} than {y}?",
    "Does {x} look {w} than {y} in real life?",
)
SIZE_WHICH = (
    "Which is {w}, {x} or {y}?",
    "Between {x} and {y}, which one is {w}?",
    "Which of these two is {w}: {x} or {y}?",
)


def size_measure(size, measure: str) -> float:
    s = np.asarray(size, dtype=np.float64)
    return float({"volume": s[0] * s[1] * s[2], "height": s[1], "width": s[0]}[measure])


def _size_label(truth: dict) -> str:
    return "larger" if truth["value_x"] > truth["value_y"] else "smaller"


@register("size_compare", sat_type="other", labels=("larger", "smaller"), spatialvlm=True, recompute=_size_label)
def size_compare(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """Is X bigger / taller / wider than Y (volume / height / width of the boxes). The label is X's measure relative
    to Y's; the question asks about the larger or the smaller word at random, so yes/no answers are balanced too."""
    measure = pick(rng, ("volume", "height", "width"))
    for a, b in pairs(ctx.candidates(rule=vis.SIZED), rng):
        va, vb = size_measure(a.size, measure), size_measure(b.size, measure)
        if abs(va - vb) < RELATIVE_MARGIN * max(va, vb):
            continue
        swap = (va > vb) != (target == "larger")
        x, y, vx, vy = (b, a, vb, va) if swap else (a, b, va, vb)
        ref = refer(ctx, [x, y], rng, target)
        if ref is None:
            continue
        (nx, ny), frames, images = ref
        big, small = SIZE_WORDS[measure]
        asks = pick(rng, ("larger", "smaller"))
        word = big if asks == "larger" else small
        if rng.random() < 0.5:
            tpl = pick(rng, SIZE_YESNO).replace("{w}", word)
            choices, correct = ["yes", "no"], 0 if asks == target else 1
        else:
            tpl = pick(rng, SIZE_WHICH).replace("{w}", word)
            choices, correct = [nx, ny], 0 if asks == target else 1
        return _finish(ctx, "size_compare", tpl.format(x=nx, y=ny), choices, correct, rng, [x, y], frames, images,
                       {"measure": measure, "value_x": vx, "value_y": vy, "size_x": x.size.tolist(),
                        "size_y": y.size.tolist(), "asks": asks}, target, template=tpl)
    return None


# --- metric distance --------------------------------------------------------------------------------------------

DISTANCE_TEMPLATES = {
    "direct": (
        "How far apart are {x} and {y}?",
        "What is the distance between {x} and {y}?",
        "How far is {x} from {y}?",
        "Measuring between their centers, how distant is {x} from {y}?",
    ),
    "vertical": (
        "What is the vertical distance between {x} and {y}?",
        "How far apart are {x} and {y} vertically?",
        "How big is the height difference between the centers of {x} and {y}?",
    ),
    "horizontal": (
        "How far apart are {x} and {y} horizontally, measured along the floor?",
        "What is the horizontal distance between {x} and {y}, ignoring height?",
        "Ignoring the difference in height, how far is {x} from {y}?",
    ),
}
METRIC_SUFFIX = (" Answer in meters.", " Give the answer in meters.", "")


def metric_distance_value(cx, cy, kind: str) -> float:
    d = np.asarray(cx, dtype=np.float64) - np.asarray(cy, dtype=np.float64)
    if kind == "vertical":
        return float(abs(d[1]))
    if kind == "horizontal":
        return float(math.hypot(d[0], d[2]))
    return float(np.linalg.norm(d))


def _metric_distance_label(truth: dict) -> str:
    return fmt_m(metric_distance_value(truth["center_x"], truth["center_y"], truth["kind"]))


@register("metric_distance", sat_type="other", labels=None, spatialvlm=True, recompute=_metric_distance_label)
def metric_distance(ctx: QAContext, rng: np.random.Generator, target: str | None = None) -> QA | None:
    """How far apart are X and Y (direct 3D, vertical or horizontal distance between centres), in metres."""
    kind = pick(rng, ("direct", "vertical", "horizontal"))
    for x, y in pairs(ctx.candidates(rule=vis.SIZED), rng):
        value = metric_distance_value(x.center, y.center, kind)
        if value < MIN_METRIC_VALUE:
            continue
        ref = refer(ctx, [x, y], rng, target)
        if ref is None:
            continue
        (nx, ny), frames, images = ref
        tpl = pick(rng, DISTANCE_TEMPLATES[kind]) + pick(rng, METRIC_SUFFIX)
        return _finish(ctx, "metric_distance", tpl.format(x=nx, y=ny), [f"{fmt_m(value)} m"], 0, rng, [x, y], frames,
                       images, {"kind": kind, "center_x": x.center.tolist(), "center_y": y.center.tolist(),
                                "value": value, "form": "free"}, fmt_m(value), numeric=value, unit="m",
                       template=tpl)
    return None


# --- metric size ------------------------------------------------------------------------------------------------

SIZE_TEMPLATES = {
    "height": (
        "How tall is {x}?",
        "What is the height of {x}?",
        "How high is {x} from its bottom to its top?",
        "Tell me the height of {x}.",
    ),
    "width": (
        "How wide is {x}?",
        "What is the width of {x}?",
        "How wide is {x} from side to side?",
        "Tell me the width of {x}.",
    ),
}


@functools.lru_cache(maxsize=1)
def _size_prior() -> dict[str, dict[str, float]]:
    ref = resources.files("qa").joinpath("data/size_prior.json")
    with ref.open("r", encoding="utf-8") as fh:
        return json.load(fh)["weights"]


@functools.lru_cache(maxsize=None)
def size_pool(object_type: str, measure: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(values, probabilities): the measure of each catalog asset of this type that could be asked about (at least
    MIN_METRIC_VALUE), weighted by how often it is a candidate of a view (qa/data/size_prior.json, built by
    tools/build_size_prior.py): the distribution the truth itself is drawn from. Empty for types never seen."""
    try:
        assets = load_catalog().assets_of_type(object_type)
    except KeyError:
        return (), ()
    weights = _size_prior().get(object_type, {})
    kept = [(size_measure(a.size, measure), weights.get(a.asset_id, 0.0)) for a in assets]
    kept = [(v, w) for v, w in kept if w > 0 and v >= MIN_METRIC_VALUE]
    total = sum(w for _, w in kept)
    return tuple(v for v, _ in kept), tuple(w / total for _, w in kept)


METRIC_SIZE_LABELS = ("free", "larger", "smaller")


def _metric_size_label(truth: dict) -> str:
    if truth["form"] == "free":
        return "free"
    return "larger" if float(fmt_m(truth["value"])) > truth["distractor"] else "smaller"


@register("metric_size", sat_type="other", labels=METRIC_SIZE_LABELS, spatialvlm=True, recompute=_metric_size_label)
def metric_size(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """How tall / wide is X: the height or width of its box, in metres.

    Labels: "free" (posed free-form, scored by relative accuracy) or, for the two-way choice, whether the truth is
    the "larger" or the "smaller" option: drawn uniformly like every family's labels, so neither the larger nor the
    smaller number is the better guess. The distractor is one draw from the type's size pool (prior_choice); a draw
    on the wrong side of the truth for the target label, or too close to it, moves on to the next object.
    """
    measure = pick(rng, ("height", "width"))
    cands = ctx.candidates(rule=vis.SIZED)
    for i in rng.permutation(len(cands)):
        x = cands[i]
        value = size_measure(x.size, measure)
        if value < MIN_METRIC_VALUE:
            continue
        truth = {"measure": measure, "size": x.size.tolist(), "value": value, "form": "free"}
        choices = [f"{fmt_m(value)} m"]
        if target != "free":
            choices = prior_choice(value, size_pool(x.object_type, measure), rng)
            if choices is None:
                continue
            truth.update(form="choice", distractor=float(choices[1][:-2]))
            if _metric_size_label(truth) != target:
                continue
        ref = refer(ctx, [x], rng, target)
        if ref is None:
            continue
        (nx,), frames, images = ref
        tpl = pick(rng, SIZE_TEMPLATES[measure]) + pick(rng, METRIC_SUFFIX)
        return _finish(ctx, "metric_size", tpl.format(x=nx), choices, 0, rng, [x], frames, images, truth, target,
                       numeric=value, unit="m", template=tpl)
    return None


# --- clock direction --------------------------------------------------------------------------------------------

CLOCK_NOTE = " (12 o'clock is straight ahead, away from the camera; 3 o'clock is to the right.)"
CLOCK_TEMPLATES = (
    "If you are at {x}, facing the same way as the camera, where will you find {y}?",
    "Standing at {x} and facing the same direction as the camera, at what clock position is {y}?",
    "From {x}, looking the way the camera looks, in which clock direction is {y}?",
    "Imagine you are at {x}, facing the same way as the camera. At what o'clock is {y}?",
)
HOURS = tuple(str(h) for h in range(1, 13))


def clock_angle(lateral_x: float, forward_x: float, lateral_y: float, forward_y: float) -> float:
    """Angle (deg, clockwise from forward, in [0, 360)) of Y seen from X in the camera-aligned frame."""
    return float(np.degrees(np.arctan2(lateral_y - lateral_x, forward_y - forward_x))) % 360.0


def clock_hour(angle: float) -> int:
    h = int(math.floor(angle / 30.0 + 0.5)) % 12
    return 12 if h == 0 else h


def _clock_label(truth: dict) -> str:
    return str(clock_hour(clock_angle(truth["lateral_x"], truth["forward_x"], truth["lateral_y"], truth["forward_y"])))


@register("direction_clock", sat_type="other", labels=HOURS, spatialvlm=True, recompute=_clock_label)
def direction_clock(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """From X, at what clock position is Y (camera-aligned frame, 12 = forward). Balanced over the 12 hours by
    construction: only a pair whose hour (in one of its two orders) is the target is asked, else None. Bearings
    within BEARING_MARGIN of a half-hour boundary are near-ties and rejected."""
    want = int(target)
    for a, b in pairs(ctx.candidates(), rng):
        (la, fa), (lb, fb) = camera_frame(np.stack([a.center, b.center]), ctx.cam_xz, ctx.yaw)
        if math.hypot(lb - la, fb - fa) < MIN_PAIR_SEPARATION:  # stacked objects: the direction is undefined
            continue
        ang = clock_angle(la, fa, lb, fb)
        off = (ang / 30.0 + 0.5) % 1.0  # position within the hour's 30 deg bin, 0.5 = exactly on the hour
        if min(off, 1.0 - off) * 30.0 < BEARING_MARGIN:
            continue
        if clock_hour(ang) == want:
            x, y, lx, fx, ly, fy = a, b, la, fa, lb, fb
        elif clock_hour((ang + 180.0) % 360.0) == want:
            x, y, lx, fx, ly, fy = b, a, lb, fb, la, fa
        else:
            continue
        ref = refer(ctx, [x, y], rng, target)
        if ref is None:
            continue
        (nx, ny), frames, images = ref
        # The choices are the truth and the hours 3, 6 and 9 away: every hour's choice set is shared by three other
        # hours, each equally likely (balanced targets), so the set alone says nothing about which one is right.
        wrong = [(want + k - 1) % 12 + 1 for k in (3, 6, 9)]
        choices = [f"{h} o'clock" for h in [want, *wrong]]
        tpl = pick(rng, CLOCK_TEMPLATES) + CLOCK_NOTE
        truth = {"lateral_x": float(lx), "forward_x": float(fx), "lateral_y": float(ly), "forward_y": float(fy),
                 "angle": clock_angle(lx, fx, ly, fy)}
        return _finish(ctx, "direction_clock", tpl.format(x=nx, y=ny), choices, 0, rng, [x, y], frames, images,
                       truth, target, template=tpl)
    return None

"""Navigation families: the three questions the model policy (agents/model_policy.py) asks at every ObjectNav step
(docs/QA_SPEC.md, "Navigation questions").

- ``nav_direction``: "I need to go to the {target}. Which direction should I turn to face it?" left / right /
  straight, from the target's bearing exactly as ``goal_aiming`` (straight within +-BEARING_STRAIGHT, bearings
  within BEARING_MARGIN of the boundary rejected).
- ``nav_visible``: "I need to go to the {target}. Can I see it from here?" yes / no: ObjectNav's visibility rule
  for the category (the policy explores until it sees the target; see nav_visible's docstring for the poses).
- ``nav_stop``: "I need to go to the {target}. Am I close enough to it to stop?" yes / no: yes iff ObjectNav's
  ``Done`` would succeed for that object (visible with the env's pixel rule, and within SUCCESS_DISTANCE from the
  agent's vertical axis to the object's footprint, the env's own ``rect_distance``); no when it is visible but
  farther than SUCCESS_DISTANCE + STOP_NO_MARGIN.

Like ObjectNav, the question names the target by its category only ("the sofa") and shows the UNMARKED egocentric
frame. The name must refer to exactly one visible object: the category has exactly one instance with any visible
pixel in the asked frame (docs/QA_SPEC.md rule 5); otherwise the pose is rejected. nav_visible's "no" frames show none.

Poses. Random views are rarely within 1 m of an object, so the families drive the backend: an object clearly
visible in the current view is chosen (ObjectNav target types first, so the policy's questions are
in-distribution), then the agent is teleported to a reachable nav-grid point whose footprint distance to it fits
the target label, facing it with a bearing drawn for the label, at a horizon drawn from NAV_HORIZONS, and the frame
is rendered; visibility and uniqueness are checked on that frame. The sampler restores the agent pose afterwards.
Question text and choice order are drawn from the RNG before any geometry, so they never depend on the world.
"""

from __future__ import annotations

import math

import numpy as np

from qa import visibility as vis
from qa.context import QAContext, category_name
from qa.core import (
    BEARING_MARGIN,
    BEARING_STRAIGHT,
    QA,
    bearing,
    camera_frame,
    pick,
    register,
    shuffle_choices,
)
from qa.dynamic import _goal_label
from sat_env.scene.navgrid import rect_distance
from sat_env.tasks.objectnav import (
    REACH_TOLERANCE,
    START_HORIZON,
    SUCCESS_DISTANCE,
    TARGET_TYPES,
    visible_pixel_threshold,
)

# --- templates ------------------------------------------------------------------------------------------------

# The first template of each family is the one the model policy asks (agents/model_policy.py): keep it first.
NAV_DIRECTION_TEMPLATES = (
    "I need to go to the {target}. Which direction should I turn to face it?",
    "I need to go to the {target}. Should I turn left, turn right, or go straight to face it?",
    "I want to reach the {target}. Which way should I turn so that I am facing it?",
)
NAV_STOP_TEMPLATES = (
    "I need to go to the {target}. Am I close enough to it to stop?",
    "I need to go to the {target}. Am I already within reach of it, so that I can stop here?",
    "I am looking for the {target}. Is it close enough that I can stop now?",
)
NAV_VISIBLE_TEMPLATES = (
    "I need to go to the {target}. Can I see it from here?",
    "I am looking for the {target}. Is it in view right now?",
    "I need to go to the {target}. Is it visible in this view?",
)
NAV_DIRECTION_CHOICES = ("left", "right", "straight")
NAV_VISIBLE_CHOICES = ("yes", "no")
NAV_STOP_CHOICES = ("yes", "no")

# --- poses and margins ----------------------------------------------------------------------------------------

# No near-ties for stop: "no" needs the footprint this much farther than the reach (half a metre is two MoveAhead
# steps: a frame 1.2 m away looks like one 0.9 m away), and "yes" this much inside it (a frame cannot tell 0.97 m
# from 1.03 m). The answer itself is the env's rule (<= SUCCESS_DISTANCE); the margins only reject samples.
STOP_NO_MARGIN = 0.5
STOP_YES_MARGIN = 0.1
# Poses are drawn at most this far (footprint distance) from the object: farther, a target rarely stays clearly
# visible at 224 px, and ObjectNav rooms are a few metres across.
NAV_MAX_DISTANCE = 3.5
# Largest |bearing| drawn: the image spans +-45 deg horizontally (90 deg FOV, square); a centre beyond 40 deg is at
# the border. Left/right bearings are drawn from [STRAIGHT_MIN, NAV_MAX_BEARING], straight from [-STRAIGHT_MAX,
# STRAIGHT_MAX], so the goal_aiming near-tie band around +-BEARING_STRAIGHT is never drawn.
NAV_MAX_BEARING = 40.0
SIDE_MIN_BEARING = BEARING_STRAIGHT + BEARING_MARGIN
STRAIGHT_MAX_BEARING = BEARING_STRAIGHT - BEARING_MARGIN
# Camera horizons of the asked frames: ObjectNav's start horizon (30 deg down, what the model policy sees: it never
# looks up or down) and level (SAT's views), so the families also cover frames of agents that tilt.
NAV_HORIZONS = (START_HORIZON, 0.0)
NAV_MAX_OBJECTS = 3  # objects of the current view tried per question
NAV_POSE_TRIES = 6  # poses (renders) tried per object
def footprint_distance(xz, footprint) -> float:
    """ObjectNav's reach distance: from the agent's vertical axis at xz to the object's footprint rectangle."""
    return float(rect_distance(np.array([float(xz[0])]), np.array([float(xz[1])]),
                               np.asarray([footprint], dtype=np.float64))[0, 0])


# The model policy's questions by kind: the first template of each family, and its choices.
POLICY_QUESTIONS = {"visible": (NAV_VISIBLE_TEMPLATES[0], NAV_VISIBLE_CHOICES),
                    "stop": (NAV_STOP_TEMPLATES[0], NAV_STOP_CHOICES),
                    "direction": (NAV_DIRECTION_TEMPLATES[0], NAV_DIRECTION_CHOICES)}


def nav_question(kind: str, object_type: str) -> tuple[str, list[str]]:
    """The policy's question and choices: kind "visible", "stop" or "direction", object_type an ObjectNav target
    ("Sofa")."""
    if kind not in POLICY_QUESTIONS:
        raise ValueError(f"kind must be 'visible', 'stop' or 'direction', got {kind!r}")
    template, choices = POLICY_QUESTIONS[kind]
    return template.format(target=category_name(object_type)), list(choices)


def nav_kind(prompt: str) -> str | None:
    """Which of the policy's questions a prompt asks (the kind nav_question takes), or None for any other."""
    return next((k for k, (t, _) in POLICY_QUESTIONS.items() if t.split("{target}. ", 1)[1] in prompt), None)


# --- labels from truth ----------------------------------------------------------------------------------------


def _direction_label(truth: dict) -> str:
    """goal_aiming's rule on the bearing recomputed from the camera pose and the object centre."""
    x, z, yaw = truth["camera"]
    return _goal_label({"bearing": bearing(truth["center"], (x, z), yaw)})


def _stop_label(truth: dict) -> str:
    """ObjectNav's Done rule: visible (pixels) and within the success distance of the footprint."""
    x, z, _ = truth["camera"]
    near = footprint_distance((x, z), truth["footprint"]) <= truth["success_distance"] + REACH_TOLERANCE
    return "yes" if near and truth["pixels"] >= truth["visible_pixels"] else "no"


# --- driving the backend ------------------------------------------------------------------------------------------


def _objects(ctx: QAContext, rng: np.random.Generator, target: str) -> list:
    """Clearly visible objects of the current view in random order, ObjectNav target types first (those the category
    balancer lets the question ask about with the target label)."""
    cands = [c for c in ctx.candidates(rule=vis.NAV) if ctx.open([c], target)]
    order = [cands[i] for i in rng.permutation(len(cands))]
    return ([c for c in order if c.object_type in TARGET_TYPES] + [c for c in order if c.object_type not in
                                                                    TARGET_TYPES])[:NAV_MAX_OBJECTS]


def _grid_points(ctx: QAContext, rng: np.random.Generator, rec, lo: float, hi: float) -> list[np.ndarray]:
    """Up to NAV_POSE_TRIES reachable grid points whose footprint distance to the object is in (lo, hi].

    Ordered by (distance, angle about the object from the current camera) before the random permutation, so the draw
    depends on where the points are relative to the object and the camera, not on the world axes (turning the house
    and the camera together draws the same points)."""
    pos = ctx.backend.navgrid.positions()
    if not len(pos):
        return []
    d = rect_distance(pos[:, 0], pos[:, 1], np.asarray([rec.footprint], dtype=np.float64))[:, 0]
    idx = np.nonzero((d > lo) & (d <= hi))[0]
    if not len(idx):
        return []
    c = np.asarray(rec.center, dtype=np.float64)[[0, 2]]
    ref = np.asarray(ctx.cam_xz) - c
    v = pos[idx] - c
    ang = np.degrees(np.arctan2(ref[0] * v[:, 1] - ref[1] * v[:, 0], ref[0] * v[:, 0] + ref[1] * v[:, 1]))
    idx = idx[np.lexsort((np.round(ang, 2), np.round(d[idx], 3)))]
    return [pos[i].copy() for i in idx[rng.permutation(len(idx))][:NAV_POSE_TRIES]]


def _look(ctx: QAContext, xz, rec, bng: float, horizon: float):
    """Teleport to xz facing the object's centre at bearing `bng` (right positive); the rendered view, or None when
    the spot is not standable."""
    c = np.asarray(rec.center, dtype=np.float64)
    heading = math.degrees(math.atan2(c[0] - xz[0], c[2] - xz[1]))  # yaw that puts the centre straight ahead
    yaw = (heading - bng) % 360.0
    if not ctx.backend.teleport(float(xz[0]), float(xz[1]), yaw, horizon).success:
        return None
    return ctx.backend.view()


def _seen(ctx: QAContext, view, object_id: str):
    """The object as a clearly visible candidate of `view` whose category names it alone, or None."""
    cand = next((c for c in ctx.candidates(view=view, rule=vis.NAV) if c.object_id == object_id),
                None)
    if cand is None or ctx.name(cand, view=view) is None:
        return None
    return cand


def _truth(ctx: QAContext, view, rec, cand) -> dict:
    p = ctx.backend.pose
    cam = (float(p.x), float(p.z))
    w, h = view.camera.width, view.camera.height
    return {"camera": [cam[0], cam[1], float(p.yaw)], "horizon": float(p.horizon),
            "start": [*ctx.cam_xz, ctx.yaw], "object": rec.object_id, "center": rec.center.tolist(),
            "footprint": [float(v) for v in rec.footprint],
            "footprint_distance": footprint_distance(cam, rec.footprint),
            "bearing": bearing(rec.center, cam, float(p.yaw)),
            "lateral_forward": camera_frame(rec.center, cam, float(p.yaw)).tolist(),
            "pixels": int(cand.pixels), "visible_pixels": visible_pixel_threshold(w, h),
            "success_distance": SUCCESS_DISTANCE}


def _drive(ctx: QAContext, rng: np.random.Generator, target: str, band: tuple[float, float], draw_bearing, accept,
           objects=None):
    """Try objects x poses until one frame yields a QA: (view, record, truth) or None. The object must be visible
    by ObjectNav's pixel rule as well as a clear candidate, alone of its category, in the rendered frame.

    Args:
        band: (lo, hi] footprint distances of the grid points tried.
        draw_bearing: rng -> bearing (deg) to face the object with.
        accept: (truth, view) -> bool: the frame answers the question with the target label (margins included).
        objects: the objects to face, in order (default: :func:`_objects`, drawn after the horizon).
    """
    horizon = float(pick(rng, NAV_HORIZONS))
    for obj in (_objects(ctx, rng, target) if objects is None else objects):
        rec = ctx.backend.scene.objects[obj.object_id]
        for xz in _grid_points(ctx, rng, rec, *band):
            view = _look(ctx, xz, rec, draw_bearing(rng), horizon)
            if view is None:
                continue
            cand = _seen(ctx, view, rec.object_id)
            if cand is None:
                continue
            truth = _truth(ctx, view, rec, cand)
            if truth["pixels"] >= truth["visible_pixels"] and accept(truth, view):
                return view, rec, truth
    return None


# ===================================================================================================================
# nav_direction
# ===================================================================================================================


def _direction_bearing(target: str):
    def draw(rng: np.random.Generator) -> float:
        if target == "straight":
            return float(rng.uniform(-STRAIGHT_MAX_BEARING, STRAIGHT_MAX_BEARING))
        b = float(rng.uniform(SIDE_MIN_BEARING, NAV_MAX_BEARING))
        return -b if target == "left" else b

    return draw


@register("nav_direction", sat_type="goal_aim", labels=NAV_DIRECTION_CHOICES, dynamic=True,
          recompute=_direction_label)
def nav_direction(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """"I need to go to the {target}. Which direction should I turn to face it?" left / right / straight.

    The agent is put at a reachable grid point within NAV_MAX_DISTANCE of a visible object's footprint, facing it
    at a bearing drawn for the target label (left/right: 15-40 deg to that side; straight: within 5 deg), on one
    unmarked frame. The answer is goal_aiming's rule on the bearing of the object's centre; bearings within
    BEARING_MARGIN of +-BEARING_STRAIGHT are rejected.
    """
    tpl = pick(rng, NAV_DIRECTION_TEMPLATES)
    choices, correct = shuffle_choices(list(NAV_DIRECTION_CHOICES), NAV_DIRECTION_CHOICES.index(target), rng)

    def accept(truth: dict, view) -> bool:
        b = bearing(truth["center"], truth["camera"][:2], truth["camera"][2])
        return abs(abs(b) - BEARING_STRAIGHT) >= BEARING_MARGIN and _direction_label(truth) == target

    got = _drive(ctx, rng, target, (-1.0, NAV_MAX_DISTANCE), _direction_bearing(target), accept)
    if got is None:
        return None
    view, rec, truth = got
    q = tpl.format(target=category_name(rec.object_type))
    return QA(q, choices, correct, "nav_direction", "goal_aim", ["view"], {"view": view.rgb}, [rec.object_id],
              truth, target, template=tpl)


# ===================================================================================================================
# nav_stop
# ===================================================================================================================


@register("nav_stop", sat_type="goal_aim", labels=NAV_STOP_CHOICES, dynamic=True, recompute=_stop_label)
def nav_stop(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """"I need to go to the {target}. Am I close enough to it to stop?" yes / no.

    yes: a grid point within SUCCESS_DISTANCE - STOP_YES_MARGIN of the object's footprint; no: farther than
    SUCCESS_DISTANCE + STOP_NO_MARGIN (up to NAV_MAX_DISTANCE). The object is faced at a bearing drawn uniformly
    in +-NAV_MAX_BEARING for both labels (so the bearing says nothing about the answer). The answer is ObjectNav's
    Done rule for that object.
    """
    tpl = pick(rng, NAV_STOP_TEMPLATES)
    choices, correct = shuffle_choices(list(NAV_STOP_CHOICES), NAV_STOP_CHOICES.index(target), rng)
    if target == "yes":
        band = (-1.0, SUCCESS_DISTANCE - STOP_YES_MARGIN)
    else:
        band = (SUCCESS_DISTANCE + STOP_NO_MARGIN, NAV_MAX_DISTANCE)

    got = _drive(ctx, rng, target, band, lambda r: float(r.uniform(-NAV_MAX_BEARING, NAV_MAX_BEARING)),
                 lambda truth, view: _stop_label(truth) == target)
    if got is None:
        return None
    view, rec, truth = got
    q = tpl.format(target=category_name(rec.object_type))
    return QA(q, choices, correct, "nav_stop", "goal_aim", ["view"], {"view": view.rgb}, [rec.object_id], truth,
              target, template=tpl)


# ===================================================================================================================
# nav_visible
# ===================================================================================================================


def _visible_label(truth: dict) -> str:
    """ObjectNav's visibility rule for the asked category: some instance shows at least visible_pixels pixels."""
    return "yes" if truth["category_pixels"] >= truth["visible_pixels"] else "no"


def _category_pixels(view, object_type: str) -> int:
    """The most pixels any instance of object_type shows in the view."""
    counts = view.pixel_counts
    return max((int(counts[r.instance]) for r in view.records.values()
                if r.object_type == object_type and r.instance < len(counts)), default=0)


@register("nav_visible", sat_type="goal_aim", labels=NAV_VISIBLE_CHOICES, dynamic=True, recompute=_visible_label)
def nav_visible(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """"I need to go to the {target}. Can I see it from here?" yes / no.

    The asked category is that of an object clearly visible in the current view (ObjectNav target types first), for
    both labels, so the category says nothing about the answer. yes: the agent is put within NAV_MAX_DISTANCE of that
    object facing it (bearing uniform in +-NAV_MAX_BEARING): visible by ObjectNav's pixel rule, as a clear candidate
    and alone of its category. no: the agent faces another clearly visible object of the current view the same way,
    and no instance of the category shows a single pixel (frames with a trace of one are rejected: a person could
    say either). The answer is ObjectNav's visibility rule for the category (the policy explores until it says yes).
    """
    tpl = pick(rng, NAV_VISIBLE_TEMPLATES)
    choices, correct = shuffle_choices(list(NAV_VISIBLE_CHOICES), NAV_VISIBLE_CHOICES.index(target), rng)

    def bear(r: np.random.Generator) -> float:
        return float(r.uniform(-NAV_MAX_BEARING, NAV_MAX_BEARING))

    for obj in _objects(ctx, rng, target):
        otype = obj.object_type
        if ctx.name(obj) is None:  # the category must be the one object of the question in the current view too
            continue
        if target == "yes":
            got = _drive(ctx, rng, target, (-1.0, NAV_MAX_DISTANCE), bear,
                         lambda truth, view: True, objects=[obj])
        else:
            others = [c for c in ctx.candidates(rule=vis.NAV) if c.object_type != otype]
            others = [others[i] for i in rng.permutation(len(others))][:NAV_MAX_OBJECTS]
            got = _drive(ctx, rng, target, (-1.0, NAV_MAX_DISTANCE), bear,
                         lambda truth, view, t=otype: _category_pixels(view, t) == 0, objects=others)
        if got is None:
            continue
        view, rec, truth = got
        # balanced_on: the category the question names (qa.balance), also for "no" frames that show none of it.
        # On "no" frames "object", "pixels", "center", "footprint" and "bearing" describe the object faced (another
        # category); the asked category is "object_type", its object in the starting view "asked_about".
        truth = {**truth, "object_type": otype, "category_pixels": _category_pixels(view, otype),
                 "asked_about": obj.object_id, "balanced_on": [obj.object_id]}
        q = tpl.format(target=category_name(otype))
        objects = [rec.object_id] if target == "yes" else []
        return QA(q, choices, correct, "nav_visible", "goal_aim", ["view"], {"view": view.rgb}, objects, truth,
                  target, template=tpl)
    return None

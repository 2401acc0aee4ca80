"""SAT's static families: one image, relations between visible objects (QA_SPEC.md, "Static families")."""

from __future__ import annotations

import numpy as np

from qa.context import Candidate, QAContext
from qa.core import (
    LATERAL_MARGIN,
    MIN_PAIR_SEPARATION,
    QA,
    camera_frame,
    pick,
    register,
    shuffle_choices,
)

MARK_LABELS = ("A", "B", "C")
BOX_COLOR_ORDER = ("red", "blue", "green")


def refer(ctx: QAContext, objs: list[Candidate], rng: np.random.Generator) -> tuple[list[str], dict, list[str]] | None:
    """Names for objects and the images that make them unambiguous, SAT style.

    Half the time labelled dots (A, B, C), otherwise coloured boxes ("the chair in the red box"); with p=0.25 plain
    names when every category is unique in the view. Returns (names, frames, image roles) or None.
    """
    frames = {"view": ctx.view.rgb}
    style = rng.random()
    if style < 0.25:
        names = [ctx.name(c) for c in objs]
        if all(names) and len(set(names)) == len(names):
            return names, frames, ["view"]
    if style < 0.625:
        labels = MARK_LABELS[: len(objs)]
        frames["marked"] = ctx.dots(list(zip(objs, labels)))
        names = [ctx.name(c, mark=lab) for c, lab in zip(objs, labels)]
        return names, frames, ["marked"]
    colors = BOX_COLOR_ORDER[: len(objs)]
    frames["marked"] = ctx.boxes(list(zip(objs, colors)))
    from qa.context import category_name

    names = [f"the {category_name(c.object_type)} in the {col} box" for c, col in zip(objs, colors)]
    return names, frames, ["marked"]


def pairs(cands: list[Candidate], rng: np.random.Generator, min_sep: float = MIN_PAIR_SEPARATION):
    """Ordered pairs of distinct candidates at least min_sep apart, in random order."""
    out = [(a, b) for i, a in enumerate(cands) for b in cands[i + 1:]
           if np.linalg.norm(a.center - b.center) >= min_sep]
    order = rng.permutation(len(out))
    return [out[i] for i in order]


LEFT_RIGHT_TEMPLATES = (
    "Is {x} to the left or right of {y}?",
    "Considering the relative positions, is {x} to the left or right of {y}?",
    "Where is {x} with respect to {y}: left or right?",
    "From the camera's point of view, is {x} left or right of {y}?",
)
LEFT_RIGHT_YESNO = ("Is {x} to the {side} of {y}?", "From the camera's viewpoint, is {x} on the {side} side of {y}?")


def _left_right_label(truth: dict) -> str:
    return "right" if truth["lateral_x"] > truth["lateral_y"] else "left"


@register("left_right", sat_type="other", labels=("left", "right"), recompute=_left_right_label)
def left_right(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """Is X left or right of Y, by the lateral camera-frame coordinates of the 3D centres."""
    for a, b in pairs(ctx.candidates(), rng):
        lat = camera_frame(np.stack([a.center, b.center]), ctx.cam_xz, ctx.yaw)[:, 0]
        if abs(lat[0] - lat[1]) < LATERAL_MARGIN:
            continue
        # Order the pair so that x is on the target side of y: balance by construction.
        x, y = (a, b) if (lat[0] > lat[1]) == (target == "right") else (b, a)
        lx, ly = (lat[0], lat[1]) if x is a else (lat[1], lat[0])
        ref = refer(ctx, [x, y], rng)
        if ref is None:
            continue
        (nx, ny), frames, images = ref
        if rng.random() < 0.7:
            q = pick(rng, LEFT_RIGHT_TEMPLATES).format(x=nx, y=ny)
            choices, correct = ["left", "right"], 0 if target == "left" else 1
        else:
            side = pick(rng, ("left", "right"))
            q = pick(rng, LEFT_RIGHT_YESNO).format(x=nx, y=ny, side=side)
            choices, correct = ["yes", "no"], 0 if side == target else 1
        choices, correct = shuffle_choices(choices, correct, rng)
        return QA(q[0].upper() + q[1:], choices, correct, "left_right", "other", images, frames,
                  [x.object_id, y.object_id],
                  {"lateral_x": float(lx), "lateral_y": float(ly), "camera": [*ctx.cam_xz, ctx.yaw]}, target)
    return None

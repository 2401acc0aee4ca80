"""SAT's static families: one image, relations between visible objects (docs/QA_SPEC.md, "Static families")."""

from __future__ import annotations

import functools

import numpy as np

from qa import visibility as vis
from qa.context import Candidate, QAContext, category_name, plural
from qa.core import (
    DISTANCE_MARGIN,
    FORWARD_MARGIN,
    LATERAL_MARGIN,
    MIN_PAIR_SEPARATION,
    QA,
    VERTICAL_MARGIN,
    camera_frame,
    pick,
    register,
    shuffle_choices,
)
from sat_env.scene.catalog import load_catalog

MARK_LABELS = ("A", "B", "C")
BOX_COLOR_ORDER = ("red", "blue", "green")


def refer(ctx: QAContext, objs: list[Candidate], rng: np.random.Generator,
          label: str | None = None) -> tuple[list[str], dict, list[str]] | None:
    """Names for objects and the images that make them unambiguous, SAT style; None when the dataset's category
    balancer holds `label` back for these objects' categories (``QAContext.open``).

    With p=0.25 plain names when every category is unique in the view; otherwise labelled dots (A red, B blue, C
    green) with p=0.5, else coloured boxes ("the chair in the red box"). Dots that would hide too much of a small
    object (qa.visibility.MAX_MARK_COVER) give way to boxes, which are drawn outside the objects. Returns (names,
    frames, image roles), or None when no marking leaves every object visible.
    """
    if not ctx.open(objs, label):
        return None
    frames = {"view": ctx.view.rgb}
    style = rng.random()
    if style < 0.25:
        names = [ctx.name(c) for c in objs]
        if all(names) and len(set(names)) == len(names):
            return names, frames, ["view"]
    if style < 0.625:
        labels = MARK_LABELS[: len(objs)]
        marked = ctx.dots(list(zip(objs, labels)))
        if marked is not None:
            frames["marked"] = marked
            return [ctx.name(c, mark=lab) for c, lab in zip(objs, labels)], frames, ["marked"]
    colors = BOX_COLOR_ORDER[: len(objs)]
    marked = ctx.boxes(list(zip(objs, colors)))
    if marked is None:
        return None
    frames["marked"] = marked
    names = [f"the {category_name(c.object_type)} in the {col} box" for c, col in zip(objs, colors)]
    return names, frames, ["marked"]


def pairs(cands: list[Candidate], rng: np.random.Generator, min_sep: float = MIN_PAIR_SEPARATION):
    """Pairs of distinct candidates at least min_sep apart and not standing one on the other, in random order."""
    # A pillow on a sofa is trivially above it and next to it: stacked pairs make questions whose answer the
    # category names give away, so they are not asked.
    out = [(a, b) for i, a in enumerate(cands) for b in cands[i + 1:]
           if np.linalg.norm(a.center - b.center) >= min_sep and not a.stacked_with(b)]
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
    """Is X left or right of Y, by the lateral camera-frame coordinates of the 3D centres (SAT). Asked only where the
    picture agrees: X's visible pixels lie PICTURE_COLUMN_MARGIN of the width to the answer's side of Y's (near and
    far objects can order differently in the image than in the camera frame)."""
    for a, b in pairs(ctx.candidates(), rng):
        lat = camera_frame(np.stack([a.center, b.center]), ctx.cam_xz, ctx.yaw)[:, 0]
        if abs(lat[0] - lat[1]) < LATERAL_MARGIN:
            continue
        # Order the pair so that x is on the target side of y: balance by construction.
        x, y = (a, b) if (lat[0] > lat[1]) == (target == "right") else (b, a)
        lx, ly = (lat[0], lat[1]) if x is a else (lat[1], lat[0])
        if not _picture_agrees(ctx, x, y, "column", target == "right"):
            continue
        ref = refer(ctx, [x, y], rng, target)
        if ref is None:
            continue
        (nx, ny), frames, images = ref
        if rng.random() < 0.7:
            tpl = pick(rng, LEFT_RIGHT_TEMPLATES)
            choices, correct = ["left", "right"], 0 if target == "left" else 1
        else:
            side = pick(rng, ("left", "right"))
            tpl = pick(rng, LEFT_RIGHT_YESNO).replace("{side}", side)
            choices, correct = ["yes", "no"], 0 if side == target else 1
        return _finish(ctx, "left_right", tpl.format(x=nx, y=ny), choices, correct, rng, [x, y], frames, images,
                       {"lateral_x": float(lx), "lateral_y": float(ly)}, target, template=tpl)
    return None


def _picture_agrees(ctx: QAContext, x: Candidate, y: Candidate, measure: str, x_more: bool) -> bool:
    """Does the picture say what the 3D rule says, by the visibility rule's margin? `measure`: "column" (x's
    visible centroid further right), "row" (x's visible centroid higher in the image), "distance" (x's visible
    pixels farther from the camera), "depth" (x's visible pixels deeper along the viewing axis); `x_more`: the 3D
    rule's answer is that x has more of it."""
    w, h = ctx.size
    if measure in ("column", "row"):
        (cx, rx), (cy, ry) = ctx.centroid(x), ctx.centroid(y)
        gap, margin = ((cx - cy), vis.PICTURE_COLUMN_MARGIN * w) if measure == "column" else \
            ((ry - rx), vis.PICTURE_ROW_MARGIN * h)
    else:
        planar = measure == "depth"
        gap = ctx.visible_distance(x, planar=planar) - ctx.visible_distance(y, planar=planar)
        margin = vis.PICTURE_DISTANCE_MARGIN
    return (gap if x_more else -gap) >= margin


# --- shared helpers for the families below ------------------------------------------------------------------------


def _finish(ctx: QAContext, family: str, q: str, choices: list[str], correct: int, rng: np.random.Generator,
            objs: list[Candidate], frames: dict, images: list[str], truth: dict, label: str, **kw) -> QA:
    """Shuffle the choices (uniform correct position) and build the record; the camera pose goes into truth.
    Keyword arguments (numeric, unit, template) go to the record."""
    choices, correct = shuffle_choices(choices, correct, rng)
    truth = {**truth, "camera": [*ctx.cam_xz, ctx.yaw]}
    return QA(q[0].upper() + q[1:], choices, correct, family, "other", images, frames,
              [o.object_id for o in objs], truth, label, **kw)


def _yes_no(answer_yes: bool) -> tuple[list[str], int]:
    return ["yes", "no"], 0 if answer_yes else 1


def _word_or_yes_no(rng: np.random.Generator, p_word: float, words: tuple[str, str], templates, yesno: dict,
                    target: str, shown: tuple[str, str] | None = None, **names) -> tuple[str, list[str], int, str]:
    """(question, choices, correct, template): with probability p_word a "{x} ... {words[0]} or {words[1]} ... {y}?"
    question answered by the word (as `shown`, if given); otherwise a yes/no question about one of the two words (the
    keys of `yesno`), drawn uniformly."""
    if rng.random() < p_word:
        tpl = pick(rng, templates)
        return tpl.format(**names), list(shown or words), words.index(target), tpl
    asks = pick(rng, words)
    tpl = pick(rng, yesno[asks])
    return (tpl.format(**names), *_yes_no(asks == target), tpl)


# --- count --------------------------------------------------------------------------------------------------------

# Counts asked and offered: the target count is drawn uniformly from these (balance by construction) and the
# choices are always all of them, so neither the answer's value nor its position in the choices can be guessed from
# the text. Three clearly visible instances of one category are rare once every instance must be clearly visible
# (about 1 view in 80, against 22 % for two), so the counts are 0, 1 and 2: "0" asks about a countable category of
# the apartment none of whose instances is in view (a person looks and sees none).
COUNT_VALUES = ("0", "1", "2")

COUNT_TEMPLATES = (
    "How many {p} are visible in the scene?",
    "How many {p} can you see in this image?",
    "Count the {p} visible in the picture. How many are there?",
    "What is the number of {p} in this view?",
    "How many {p} are there in the image?",
)


def _count_clear(inst: dict, truth: dict) -> bool:
    """Is an instance clearly visible by the thresholds recorded in a count QA's truth?"""
    return (inst["box_area"] >= truth["min_box_area"] and inst["pixels"] >= truth["min_fill"] * inst["box_area"]
            and inst["distance"] <= truth["max_distance"] and inst["in_frame"] >= truth["min_in_frame"])


def _count_table(ctx: QAContext) -> tuple[dict, dict[str, list[dict]], list[tuple[str, str]]]:
    """(thresholds, instances above a trace per countable type, [(type, count)] of the types that can be asked) of
    the context's view: what count needs of a view, whatever the target (computed once per view)."""
    v = ctx.view
    w, h = ctx.size
    counts, boxes = v.pixel_counts, v.boxes
    cam = np.asarray(v.camera.position, dtype=np.float64)
    rule = vis.COUNTED
    limits = {"trace_pixels": vis.COUNT_TRACE * w * h,
              "min_box_area": vis.COUNT_CLEAR_AREA * vis.scaled_area(rule.min_box_area, w, h),
              "min_fill": rule.min_fill, "max_distance": rule.max_distance, "min_in_frame": vis.COUNT_CLEAR_IN_FRAME}
    seen: dict[str, list[dict]] = {}
    for rec in v.records.values():
        px = int(counts[rec.instance]) if rec.instance < len(counts) else 0
        if px < limits["trace_pixels"] or not _countable(rec.object_type):
            continue
        x0, y0, x1, y1 = boxes[rec.instance]
        seen.setdefault(rec.object_type, []).append(
            {"id": rec.object_id, "pixels": px, "box_area": (x1 - x0 + 1) * (y1 - y0 + 1),
             "distance": float(np.linalg.norm(rec.center - cam)), "in_frame": ctx.in_frame(rec, v)})
    types = sorted({r.object_type for r in v.records.values()})  # every category of the apartment, seen or not
    names: dict[str, list[str]] = {}
    for t in types:
        names.setdefault(category_name(t), []).append(t)
    askable = []
    for t in types:
        inst = seen.get(t, [])
        if len(names[category_name(t)]) > 1:  # two types read the same: the category is ambiguous
            continue
        if not all(_count_clear(i, limits) for i in inst):  # an instance a person could count or not
            continue
        if _countable(t) and str(len(inst)) in COUNT_VALUES:
            askable.append((t, str(len(inst))))
    return limits, seen, askable


def _count_label(truth: dict) -> str:
    return str(sum(1 for i in truth["instances"] if _count_clear(i, truth)))


@functools.lru_cache(maxsize=None)
def _countable(object_type: str) -> bool:
    """Categories that really occur in numbers (small objects, chairs, pillows...). Asking how many beds or fridges
    there are would let a text-only model answer "1" from the category name alone."""
    info = load_catalog().type_info(object_type)
    return bool(info.multiple_per_room or info.pickupable)


@register("count", sat_type="other", labels=COUNT_VALUES, recompute=_count_label)
def count(ctx: QAContext, rng: np.random.Generator, target: str | None = None) -> QA | None:
    """How many X are visible: the instances of a category that pass the visibility rule (qa.visibility.COUNTED)
    with the count margins (COUNT_CLEAR_AREA x its box area, COUNT_CLEAR_IN_FRAME of the 3D box in the frame).
    Instances below a trace (COUNT_TRACE of the image) are not there for a person; a category with any instance in
    between is not asked about: whether it counts is ambiguous. The categories are those of the apartment, so a
    category with no instance in view is asked with the answer 0.

    The target count is given (balanced); the choices are the fixed COUNT_VALUES, distinct wrong counts built for
    this question (SAT built distractors from another object's count, so one could equal the answer).
    """
    v = ctx.view
    limits, seen, counts = ctx.memo(v, "count", lambda: _count_table(ctx))
    eligible = [t for t, n in counts if (target is None or n == target) and ctx.open([t], n)]
    if not eligible:
        return None
    t = pick(rng, eligible)
    inst = sorted(seen.get(t, []), key=lambda i: i["id"])
    truth = {"object_type": t, "instances": inst, **limits}
    n = int(_count_label(truth))
    tpl = pick(rng, COUNT_TEMPLATES)
    choices, correct = shuffle_choices(list(COUNT_VALUES), COUNT_VALUES.index(str(n)), rng)
    return QA(tpl.format(p=plural(category_name(t))), choices, correct, "count", "other", ["view"], {"view": v.rgb},
              [i["id"] for i in inst], {**truth, "count": n, "camera": [*ctx.cam_xz, ctx.yaw]}, str(n),
              numeric=float(n), unit="count", template=tpl)


# --- closer to the camera -----------------------------------------------------------------------------------------

CLOSER_WHICH = (
    "Which object is closer to the camera taking this photo, {x} or {y}?",
    "Which is nearer to the camera: {x} or {y}?",
    "Of {x} and {y}, which one is closer to the viewer?",
)
FARTHER_WHICH = (
    "Which object is farther from the camera taking this photo, {x} or {y}?",
    "Which is farther away from the camera: {x} or {y}?",
    "Of {x} and {y}, which one is farther from the viewer?",
)
CLOSER_YESNO = {
    "closer": ("Is {x} closer to the camera than {y}?", "Is {x} nearer to the viewer than {y}?"),
    "farther": ("Is {x} farther from the camera than {y}?", "Is {x} farther away from the viewer than {y}?"),
}
CLOSER_RELATION = ("Is {x} closer to or farther from the camera than {y}?",
                   "Compared with {y}, is {x} closer to the camera or farther from it?")


def _closer_label(truth: dict) -> str:
    return "closer" if truth["distance_x"] < truth["distance_y"] else "farther"


@register("closer_to_camera", sat_type="other", labels=("closer", "farther"), recompute=_closer_label)
def closer_to_camera(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """Which of X, Y is closer to the camera, by camera-to-centre 3D distance. The label is X's relation to Y. Asked
    only where the picture agrees: the median camera distance of X's visible pixels is PICTURE_DISTANCE_MARGIN
    nearer (farther) than Y's (a bed's centre can be nearer than a sofa's while the sofa's visible side is nearer)."""
    for a, b in pairs(ctx.candidates(), rng):
        if abs(a.distance - b.distance) < DISTANCE_MARGIN:
            continue
        x, y = (a, b) if (a.distance < b.distance) == (target == "closer") else (b, a)
        if not _picture_agrees(ctx, x, y, "distance", target == "farther"):
            continue
        ref = refer(ctx, [x, y], rng, target)
        if ref is None:
            continue
        (nx, ny), frames, images = ref
        form = rng.random()
        if form < 0.4:
            asks = pick(rng, ("closer", "farther"))
            tpl = pick(rng, CLOSER_WHICH if asks == "closer" else FARTHER_WHICH)
            choices, correct = [nx, ny], 0 if asks == target else 1
        elif form < 0.7:
            asks = pick(rng, ("closer", "farther"))
            tpl = pick(rng, CLOSER_YESNO[asks])
            choices, correct = _yes_no(asks == target)
        else:
            tpl = pick(rng, CLOSER_RELATION)
            choices, correct = ["closer", "farther"], 0 if target == "closer" else 1
        return _finish(ctx, "closer_to_camera", tpl.format(x=nx, y=ny), choices, correct, rng, [x, y], frames,
                       images, {"distance_x": x.distance, "distance_y": y.distance,
                                "visible_distance_x": ctx.visible_distance(x),
                                "visible_distance_y": ctx.visible_distance(y)}, target, template=tpl)
    return None


# --- front / behind -----------------------------------------------------------------------------------------------

FRONT_BEHIND_TEMPLATES = (
    "Is {x} in front of or behind {y}?",
    "From the camera's viewpoint, is {x} in front of {y} or behind it?",
    "Considering depth from the camera, is {x} in front of or behind {y}?",
)
FRONT_BEHIND_YESNO = {"front": ("Is {x} in front of {y}?", "Seen from the camera, is {x} in front of {y}?"),
                      "behind": ("Is {x} behind {y}?", "Seen from the camera, is {x} behind {y}?")}


def _front_behind_label(truth: dict) -> str:
    return "front" if truth["forward_x"] < truth["forward_y"] else "behind"


@register("front_behind", sat_type="other", labels=("front", "behind"), recompute=_front_behind_label)
def front_behind(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """Is X in front of / behind Y, by the forward camera-frame coordinate of the centres (smaller = in front). Asked
    only where the picture agrees: the median planar depth of X's visible pixels is PICTURE_DISTANCE_MARGIN less
    (more) than Y's."""
    for a, b in pairs(ctx.candidates(), rng):
        fwd = camera_frame(np.stack([a.center, b.center]), ctx.cam_xz, ctx.yaw)[:, 1]
        if abs(fwd[0] - fwd[1]) < FORWARD_MARGIN:
            continue
        swap = (fwd[0] < fwd[1]) != (target == "front")
        x, y = (b, a) if swap else (a, b)
        fx, fy = (fwd[1], fwd[0]) if swap else (fwd[0], fwd[1])
        if not _picture_agrees(ctx, x, y, "depth", target == "behind"):
            continue
        ref = refer(ctx, [x, y], rng, target)
        if ref is None:
            continue
        (nx, ny), frames, images = ref
        q, choices, correct, tpl = _word_or_yes_no(rng, 0.5, ("front", "behind"), FRONT_BEHIND_TEMPLATES,
                                                   FRONT_BEHIND_YESNO, target, shown=("in front", "behind"), x=nx,
                                                   y=ny)
        return _finish(ctx, "front_behind", q, choices, correct, rng, [x, y], frames, images,
                       {"forward_x": float(fx), "forward_y": float(fy)}, target, template=tpl)
    return None


# --- above / below (true world height of the centres) -------------------------------------------------------------

ABOVE_BELOW_TEMPLATES = (
    "Considering the relative positions, is {x} above or below {y}?",
    "Is {x} above or below {y}?",
    "In 3D space, is the center of {x} above or below the center of {y}?",
    "Considering their real heights, is {x} located above or below {y}?",
)
ABOVE_BELOW_YESNO = {"above": ("Is {x} above {y}?", "In 3D space, is {x} positioned above {y}?"),
                     "below": ("Is {x} below {y}?", "In 3D space, is {x} positioned below {y}?")}


def _above_below_label(truth: dict) -> str:
    return "above" if truth["height_x"] > truth["height_y"] else "below"


def _height_pairs(ctx: QAContext, rng: np.random.Generator, target_higher: bool):
    """Pairs (x, y, yx, yy) ordered so that x's centre is higher than y's iff target_higher, heights apart."""
    for a, b in pairs(ctx.candidates(), rng):
        ya, yb = float(a.center[1]), float(b.center[1])
        if abs(ya - yb) < VERTICAL_MARGIN:
            continue
        if (ya > yb) == target_higher:
            yield a, b, ya, yb
        else:
            yield b, a, yb, ya


@register("above_below", sat_type="other", labels=("above", "below"), recompute=_above_below_label)
def above_below(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """Is X above or below Y, by the true world height of the centres (SAT used depth as a proxy: not copied). Asked
    only where the picture agrees, whatever the wording: X's visible pixels lie PICTURE_ROW_MARGIN of the height
    above (below) Y's (a far lamp can be higher than a near table and still look lower). `taller_height` is the
    family whose wording asks for the 3D rule alone ("not just the 2D positions in the image")."""
    for x, y, yx, yy in _height_pairs(ctx, rng, target == "above"):
        if not _picture_agrees(ctx, x, y, "row", target == "above"):
            continue
        ref = refer(ctx, [x, y], rng, target)
        if ref is None:
            continue
        (nx, ny), frames, images = ref
        q, choices, correct, tpl = _word_or_yes_no(rng, 0.6, ("above", "below"), ABOVE_BELOW_TEMPLATES,
                                                   ABOVE_BELOW_YESNO, target, x=nx, y=ny)
        return _finish(ctx, "above_below", q, choices, correct, rng, [x, y], frames, images,
                       {"height_x": yx, "height_y": yy}, target, template=tpl)
    return None


# --- taller height (3D centre height, yes / no) -------------------------------------------------------------------

TALLER_HEIGHT_TEMPLATES = {
    "higher": (
        "Consider the 3D positions of the objects in the scene and not just the 2D positions in the image. "
        "Is the centerpoint of {x} at a higher height than {y}?",
        "In 3D, not just in the image, is the center of {x} higher above the floor than the center of {y}?",
        "Ignoring where they appear in the picture, is the midpoint of {x} at a greater height than that of {y}?",
    ),
    "lower": (
        "Consider the 3D positions of the objects in the scene and not just the 2D positions in the image. "
        "Is the centerpoint of {x} at a lower height than {y}?",
        "In 3D, not just in the image, is the center of {x} closer to the floor than the center of {y}?",
        "Ignoring where they appear in the picture, is the midpoint of {x} at a lower height than that of {y}?",
    ),
}


def _taller_height_label(truth: dict) -> str:
    return "higher" if truth["height_x"] > truth["height_y"] else "lower"


@register("taller_height", sat_type="other", labels=("higher", "lower"), recompute=_taller_height_label)
def taller_height(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """Is the centre of X higher (or lower) than Y's, by world y of the centres; yes / no. The label is X's relation
    ("higher" / "lower"), balanced like every geometric label (and per category by the balancer); the word asked is
    drawn independently, so yes and no are balanced too and neither says more than the other."""
    asks = pick(rng, ("higher", "lower"))
    for x, y, yx, yy in _height_pairs(ctx, rng, target == "higher"):
        ref = refer(ctx, [x, y], rng, target)
        if ref is None:
            continue
        (nx, ny), frames, images = ref
        tpl = pick(rng, TALLER_HEIGHT_TEMPLATES[asks])
        choices, correct = _yes_no(asks == target)
        return _finish(ctx, "taller_height", tpl.format(x=nx, y=ny), choices, correct, rng, [x, y], frames, images,
                       {"height_x": yx, "height_y": yy, "asks": asks}, target, template=tpl)
    return None


# --- relative distance between objects ----------------------------------------------------------------------------

RELATIVE_DISTANCE_TEMPLATES = {
    "closer": (
        "Which object is closer to {a}, {b} or {c}?",
        "Estimate the real world distances between objects in the image. Which object is closer to {a}, {b} or {c}?",
        "In 3D space, which is nearer to {a}: {b} or {c}?",
    ),
    "farther": (
        "Which object is farther from {a}, {b} or {c}?",
        "Estimate the real world distances between objects in the image. Which object is farther from {a}, "
        "{b} or {c}?",
        "In 3D space, which is farther away from {a}: {b} or {c}?",
    ),
}


def _relative_distance_label(truth: dict) -> str:
    b_closer = truth["distance_ab"] < truth["distance_ac"]
    return "first" if b_closer == (truth["asks"] == "closer") else "second"


@register("relative_distance", sat_type="other", labels=("first", "second"), recompute=_relative_distance_label)
def relative_distance(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """Which of B, C is closer to (or farther from) A by 3D centre distance. The label is the position of the
    correct option in the question ("first" = B), so a text-only model cannot use the order."""
    cands = ctx.candidates()
    n = len(cands)
    if n < 3:
        return None
    triples = [(i, j, k) for i in range(n) for j in range(n) for k in range(j + 1, n) if i != j and i != k]
    asks = pick(rng, ("closer", "farther"))
    for t in rng.permutation(len(triples))[:200]:
        i, j, k = triples[t]
        a, b, c = cands[i], cands[j], cands[k]
        if min(np.linalg.norm(a.center - b.center), np.linalg.norm(a.center - c.center),
               np.linalg.norm(b.center - c.center)) < MIN_PAIR_SEPARATION:
            continue
        dab, dac = float(np.linalg.norm(a.center - b.center)), float(np.linalg.norm(a.center - c.center))
        if abs(dab - dac) < DISTANCE_MARGIN:
            continue
        b_first = ((dab < dac) == (asks == "closer")) == (target == "first")
        if not b_first:
            b, c, dab, dac = c, b, dac, dab
        ref = refer(ctx, [a, b, c], rng, target)
        if ref is None:
            continue
        (na, nb, nc), frames, images = ref
        tpl = pick(rng, RELATIVE_DISTANCE_TEMPLATES[asks])
        choices, correct = [nb, nc], 0 if target == "first" else 1
        return _finish(ctx, "relative_distance", tpl.format(a=na, b=nb, c=nc), choices, correct, rng, [a, b, c],
                       frames, images, {"distance_ab": dab, "distance_ac": dac, "asks": asks,
                                        "centers": [a.center.tolist(), b.center.tolist(), c.center.tolist()]},
                       target, template=tpl)
    return None

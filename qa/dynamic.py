"""SAT's dynamic families: the camera or an object moves (before/after frames), or a hypothetical motion is asked
about on one marked frame (docs/QA_SPEC.md, "Dynamic families"; reference/SAT.md section 1b).

Every answer comes from geometry: executed (successful) actions and the poses they produce, object centres before
and after a move, and for hypothetical motions the pose computed without executing anything. Pixels decide which
objects are visible (``ctx.candidates``), where marks go, whether the picture shows a move the way the geometry says
(object_movement) and whether perspective's X stands on open floor; they never decide an answer.

State: the sampler restores the agent pose after each family; ``object_movement`` also moves the displaced object
back to its old position, so the scene is unchanged after every question of this module.
"""

from __future__ import annotations

import numpy as np

from qa import balance
from qa import marks as mk
from qa import visibility as vis
from qa.context import QAContext, category_name
from qa.core import (
    BEARING_MARGIN,
    BEARING_STRAIGHT,
    DISTANCE_MARGIN,
    FORWARD_MARGIN,
    LATERAL_MARGIN,
    MIN_PAIR_SEPARATION,
    QA,
    bearing,
    camera_frame,
    pick,
    register,
    shuffle_choices,
)

# --- motions and thresholds (SAT values where marked) ------------------------------------------------------------

EGO_ROTATIONS = (20, 30, 40, 50)  # SAT: RotateLeft/RotateRight degrees
EGO_MOVES = (0.2, 0.3)  # SAT: MoveAhead magnitudes after the rotation
EGO_MOVE_PROB = 0.5  # SAT: a rotation is followed by MoveAhead with p=0.5
TRANSLATION_FIRST_TURN = (65, 70, 75)  # SAT: first rotation of the sideways move
TRANSLATION_MOVES = (0.7, 0.8, 0.9, 1.0)  # SAT: MoveAhead magnitudes of the sideways move
TRANSLATION_TURN_BACK = (100, 105, 110)  # SAT: rotation back the other way
OBJECT_STEPS = (0.25, 0.5)  # SAT: object displacement per axis (x and/or z), metres
# SAT: the moved object must land within 0.1 m (xz) of the requested point; place_object is exact, kept as a check.
PLACE_TOLERANCE = 0.1
# A move may change the object's camera distance by little (displacements are 0.25-0.71 m); towards/away needs the
# same margin as front/behind since a distance change of an object in view is mostly a change along the view axis.
OBJECT_DISTANCE_MARGIN = FORWARD_MARGIN
HYPO_ROTATIONS = (60, 75, 90, 105, 120)  # hypothetical turns of action_consequence: small enough that both closer
# and further occur for objects in view (with turns < 60 deg almost every visible object gets closer)
HYPO_MOVES = (0.5, 0.75, 1.0)  # hypothetical forward moves, metres: big enough for a > 0.2 m distance change
NAV_SNAP = 0.2  # m: a hypothetical end point counts as standable when a reachable grid point (0.25 m grid) is this near
PERSPECTIVE_DISTANCE_MARGIN = 0.5  # SAT: closer/further from the X point needs a distance change over 0.5 m
PERSPECTIVE_TURN = 90  # SAT: the hypothetical observer at X faces +-90 deg from the current heading
# Left/right from the X point is asked only when the bearing is at least this far from straight ahead and from
# straight behind: the SAT "roughly straight ahead" band (+-10 deg) plus the near-tie margin.
PERSPECTIVE_SIDE_MIN = BEARING_STRAIGHT + BEARING_MARGIN
X_BORDER_FRACTION = 0.1  # SAT: the X pixel is drawn from U[0.1, 0.9]^2 of the image
MIN_X_DISTANCE = 1.0  # m: the X point is at least this far from the camera (a move there is a real move)
X_POINTS_TRIED = 12  # open-floor X points tried per question
GOAL_FOLLOWUP_PROB = 0.25  # share of goal_aiming questions asked in the follow-up ("will I face away") form
# In the follow-up form every turn from an object straight ahead faces away ("yes"); a left/right answer's turn is
# to its own side ("no") this often, so that yes and no stay equal over the three labels (1/3 + 2/3 * 1/4 = 1/2) and
# the side named in the question says nothing about the answer.
GOAL_FOLLOWUP_OWN_SIDE = 0.75
MAX_MARKED = 3  # at most this many numbered dots in one image


def _cap(q: str) -> str:
    return q[0].upper() + q[1:]


def _pose_list(pose) -> list[float]:
    return [float(pose.x), float(pose.z), float(pose.yaw)]


def _restore(backend, pose) -> None:
    if backend.pose != pose:
        backend.teleport(pose.x, pose.z, pose.yaw, pose.horizon)


def _xz(p) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    return p[[0, 2]] if p.shape[-1] == 3 else p


def _hdist(a, b) -> float:
    """Horizontal (x-z) distance: the one distance measure used for closer/further/towards/away in this module."""
    return float(np.linalg.norm(_xz(a) - _xz(b)))


def _signed_turn(direction: str, degrees: float) -> float:
    """Yaw change of a turn: right is positive (yaw grows toward +x), left negative."""
    return float(degrees) if direction == "right" else -float(degrees)


# ===================================================================================================================
# ego_movement
# ===================================================================================================================

EGO_PREFIX = "The first image is from the beginning of the video and the second image is from the end. "
EGO_TEMPLATES = (
    EGO_PREFIX + "How did the camera likely rotate when shooting the video?",
    EGO_PREFIX + "How did the camera likely move when shooting the video?",
    "How did the camera rotate from the first image to the second image?",
    "Between the first and the second image, how did the camera move?",
    "The two images were taken one after the other. How did the camera likely turn between them?",
)
EGO_NONE = "did not move"


def _ego_label(truth: dict) -> str:
    turn = sum(a["degrees"] * (1 if a["action"] == "RotateRight" else -1)
               for a in truth["actions"] if a["success"] and a["action"] in ("RotateLeft", "RotateRight"))
    if turn > 0:
        return "rotated right"
    if turn < 0:
        return "rotated left"
    return EGO_NONE


@register("ego_movement", sat_type="action_sequence", labels=("rotated left", "rotated right", EGO_NONE),
          dynamic=True, recompute=_ego_label)
def ego_movement(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """The env rotates the camera (optionally then moves it forward) or leaves it; asks how the camera moved.

    Labels: rotated left / rotated right / did not move, uniform (SAT's "did not move" rate was 0.3). The answer
    string adds " and moved forward" when a MoveAhead was executed successfully. Distractors share the correct
    answer's "moved forward" part, so the suffix tells nothing: when the camera did not move, the part is the one a
    rotation drawn the same way would have had here (its MoveAhead may be blocked), so that it occurs as often with
    "did not move" as with a rotation.
    """
    b = ctx.backend
    start = b.pose
    actions = []
    direction = target.split()[-1] if target != EGO_NONE else pick(rng, ("left", "right"))
    deg = int(pick(rng, EGO_ROTATIONS))
    act = "RotateLeft" if direction == "left" else "RotateRight"
    res = b.step(act, degrees=deg)
    actions.append({"action": act, "degrees": deg, "success": bool(res.success)})
    if rng.random() < EGO_MOVE_PROB:
        mag = float(pick(rng, EGO_MOVES))
        res = b.step("MoveAhead", moveMagnitude=mag)
        actions.append({"action": "MoveAhead", "magnitude": mag, "success": bool(res.success)})
    moved = any(a["action"] == "MoveAhead" and a["success"] for a in actions)
    if target == EGO_NONE:  # the motion only decided the suffix: the camera stays
        _restore(b, start)
        actions = []
    after = b.view() if actions else ctx.view
    end = b.pose
    _restore(b, start)
    truth = {"actions": actions, "before": _pose_list(start), "after": _pose_list(end)}
    label = _ego_label(truth)
    if label != target:
        return None
    suffix = " and moved forward" if moved else ""
    truth["moved_forward"] = moved if label != EGO_NONE else False
    options = {"rotated left": "rotated left" + suffix, "rotated right": "rotated right" + suffix, EGO_NONE: EGO_NONE}
    correct_text = options[label] if label != EGO_NONE else EGO_NONE
    others = [v for k, v in options.items() if k != label]  # always all three: a choice set gives nothing away
    choices, correct = shuffle_choices([correct_text, *others], 0, rng)
    q = pick(rng, EGO_TEMPLATES)
    return QA(q, choices, correct, "ego_movement", "action_sequence", ["before", "after"],
              {"before": ctx.view.rgb, "after": after.rgb}, [], truth, label, template=q)


# ===================================================================================================================
# camera_translation
# ===================================================================================================================

TRANSLATION_TEMPLATES = (
    EGO_PREFIX + "How did the camera likely move when shooting the video?",
    EGO_PREFIX + "Did the camera move left or right when shooting the video?",
    "Between the first and the second image, did the camera move to the left or to the right?",
    "Comparing the two images, which way did the camera move sideways: left or right?",
)


def _translation_label(truth: dict) -> str:
    return "right" if truth["lateral"] > 0 else "left"


@register("camera_translation", sat_type="action_sequence", labels=("left", "right"), dynamic=True,
          recompute=_translation_label)
def camera_translation(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """The env turns 65-75 deg to the target side, moves 0.7-1.0 m, turns back 100-110 deg (SAT): a net sideways
    move. The answer is the sign of the net lateral displacement in the FIRST frame's camera frame."""
    b = ctx.backend
    start = b.pose
    first = "RotateRight" if target == "right" else "RotateLeft"
    back = "RotateLeft" if target == "right" else "RotateRight"
    for _ in range(3):
        a1, m, a2 = int(pick(rng, TRANSLATION_FIRST_TURN)), float(pick(rng, TRANSLATION_MOVES)), int(pick(rng, TRANSLATION_TURN_BACK))
        results = [b.step(first, degrees=a1), b.step("MoveAhead", moveMagnitude=m), b.step(back, degrees=a2)]
        if not all(r.success for r in results):
            _restore(b, start)
            continue
        end = b.pose
        after = b.view()
        _restore(b, start)
        lateral, forward = camera_frame(np.array([end.x, end.z]), (start.x, start.z), start.yaw)
        if abs(lateral) < LATERAL_MARGIN:
            continue
        truth = {"actions": [{"action": first, "degrees": a1}, {"action": "MoveAhead", "magnitude": m},
                             {"action": back, "degrees": a2}],
                 "before": _pose_list(start), "after": _pose_list(end),
                 "lateral": float(lateral), "forward": float(forward)}
        label = _translation_label(truth)
        if label != target:
            continue
        q = pick(rng, TRANSLATION_TEMPLATES)
        if "How did" in q:
            choices = ["moved left", "moved right"]
        else:
            choices = ["left", "right"]
        choices, correct = shuffle_choices(choices, 0 if label == "left" else 1, rng)
        return QA(q, choices, correct, "camera_translation", "action_sequence", ["before", "after"],
                  {"before": ctx.view.rgb, "after": after.rgb}, [], truth, label, template=q)
    return None


# ===================================================================================================================
# object_movement
# ===================================================================================================================

OBJM_TEMPLATES = (
    "Were any of the objects in the initial frame that you can still see in the second frame moved from their "
    "original positions?",
    "Did any object that is visible in both images change its position between the first and the second image?",
    "Compare the two images: was any of the objects moved, and if so, how?",
)
OBJM_WHICH_TEMPLATES = (
    "Which of the marked objects in the first image was moved before the second image was taken?",
    "One of the marked objects in the first image may have been moved by the time of the second image. Which one?",
)
OBJM_NONE = "no objects moved"
OBJM_WHICH_NONE = "none of them"
OBJM_WHICH_PROB = 0.3  # share of "which object moved" questions (before the balance below)
OBJM_MAX_OBJECTS = 6  # movable candidates tried per question (each try re-renders the after frame)
# The geometric forecast of the picture check must clear its thresholds by this factor before a move is rendered:
# occlusion and the frame's edges mostly make the picture change less than the forecast, so moves that only just
# clear it rarely pass the rendered check.
FORECAST_SLACK = 1.05


# The labels: the side the object moved to and whether towards or away from the camera, or none. Both parts are in
# the answer text, so both are drawn: a move the picture check lets through is more often towards the camera (the
# object grows) than away, and a drawn side alone would let "towards" be the better guess.
OBJM_LABELS = ("left, towards", "left, away", "right, towards", "right, away", "none")


def _objm_label(truth: dict) -> str:
    if truth["moved"] is None:
        return "none"
    m = truth["moved"]
    side = "right" if m["lateral_new"] > m["lateral_old"] else "left"
    return f"{side}, {'towards' if m['distance_new'] < m['distance_old'] else 'away'}"


def _objm_toward(m: dict) -> str:
    return "towards" if m["distance_new"] < m["distance_old"] else "away from"


def _displacements():
    steps = (-OBJECT_STEPS[1], -OBJECT_STEPS[0], 0.0, OBJECT_STEPS[0], OBJECT_STEPS[1])
    return [(dx, dz) for dx in steps for dz in steps if (dx, dz) != (0.0, 0.0)]


def _move_may_look_right(ctx: QAContext, old, new, towards: bool, right: bool) -> bool:
    """The geometric forecast of _move_looks_right, before anything is rendered: the apparent size scales with the
    inverse square of the centre's planar depth, and the centre's projection shifts with the move."""
    (p_old, p_new), (z_old, z_new) = ctx.camera.project(np.stack([old, new]))
    if z_old <= 0 or z_new <= 0:
        return False
    grow = (z_old / z_new) ** 2
    shift = (p_new[0] - p_old[0]) / ctx.size[0]
    return (grow if towards else 1.0 / grow) >= FORECAST_SLACK * vis.PICTURE_SIZE_RATIO and \
        (shift if right else -shift) >= FORECAST_SLACK * vis.PICTURE_SHIFT_MARGIN


def _move_looks_right(ctx: QAContext, before, after_cand, after_view, towards: bool, right: bool) -> bool:
    """Does the picture show the move the geometry says: the object's visible pixels grow (towards) or shrink (away)
    by PICTURE_SIZE_RATIO, and their centroid shifts PICTURE_SHIFT_MARGIN of the width to the side it moved to?"""
    grow = after_cand.pixels / before.pixels
    if (grow if towards else 1.0 / grow) < vis.PICTURE_SIZE_RATIO:
        return False
    shift = (ctx.centroid(after_cand, after_view)[0] - ctx.centroid(before)[0]) / ctx.size[0]
    return (shift if right else -shift) >= vis.PICTURE_SHIFT_MARGIN


@register("object_movement", sat_type="obj_movement", labels=OBJM_LABELS, dynamic=True, recompute=_objm_label)
def object_movement(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """One movable floor object is displaced by 0.25 / 0.5 m in x and/or z (SAT), or nothing moves.

    Labels (OBJM_LABELS): left / right (lateral displacement in the first camera frame) with towards / away
    (horizontal distance from the first camera position, old vs new centre), or none. A move is
    kept only where the picture agrees: the object's visible pixels grow (towards) or shrink (away) by
    PICTURE_SIZE_RATIO and their centroid shifts PICTURE_SHIFT_MARGIN of the width to the answer's side. Only objects
    standing on the floor are moved (with what stands on them): one on a receptacle could drop to the floor and could
    then not be put back. The object is put back after the after-frame is rendered, so the scene is unchanged.
    """
    b = ctx.backend
    cam = ctx.cam_xz
    w = ctx.size[0]
    # Floor objects only (what stands on them moves with them, and they are never among the marked others) that can
    # be named: by category alone, or by a dot that does not hide them.
    cands = [c for c in ctx.candidates(rule=vis.MOVABLE, movable=True)
             if b.scene.objects[c.object_id].parent is None and (ctx.name(c) is not None or ctx.markable(c))]
    movable = [c for c in cands if ctx.open([c], target)]  # the ones the category balancer lets us ask about
    if not movable:
        return None
    which_form = rng.random() < OBJM_WHICH_PROB
    order = [movable[i] for i in rng.permutation(len(movable))]
    # The search runs for "none" too (with a random direction) and its move is then discarded: "no objects moved"
    # is asked exactly where a valid move existed, so every label has the same preconditions (equal yields).
    if target == "none":
        side, toward = pick(rng, ("left", "right")), pick(rng, ("towards", "away from"))
    else:
        side, way = target.split(", ")
        toward = "towards" if way == "towards" else "away from"
    moved = None
    for obj in order[:OBJM_MAX_OBJECTS]:
        rec = b.scene.objects[obj.object_id]
        old = rec.center.copy()
        col_old = ctx.centroid(obj)[0]
        lat_old = float(camera_frame(old, cam, ctx.yaw)[0])
        d_old = _hdist(old, cam)
        opts = _displacements()
        for k in rng.permutation(len(opts)):
            dx, dz = opts[k]
            new = old + np.array([dx, 0.0, dz])
            lat_new = float(camera_frame(new, cam, ctx.yaw)[0])
            d_new = _hdist(new, cam)
            if abs(lat_new - lat_old) < LATERAL_MARGIN or abs(d_new - d_old) < OBJECT_DISTANCE_MARGIN:
                continue
            if (lat_new > lat_old) != (side == "right") or (d_new < d_old) != (toward == "towards"):
                continue
            if not _move_may_look_right(ctx, old, new, toward == "towards", side == "right"):
                continue  # the rendered check would fail: skip the render
            if not b.place_object(obj.object_id, float(new[0]), float(new[2])):
                continue
            landed = b.scene.objects[obj.object_id].center.copy()
            after = b.view()
            seen = ctx.candidate(obj.object_id, view=after, rule=vis.AFTER_MOVE)
            ok = (_hdist(landed, new) <= PLACE_TOLERANCE and abs(landed[1] - old[1]) < 1e-3 and seen is not None
                  and _move_looks_right(ctx, obj, seen, after, toward == "towards", side == "right"))
            back = b.place_object(obj.object_id, float(old[0]), float(old[2]))
            if not back:
                raise RuntimeError(f"object_movement could not put {obj.object_id} back: {back.error}")
            if not ok:
                continue
            moved = {"object_id": obj.object_id, "old": old.tolist(), "new": landed.tolist(),
                     "lateral_old": lat_old, "lateral_new": float(camera_frame(landed, cam, ctx.yaw)[0]),
                     "distance_old": d_old, "distance_new": _hdist(landed, cam),
                     "pixels_old": obj.pixels, "pixels_new": seen.pixels,
                     "column_old": col_old / w, "column_new": ctx.centroid(seen, after)[0] / w}
            break
        if moved is not None:
            break
    if moved is None:
        return None
    if target == "none":
        moved, after = None, ctx.view  # the scene is back as it was: the after frame is the first one
    truth = {"camera": [*cam, ctx.yaw], "moved": moved, "distance": "horizontal xz from the first camera position",
             "balanced_on": [obj.object_id]}
    label = _objm_label(truth)
    if label != target:
        return None
    frames = {"before": ctx.view.rgb, "after": after.rgb}

    if which_form:
        # The others are of the moved object's category: which categories get moved (those that fit somewhere new) is
        # a prior a model could answer from the names alone; among objects of one category only the picture tells.
        others = [c for c in cands if c.object_id != obj.object_id and c.object_type == obj.object_type
                  and ctx.markable(c)]
        others = [others[i] for i in rng.permutation(len(others))][: MAX_MARKED - 1]
        marked = [obj, *others]
        marked = [marked[i] for i in rng.permutation(len(marked))]
        labels = [str(i + 1) for i in range(len(marked))]
        # "none of them" must be right as often as each marked object (1 in k + 1), but "none" is 1 label in 5: a
        # move is asked in this form with probability k * P(none) / (1 - P(none)) (k / 4), else in the direction form.
        p_none = 1 / len(OBJM_LABELS)
        keep = moved is None or rng.random() < len(marked) * p_none / (1 - p_none)
        dotted = ctx.dots(list(zip(marked, labels))) if others and keep else None
        which_form = dotted is not None  # the dots would hide one another's objects: ask about the moved one
    if which_form:
        frames["before_marked"] = dotted
        names = [ctx.name(c, mark=lab) for c, lab in zip(marked, labels)]
        if moved is None:
            correct_text = OBJM_WHICH_NONE
        else:
            correct_text = names[marked.index(obj)]
        choices = [*names, OBJM_WHICH_NONE]
        choices, correct = shuffle_choices(choices, choices.index(correct_text), rng)
        truth["marked"] = [c.object_id for c in marked]
        q = pick(rng, OBJM_WHICH_TEMPLATES)
        return QA(q, choices, correct, "object_movement", "obj_movement", ["before_marked", "after"], frames,
                  [c.object_id for c in marked], truth, label, template=q)

    name = ctx.name(obj)
    images = ["before", "after"]
    if name is None:
        frames["before_marked"] = ctx.dots([(obj, "1")])
        name = f"the {category_name(obj.object_type)} (marked 1 in the first image)"
        images = ["before_marked", "after"]
    # All four moves and "none": each is right 1 time in 5 (the labels are drawn uniformly), so that no choice is a
    # better guess than another without the images.
    options = [_cap(f"{name} was moved {lr} and {ta} the camera") for lr in ("left", "right")
               for ta in ("towards", "away from")] + [OBJM_NONE]
    answer = OBJM_NONE if moved is None else _cap(f"{name} was moved {label.split(',')[0]} and {_objm_toward(moved)} "
                                                  "the camera")
    choices, correct = shuffle_choices(options, options.index(answer), rng)
    truth["named"] = obj.object_id
    q = pick(rng, OBJM_TEMPLATES)
    return QA(q, choices, correct, "object_movement", "obj_movement", images, frames, [obj.object_id], truth, label,
              template=q)


# ===================================================================================================================
# action_consequence
# ===================================================================================================================

CONSEQ_YESNO = (
    "If I {action}, will {obj} get {cfp} the camera?",
    "if I {action}, would {obj} be {cfp} me than it is now?",
    "If I {action}, will {obj} move {cfp} the camera?",
    "If I {action}, will I end up {cfp} {obj} than I am now?",
)
CF_PHRASE = {"closer": "closer to", "further": "further from"}
CONSEQ_WHICH = (
    "Which of the following objects will move {cfp} the camera if I {action}?",
    "If I {action}, which object will be {cfp} me than it is now?",
)
CONSEQ_WHICH_PROB = 0.3


def _conseq_label(truth: dict) -> str:
    return "closer" if truth["distance_after"] < truth["distance_before"] else "further"


def _hypo_pose(cam_xz, yaw: float, turn: float, move: float) -> tuple[float, float, float]:
    """Pose after turning by `turn` deg (right positive) then moving forward `move` m: pure geometry."""
    y = yaw + turn
    t = np.radians(y)
    return (cam_xz[0] + move * np.sin(t), cam_xz[1] + move * np.cos(t), y % 360.0)


def _standable_path(backend, a, b) -> bool:
    """The agent could slide from a to b (no obstacle on the way) and stand at b (a reachable grid point is near)."""
    nav = backend.navgrid
    if not nav.line_of_sight(a, b):
        return False
    pos = nav.positions()
    return bool(len(pos)) and float(np.min(np.linalg.norm(pos - np.asarray(b), axis=1))) <= NAV_SNAP


def _action_text(direction: str, deg: int, move: float) -> str:
    return f"turn {direction} by {deg} degrees and move forward {move:g} meter{'' if move == 1 else 's'}"


@register("action_consequence", sat_type="action_consequence", labels=("closer", "further"), dynamic=True,
          recompute=_conseq_label)
def action_consequence(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """"If I turn and move, will object n get closer / further?" on one marked frame; nothing is executed.

    The action (turn 60-120 deg either way, then forward 0.5-1.0 m) is drawn independently of the target, then an
    object whose horizontal distance changes by more than 0.2 m (SAT) in the target direction is asked about. The
    path must be free and end at a standable point. Also the "which object will get closer/further" form, whose other
    choices change the opposite way by more than the margin. Objects are those a dot can mark without hiding them.
    """
    cands = [c for c in ctx.candidates(rule=vis.DYNAMIC) if ctx.markable(c)]
    if not cands:
        return None
    cam, yaw = ctx.cam_xz, ctx.yaw
    for _ in range(6):
        direction = pick(rng, ("left", "right"))
        deg, move = int(pick(rng, HYPO_ROTATIONS)), float(pick(rng, HYPO_MOVES))
        nx, nz, nyaw = _hypo_pose(cam, yaw, _signed_turn(direction, deg), move)
        if not _standable_path(ctx.backend, cam, (nx, nz)):
            continue
        changes = {c.object_id: (_hdist(c.center, cam), _hdist(c.center, (nx, nz))) for c in cands}
        want = [c for c in cands if (changes[c.object_id][1] - changes[c.object_id][0]) * (1 if target == "further" else -1) > DISTANCE_MARGIN
                and ctx.open([c], target)]
        if not want:
            continue
        obj = want[int(rng.integers(len(want)))]
        d0, d1 = changes[obj.object_id]
        action = _action_text(direction, deg, move)
        truth = {"camera": [*cam, yaw], "action": {"turn": _signed_turn(direction, deg), "move": move},
                 "pose_after": [float(nx), float(nz), float(nyaw)], "object": obj.object_id,
                 "balanced_on": [obj.object_id],
                 "center": obj.center.tolist(), "distance_before": d0, "distance_after": d1,
                 "distance": "horizontal xz from the camera"}
        label = _conseq_label(truth)
        frames = {"view": ctx.view.rgb}
        if rng.random() < CONSEQ_WHICH_PROB:
            opposite = [c for c in cands if c.object_id != obj.object_id and
                        (changes[c.object_id][1] - changes[c.object_id][0]) * (1 if target == "further" else -1) < -DISTANCE_MARGIN]
            if opposite:
                others = [opposite[i] for i in rng.permutation(len(opposite))][: MAX_MARKED - 1]
                marked = [obj, *others]
                marked = [marked[i] for i in rng.permutation(len(marked))]
                labels = [str(i + 1) for i in range(len(marked))]
                dotted = ctx.dots(list(zip(marked, labels)))
                if dotted is not None:  # else the dots would hide one another's objects: ask the yes/no form
                    frames["marked"] = dotted
                    names = [ctx.name(c, mark=lab) for c, lab in zip(marked, labels)]
                    tpl = pick(rng, CONSEQ_WHICH).replace("{cfp}", CF_PHRASE[target])
                    q = _cap(tpl.format(action=action))
                    choices, correct = shuffle_choices(names, marked.index(obj), rng)
                    truth["others"] = {c.object_id: list(changes[c.object_id]) for c in others}
                    return QA(q, choices, correct, "action_consequence", "action_consequence", ["marked"], frames,
                              [c.object_id for c in marked], truth, label, template=tpl)
        frames["marked"] = ctx.dots([(obj, "1")])
        name = ctx.name(obj, mark="1")
        asked = pick(rng, ("closer", "further"))
        tpl = pick(rng, CONSEQ_YESNO).replace("{cfp}", CF_PHRASE[asked])
        q = tpl.format(action=action, obj=name)
        truth["asked"] = asked
        choices, correct = shuffle_choices(["yes", "no"], 0 if asked == label else 1, rng)
        return QA(_cap(q), choices, correct, "action_consequence", "action_consequence", ["marked"], frames,
                  [obj.object_id], truth, label, template=tpl)
    return None


# ===================================================================================================================
# goal_aiming
# ===================================================================================================================

GOAL_TEMPLATES = (
    "I need to go to {obj}. Which direction should I turn to face the object?",
    "I need to go to {obj}. Should I turn left, turn right, or look straight to face it?",
    "I need to go to {obj}. Which way should I turn so that I am facing it?",
)
GOAL_FOLLOWUP = (
    "I need to go to {obj}. If I turn {turn}, will I be facing away from it?",
    "I need to go to {obj}. If I turn {turn}, will I be facing further away from it than now?",
)
GOAL_STRAIGHT = "look straight"
# Turn sizes k in the choices: a left/right answer's k is its object's |bearing| rounded to 10 (SAT), one of GOAL_K.
# "straight" has no k of its own, yet its choices show one: it is drawn with the frequencies turn answers have
# (goal_turn_k(), measured by tools/build_label_prior.py), so that k says nothing about which answer is right. Drawn
# uniformly it would: objects at 20 degrees are more often in view than at 40, and a text-only model would read
# "by 40 degrees" as "look straight".
GOAL_K = (20, 30, 40)


def goal_turn_k() -> dict[int, float]:
    """k -> share of left/right goal_aiming answers with that k (qa/data/label_prior.json; uniform if absent)."""
    counts = {int(k): n for k, n in balance.label_prior().get("goal_aiming", {}).get("turn_k", {}).items() if int(k) in GOAL_K}
    total = sum(counts.values())
    if not total:
        return {k: 1 / len(GOAL_K) for k in GOAL_K}
    return {k: counts.get(k, 0) / total for k in GOAL_K}


def _goal_label(truth: dict) -> str:
    b = truth["bearing"]
    if b < -BEARING_STRAIGHT:
        return "left"
    if b > BEARING_STRAIGHT:
        return "right"
    return "straight"


def _round10(angle: float) -> int:
    return int(np.floor(abs(angle) / 10.0 + 0.5)) * 10


@register("goal_aiming", sat_type="goal_aim", labels=("left", "right", "straight"), dynamic=True,
          recompute=_goal_label)
def goal_aiming(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """"I need to go to object n; which direction should I turn?" from bearing = atan2(lateral, forward):
    straight within +-10 deg (SAT), bearings within BEARING_MARGIN of +-10 rejected; k = |bearing| rounded to 10.

    Follow-up form (GOAL_FOLLOWUP_PROB of every label): "If I turn {left/right by k}, will I be facing away from
    it?": yes for the wrong side and for any turn from an object straight ahead, no for the right side (asked
    GOAL_FOLLOWUP_OWN_SIDE of left/right answers, so that yes and no are equal).
    """
    cands = [c for c in ctx.candidates(rule=vis.DYNAMIC) if ctx.markable(c)]
    order = [cands[i] for i in rng.permutation(len(cands))]
    found = None  # (object, bearing, truth, label): the first with the target label and, for a turn, a k in GOAL_K
    for obj in order:
        bng = bearing(obj.center, ctx.cam_xz, ctx.yaw)
        if abs(abs(bng) - BEARING_STRAIGHT) < BEARING_MARGIN:
            continue
        truth = {"camera": [*ctx.cam_xz, ctx.yaw], "center": obj.center.tolist(), "bearing": bng,
                 "lateral_forward": camera_frame(obj.center, ctx.cam_xz, ctx.yaw).tolist()}
        label = _goal_label(truth)
        if label != target or (label != "straight" and _round10(bng) not in GOAL_K) or not ctx.open([obj], label):
            continue
        found = (obj, bng, truth, label)
        break
    if found is None:
        return None
    obj, bng, truth, label = found
    if label == "straight":
        shares = goal_turn_k()
        k = int(GOAL_K[rng.choice(len(GOAL_K), p=[shares[g] for g in GOAL_K])])
    else:
        k = _round10(bng)
    truth["k"] = k
    frames = {"view": ctx.view.rgb, "marked": ctx.dots([(obj, "1")])}
    name = ctx.name(obj, mark="1")
    # Every label is asked in the follow-up form equally often: were "straight" never asked in it, it would be the
    # better guess in the three-way form.
    if rng.random() < GOAL_FOLLOWUP_PROB:
        if label == "straight":
            turn_side = pick(rng, ("left", "right"))
        else:
            own = rng.random() < GOAL_FOLLOWUP_OWN_SIDE
            turn_side = label if own else {"left": "right", "right": "left"}[label]
        tpl = pick(rng, GOAL_FOLLOWUP)
        q = tpl.format(obj=name, turn=f"{turn_side} by {k} degrees")
        truth["followup_turn"] = _signed_turn(turn_side, k)
        truth["followup_bearing_after"] = bng - truth["followup_turn"]
        # Facing away: the turn increases the angle between the heading and the object (the wrong side, or any turn
        # from an object within the straight-ahead band: |bearing| <= 10 - 5 deg, k >= 20 deg).
        away = abs(truth["followup_bearing_after"]) > abs(bng)
        choices, correct = shuffle_choices(["yes", "no"], 0 if away else 1, rng)
    else:
        tpl = pick(rng, GOAL_TEMPLATES)
        q = tpl.format(obj=name)
        options = [f"left by {k} degrees", f"right by {k} degrees", GOAL_STRAIGHT]
        correct_text = GOAL_STRAIGHT if label == "straight" else f"{label} by {k} degrees"
        choices, correct = shuffle_choices(options, options.index(correct_text), rng)
    return QA(q, choices, correct, "goal_aiming", "goal_aim", ["marked"], frames, [obj.object_id], truth, label,
              template=tpl)


# ===================================================================================================================
# perspective
# ===================================================================================================================

PERSP_SIDE = (
    "If I move to the 'X' marked point in the image and turn {dir} by 90 degrees, will {obj} be to my left or right?",
    "For someone at the 'X' marked point in the image and facing 90 degrees to the {dir}, will {obj} be to their "
    "left or right?",
    "Imagine standing on the 'X' in the image, turned 90 degrees to the {dir} from the camera's heading. Is {obj} "
    "on your left or on your right?",
)
PERSP_DIST = (
    "If I move to the 'X' marked point in the image and turn {dir} by 90 degrees, will {obj} get closer or further "
    "away?",
    "If I walk to the 'X' marked point in the image and turn {dir} by 90 degrees, will I be closer to {obj} or "
    "further from it than now?",
)


# Side labels carry the turn the question names: which side an object ends up on depends on the turn (objects in view
# mostly lie beyond the X, so "turn right" would mostly answer "left"), and the question says which turn. Drawing
# (turn, side) uniformly keeps the side independent of the words.
PERSPECTIVE_SIDE_LABELS = ("left after turning left", "right after turning left", "left after turning right",
                           "right after turning right")


def _perspective_label(truth: dict) -> str:
    if truth["kind"] == "side":
        side = "right" if truth["bearing_from_x"] > 0 else "left"
        return f"{side} after turning {'right' if truth['turn'] > 0 else 'left'}"
    return "closer" if truth["distance_from_x"] < truth["distance_now"] else "further"


def _open_floor(ctx: QAContext, xz, pix: tuple[int, int]) -> bool:
    """Is the X on open floor: does every pixel under the drawn mark, and every pixel where the floor within
    X_FLOOR_RADIUS of the standing point xz would show, show a room's floor at the floor plane's own depth (no
    furniture in front of it, no depth edge)?"""
    v = ctx.view
    cam = v.camera
    w, h = ctx.size
    r = mk.x_radius(w, h)
    a = np.linspace(0.0, 2 * np.pi, 24, endpoint=False)
    rim = np.stack([xz[0] + vis.X_FLOOR_RADIUS * np.sin(a), np.zeros_like(a), xz[1] + vis.X_FLOOR_RADIUS * np.cos(a)], 1)
    rp, rd = cam.project(rim)
    rp = np.concatenate([rp[rd > 0] - 1.0, rp[rd > 0] + 1.0])  # a pixel of padding: the rim is sampled, not traced
    x0 = int(max(0, np.floor(min(pix[0] - r - 1, *rp[:, 0]))))
    x1 = int(min(w - 1, np.ceil(max(pix[0] + r + 1, *rp[:, 0]))))
    y0 = int(max(0, np.floor(min(pix[1] - r - 1, *rp[:, 1]))))
    y1 = int(min(h - 1, np.ceil(max(pix[1] + r + 1, *rp[:, 1]))))
    cols, rows = np.arange(x0, x1 + 1), np.arange(y0, y1 + 1)
    u = (cols + 0.5 - w / 2.0) / cam.focal
    t = (h / 2.0 - (rows + 0.5)) / cam.focal
    ray = u[None, :, None] * cam.right + t[:, None, None] * cam.up + cam.forward  # planar depth 1 along each pixel
    with np.errstate(divide="ignore", invalid="ignore"):
        floor_depth = -cam.position[1] / ray[..., 1]  # where the ray meets the floor plane y = 0
    hit_x = cam.position[0] + floor_depth * ray[..., 0]
    hit_z = cam.position[2] + floor_depth * ray[..., 2]
    disc = (floor_depth > 0) & (np.hypot(hit_x - xz[0], hit_z - xz[1]) <= vis.X_FLOOR_RADIUS)
    under = (cols[None, :] - pix[0]) ** 2 + (rows[:, None] - pix[1]) ** 2 <= (r + 0.5) ** 2  # what draw_x inks
    need = disc | under
    if not (floor_depth[need] > 0).all():
        return False
    floor = ctx.memo(v, "floor_ids", lambda: np.array([t == "Floor" for t in v.object_types], dtype=bool))
    if not floor[v.ids[y0:y1 + 1, x0:x1 + 1][need]].all():
        return False
    height_error = np.abs(v.depth[y0:y1 + 1, x0:x1 + 1][need] - floor_depth[need]) * np.abs(ray[..., 1][need])
    return bool(height_error.max() <= vis.X_FLOOR_TOLERANCE)


def _x_points(ctx: QAContext, rng: np.random.Generator):
    """Reachable floor grid points visible in the image (projected inside the central 80 %, at least MIN_X_DISTANCE
    away) on open floor (_open_floor): (xz, pixel) in random order, checked one at a time as they are asked for."""
    pos = ctx.backend.navgrid.positions()
    if not len(pos):
        return
    pts = np.stack([pos[:, 0], np.zeros(len(pos)), pos[:, 1]], axis=1)
    pix, depth = ctx.camera.project(pts)
    w, h = ctx.size
    u, v = pix[:, 0], pix[:, 1]
    ok = ((depth > 0) & (u >= X_BORDER_FRACTION * w) & (u <= (1 - X_BORDER_FRACTION) * w)
          & (v >= X_BORDER_FRACTION * h) & (v <= (1 - X_BORDER_FRACTION) * h)
          & (np.linalg.norm(pos - np.asarray(ctx.cam_xz), axis=1) >= MIN_X_DISTANCE))
    idx = np.nonzero(ok)[0]
    # Image order (row, then column) before the random permutation: the draw depends on what the camera sees, not on
    # the world axes (turning the house and the camera together picks the same X).
    idx = idx[np.lexsort((np.round(u[idx], 3), np.round(v[idx], 3)))]
    found = 0
    for i in idx[rng.permutation(len(idx))]:
        col, row = int(np.clip(u[i], 0, w - 1)), int(np.clip(v[i], 0, h - 1))
        if ctx.memo(ctx.view, ("open_floor", float(pos[i][0]), float(pos[i][1])),
                    lambda: _open_floor(ctx, pos[i], (col, row))):
            yield pos[i].copy(), (col, row)
            found += 1
            if found >= X_POINTS_TRIED:
                return


@register("perspective", sat_type="perspective", labels=(*PERSPECTIVE_SIDE_LABELS, "closer", "further"), dynamic=True,
          recompute=_perspective_label)
def perspective(ctx: QAContext, rng: np.random.Generator, target: str) -> QA | None:
    """Hypothetical teleport to a visible reachable floor point X facing yaw +-90 deg: is object n to my left or
    right (sign of its bearing from the new pose; near straight ahead/behind rejected; the label names the turn too,
    PERSPECTIVE_SIDE_LABELS), or will it be closer or further (horizontal distance from X vs from the camera, change
    over 0.5 m, SAT)? The correct index is explicit
    (SAT's "Closer" was always listed first). The X stands on open floor (_open_floor); the dot and the X must leave
    the object visible and not overlap."""
    cands = [c for c in ctx.candidates(rule=vis.DYNAMIC) if ctx.markable(c)]
    if not cands:
        return None
    cam, yaw = ctx.cam_xz, ctx.yaw
    side_kind = target in PERSPECTIVE_SIDE_LABELS
    for xz, pix in _x_points(ctx, rng):
        # the turn: the target's for side questions; drawn for distance ones (the distance does not depend on it)
        direction = target.split()[-1] if side_kind else pick(rng, ("left", "right"))
        new_yaw = (yaw + _signed_turn(direction, PERSPECTIVE_TURN)) % 360.0
        for i in rng.permutation(len(cands)):
            obj = cands[i]
            if _hdist(obj.center, xz) < MIN_PAIR_SEPARATION:
                continue
            truth = {"camera": [*cam, yaw], "x_point": [float(xz[0]), float(xz[1])], "x_pixel": list(pix),
                     "turn": _signed_turn(direction, PERSPECTIVE_TURN), "yaw_at_x": new_yaw,
                     "center": obj.center.tolist(), "object": obj.object_id}
            if side_kind:
                bx = bearing(obj.center, (float(xz[0]), float(xz[1])), new_yaw)
                if abs(bx) < PERSPECTIVE_SIDE_MIN or abs(bx) > 180 - PERSPECTIVE_SIDE_MIN:
                    continue
                truth.update(kind="side", bearing_from_x=bx)
            else:
                d_now, d_x = _hdist(obj.center, cam), _hdist(obj.center, xz)
                if abs(d_x - d_now) <= PERSPECTIVE_DISTANCE_MARGIN:
                    continue
                truth.update(kind="distance", distance_now=d_now, distance_from_x=d_x,
                             distance="horizontal xz")
            label = _perspective_label(truth)
            if label != target or not ctx.open([obj], label):
                continue
            marked = ctx.dots([(obj, "1")], x_mark=pix)
            if marked is None:  # the X would overlap the dot or hide the object
                continue
            name = ctx.name(obj, mark="1")
            tpl = pick(rng, PERSP_SIDE if truth["kind"] == "side" else PERSP_DIST).replace("{dir}", direction)
            options = ["left", "right"] if truth["kind"] == "side" else ["closer", "further"]
            choices, correct = shuffle_choices(options, options.index(label.split()[0]), rng)
            return QA(tpl.format(obj=name), choices, correct, "perspective", "perspective", ["marked"],
                      {"view": ctx.view.rgb, "marked": marked}, [obj.object_id], truth, label, template=tpl)
    return None

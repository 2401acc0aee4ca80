"""The one visibility rule: when a question may name or mark an object, count an instance, or use a view.

A question is only as good as its picture: the answer is computed from geometry, but a person (or a model) answers
from the image. This module states, once, what the image must show for every family (docs/QA_SPEC.md rules 1, 5 and 6),
with named thresholds. Everything is a share of the image or of the object, so the same views and objects qualify at
224 and at 512 px.

An object a question names or marks must

1. be large enough: 2D box area at least ``min_box_area`` (SAT's pixel thresholds, given at 512 x 512 and scaled by
   area), its own mask filling ``min_fill`` of that box (not a sliver along a long box), its centre within
   ``max_distance``;
2. be in the frame: at least ``min_in_frame`` of its 3D box (by volume) inside the camera's view frustum
   (:data:`MIN_IN_FRAME`; :data:`MIN_IN_FRAME_SIZED` for size and metric questions, whose answer is the whole
   object's extent); the families that mark an object for a hypothetical motion (action_consequence, goal_aiming,
   perspective) also keep its 2D box off the image border;
3. stay visible once marked: all marks drawn on the image together cover at most :data:`MAX_MARK_COVER` of its
   visible pixels (dots are sized from the image and the object, boxes are drawn outside the object's 2D box).

``count`` counts the instances that pass the rule with a margin and rejects a view where some instance of the
category is between a trace and a clear pass (a person could say either). A view is used only if its centre is not
blocked by a near surface, nothing that near fills much of it, no single surface fills most of it and objects fill
some of it: the composition thresholds live where views are chosen (``sat_env.backends.views``, ``sample_views``).

Where a family's 3D rule and the picture can disagree, the family keeps only instances where both agree by a margin
(``PICTURE_*``);
see each family's docstring. ``qa.rulecheck`` measures every rule again from the rendered ids, depth and frames,
by code that shares only these constants, for ``sat audit``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sat_env.scene.camera import NEAR
from sat_env.scene.geometry import rotate_yaw

# --- the rule's thresholds ----------------------------------------------------------------------------------------

REF_SIZE = 512  # SAT's pixel thresholds are given for a 512 x 512 image and scaled by area for other sizes
MIN_BOX_AREA_STATIC = 2500  # SAT: 2D box area (px^2 at 512^2) for objects named in static questions
MIN_BOX_AREA_DYNAMIC = 1600  # SAT: for objects in dynamic questions
MIN_BOX_AREA_AFTER_MOVE = 900  # SAT: a moved object must stay this visible
MIN_PIXELS_FRACTION = 0.35  # of the box area: the object's own mask must fill a good part of its box (not a sliver)
MAX_CANDIDATE_DISTANCE = 5.0  # SAT: objects farther than 5 m are not asked about
MAX_COUNT_DISTANCE = 20.0  # SAT: counting considers objects up to 20 m
EDGE_MARGIN_FRACTION = 10 / 512  # dynamic families: a 2D box this close to the border (of the image size) is cut off

# At least half of an object's 3D box must be inside the frame: "What is the width of the fridge?" with 1 % of the
# fridge in view is a blank strip, not a question.
MIN_IN_FRAME = 0.5
# Size and metric questions ask about the whole object's extent (or its centre): most of it must be seen.
MIN_IN_FRAME_SIZED = 0.85
SIZED_FAMILIES = ("size_compare", "metric_size", "metric_distance")
# All marks together may cover at most this share of a marked object's visible pixels.
MAX_MARK_COVER = 0.3

# count: an instance with fewer visible pixels than this share of the image is not seen at all (a person says it is
# not there); one that passes the rule with COUNT_CLEAR_AREA x the box area and COUNT_CLEAR_IN_FRAME of its box in
# the frame is counted; anything in between makes the view ambiguous and the category is not asked about.
COUNT_TRACE = 0.0003
COUNT_MIN_BOX_AREA = MIN_BOX_AREA_AFTER_MOVE  # px^2 at 512^2: SAT's smallest visibility threshold
COUNT_CLEAR_AREA = 1.5
COUNT_CLEAR_IN_FRAME = 0.65

# The picture must agree with the 3D rule:
# closer_to_camera / front_behind: the median camera distance / planar depth of the two objects' visible pixels
# differ by this much, in the same order as the centres'.
PICTURE_DISTANCE_MARGIN = 0.15
# left_right / above_below: the columns / rows of the visible pixels' centroids differ by this share of the image
# width / height, in the same order as the centres' lateral / vertical coordinates.
PICTURE_COLUMN_MARGIN = 0.04
PICTURE_ROW_MARGIN = 0.04
# object_movement towards / away: the moved object's visible pixels grow (towards) or shrink (away) by this factor.
PICTURE_SIZE_RATIO = 1.1
# object_movement left / right: its visible pixels' centroid moves this share of the image width the same way.
PICTURE_SHIFT_MARGIN = 0.02

# perspective's X: every pixel within the drawn mark, and the floor within X_FLOOR_RADIUS of the standing point, shows
# the floor at the floor's own depth (no furniture, no depth edge).
X_FLOOR_RADIUS = 0.3  # m: the agent's radius (0.2) and a margin
X_FLOOR_TOLERANCE = 0.05  # m: depth agreement with the floor plane

@dataclass(frozen=True)
class Visibility:
    """What "clearly visible" means for an object a family names or marks (see the module docstring).

    Attributes:
        min_box_area: 2D box area in px^2 at 512 x 512 (scaled by area for other sizes).
        min_fill: share of the 2D box the object's own mask must fill.
        max_distance: metres from the camera to the object's centre.
        min_in_frame: share of the object's 3D box (by volume) inside the view frustum.
        off_border: the 2D box must also keep EDGE_MARGIN_FRACTION of the image size from every border.
    """

    min_box_area: float = MIN_BOX_AREA_STATIC
    min_fill: float = MIN_PIXELS_FRACTION
    max_distance: float = MAX_CANDIDATE_DISTANCE
    min_in_frame: float = MIN_IN_FRAME
    off_border: bool = False


NAMED = Visibility()  # static and SpatialVLM families
SIZED = Visibility(min_in_frame=MIN_IN_FRAME_SIZED)  # SIZED_FAMILIES
DYNAMIC = Visibility(min_box_area=MIN_BOX_AREA_DYNAMIC, off_border=True)  # marked dynamic families
MOVABLE = Visibility(min_box_area=MIN_BOX_AREA_DYNAMIC)  # object_movement's candidates (before the move)
AFTER_MOVE = Visibility(min_box_area=MIN_BOX_AREA_AFTER_MOVE)  # the moved object in the after frame
NAV = Visibility(min_box_area=MIN_BOX_AREA_DYNAMIC)  # the navigation families' target
COUNTED = Visibility(min_box_area=COUNT_MIN_BOX_AREA, max_distance=MAX_COUNT_DISTANCE)

# The rule each family's named objects obey (what qa.rulecheck checks them against).
FAMILY_RULES = {
    **{f: NAMED for f in ("closer_to_camera", "front_behind", "left_right", "above_below", "taller_height",
                          "relative_distance", "direction_clock")},
    **{f: SIZED for f in SIZED_FAMILIES},
    **{f: DYNAMIC for f in ("action_consequence", "goal_aiming", "perspective")},
    "object_movement": MOVABLE,
    **{f: NAV for f in ("nav_direction", "nav_stop", "nav_visible")},
    "count": COUNTED,
}


def rule_for(family: str) -> Visibility | None:
    """The rule the objects a family names must pass (None for families that name no object)."""
    return FAMILY_RULES.get(family)


def scaled_area(area_at_512: float, width: int, height: int) -> float:
    """A SAT pixel-area threshold (given at 512 x 512) scaled to an image of width x height."""
    return area_at_512 * (width * height) / (REF_SIZE * REF_SIZE)


# --- the rule's measures (the sampler's side; qa.rulecheck measures them its own way) -----------------------------

def _halton(n: int, base: int) -> np.ndarray:
    """The first n terms of the van der Corput sequence in `base` (radical inverses of 1..n)."""
    out = np.zeros(n)
    for i in range(n):
        f, k, x = 1.0, i + 1, 0.0
        while k:
            f /= base
            x += f * (k % base)
            k //= base
        out[i] = x
    return out


# Points filling the unit box evenly (a Halton set): unlike a grid, none line up with the box's diagonals, so a frustum
# plane through them cuts the set in proportion to the volume (error about 1 % at 256 points; a 5^3 grid is off by up
# to 10 % when a side plane runs along a diagonal of the box).
_UNIT = np.stack([_halton(256, 2), _halton(256, 3), _halton(256, 5)], axis=1) - 0.5


def in_frame_share(camera, center, size, yaw: float) -> float:
    """Share (by volume) of an oriented 3D box inside the camera's view frustum: a fixed, evenly spread point set in
    the box, each point tested against the four side planes and the near plane in camera coordinates."""
    world = rotate_yaw(_UNIT * np.asarray(size, dtype=np.float64), yaw) + np.asarray(center, dtype=np.float64)
    c = camera.to_camera(world)
    z = c[:, 2]
    tx = (camera.width / 2.0) / camera.focal
    ty = (camera.height / 2.0) / camera.focal
    inside = (z > NEAR) & (np.abs(c[:, 0]) <= z * tx) & (np.abs(c[:, 1]) <= z * ty)
    return float(inside.mean())


def passes(rule: Visibility, width: int, height: int, box: tuple[int, int, int, int], pixels: int, distance: float,
           in_frame: float) -> bool:
    """Does an object with this 2D box, pixel count, centre distance and in-frame share pass `rule`?"""
    x0, y0, x1, y1 = box
    area = (x1 - x0 + 1) * (y1 - y0 + 1)
    if area < scaled_area(rule.min_box_area, width, height) or pixels < rule.min_fill * area:
        return False
    if distance > rule.max_distance or in_frame < rule.min_in_frame:
        return False
    if rule.off_border:
        e = EDGE_MARGIN_FRACTION * max(width, height)
        if x0 < e or y0 < e or x1 > width - 1 - e or y1 > height - 1 - e:
            return False
    return True


def mark_ink(shape: tuple[int, int], offset: tuple[int, int], dots: list[tuple[tuple[int, int], float]],
             rings: list[tuple[tuple[int, int, int, int], int]]) -> np.ndarray:
    """The pixels of a crop (`shape`, its top-left pixel at `offset` = (x, y) in the image) that marks may ink, from
    their geometry: dots as (centre, radius), covering the pixels whose centres lie within radius + 0.5 of the centre
    (qa.marks draws whole-pixel radii), and box outlines as (inner box, line width), drawn outside the box."""
    h, w = shape
    ox, oy = offset
    ink = np.zeros((h, w), bool)
    for (cx, cy), r in dots:
        k = int(np.ceil(r + 0.5))
        x0, x1 = max(cx - k - ox, 0), min(cx + k - ox + 1, w)  # the disc's square, in crop coordinates
        y0, y1 = max(cy - k - oy, 0), min(cy + k - oy + 1, h)
        if x0 < x1 and y0 < y1:
            xs = np.arange(x0, x1)[None, :] + ox - cx
            ys = np.arange(y0, y1)[:, None] + oy - cy
            ink[y0:y1, x0:x1] |= xs ** 2 + ys ** 2 <= (r + 0.5) ** 2
    for (bx0, by0, bx1, by1), lw in rings:
        for ya, yb, xa, xb in ((by0 - lw, by0, bx0 - lw, bx1 + lw + 1), (by1 + 1, by1 + lw + 1, bx0 - lw, bx1 + lw + 1),
                               (by0, by1 + 1, bx0 - lw, bx0), (by0, by1 + 1, bx1 + 1, bx1 + lw + 1)):
            ya, yb, xa, xb = max(ya - oy, 0), min(yb - oy, h), max(xa - ox, 0), min(xb - ox, w)
            if ya < yb and xa < xb:
                ink[ya:yb, xa:xb] = True
    return ink


def mark_cover(mask: np.ndarray, offset: tuple[int, int], dots: list[tuple[tuple[int, int], float]],
               rings: list[tuple[tuple[int, int, int, int], int]]) -> float:
    """Share of an object's mask (a crop whose top-left pixel is at `offset`) that the marks may ink (mark_ink)."""
    total = int(mask.sum())
    if total == 0:
        return 1.0
    return float((mark_ink(mask.shape, offset, dots, rings) & mask).sum()) / total

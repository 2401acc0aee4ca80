"""The sampling context a family works in: the backend, the current view, visible candidates, names and marks."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from qa import marks as mk
from qa.visibility import MAX_MARK_COVER, NAMED, Visibility, in_frame_share, mark_cover, passes

# Readable names for object types whose CamelCase split reads badly.
_NAMES = {"TVStand": "TV stand", "CounterTop": "counter", "HousePlant": "house plant", "CellPhone": "cell phone",
          "RemoteControl": "remote control", "ArmChair": "armchair", "SideTable": "side table",
          "DeskLamp": "desk lamp", "FloorLamp": "floor lamp", "GarbageCan": "garbage can",
          "WineBottle": "wine bottle", "SoapBottle": "soap bottle", "SprayBottle": "spray bottle",
          "TissueBox": "tissue box", "ToiletPaper": "toilet paper roll", "AlarmClock": "alarm clock",
          "CoffeeMachine": "coffee machine", "CoffeeTable": "coffee table", "DiningTable": "dining table",
          "LaundryHamper": "laundry hamper", "ShelvingUnit": "shelving unit", "WashingMachine": "washing machine",
          "ClothesDryer": "clothes dryer", "VacuumCleaner": "vacuum cleaner", "TeddyBear": "teddy bear",
          "BasketBall": "basketball", "DogBed": "dog bed", "PepperShaker": "pepper shaker",
          "SaltShaker": "salt shaker", "Television": "television"}


def category_name(object_type: str) -> str:
    """Human name of an object type: "DiningTable" -> "dining table"."""
    if object_type in _NAMES:
        return _NAMES[object_type]
    return re.sub(r"(?<!^)(?=[A-Z])", " ", object_type).lower()


def plural(name: str) -> str:
    if name.endswith(("s", "sh", "ch", "x")):
        return name + "es"
    if name.endswith("y") and name[-2:-1] not in "aeiou":
        return name[:-1] + "ies"
    return name + "s"


@dataclass(frozen=True)
class Candidate:
    """An object seen in a view, with what the image says about it."""

    object_id: str
    object_type: str
    instance: int
    pixels: int
    box: tuple[int, int, int, int]  # inclusive pixel bounds x0, y0, x1, y1
    distance: float  # camera to bbox centre, metres (3D)
    center: np.ndarray  # world bbox centre
    size: np.ndarray  # bbox size in the object's frame (x, y, z)
    movable: bool
    ancestors: tuple[str, ...] = ()  # receptacles it stands on, nearest first
    in_frame: float = 1.0  # share of its 3D box inside the view frustum

    def stacked_with(self, other: "Candidate") -> bool:
        """Does one of the two stand on the other (directly or through something in between)?"""
        return self.object_id in other.ancestors or other.object_id in self.ancestors

    @property
    def box_area(self) -> int:
        x0, y0, x1, y1 = self.box
        return (x1 - x0 + 1) * (y1 - y0 + 1)


class QAContext:
    """What a family sees: a backend (for dynamic families), the current view and helpers.

    Args:
        backend: an EmbeddedBackend (or any Backend) with a house loaded.
        view: the current view; rendered from the backend's pose if omitted.
        balancer: the dataset's :class:`~qa.balance.CategoryBalancer`, if any (see :meth:`open`).
        family: the family being sampled (set by qa.sampler.sample_qa).
    """

    def __init__(self, backend, view=None, balancer=None, family: str | None = None, rng=None):
        self.backend = backend
        self.view = view if view is not None else backend.view()
        self.balancer = balancer
        self.family = family
        self.rng = rng

    def open(self, objs, label: str | None) -> bool:
        """May a question name these objects (candidates or object types, in the order the question names them) with
        this answer label? The dataset's category balancer (qa.balance) draws the answer with the sampler's RNG;
        always True without one. Families ask it while they choose objects, so one turned away tries the next."""
        if self.balancer is None or self.family is None or self.rng is None:
            return True
        cats = tuple(o if isinstance(o, str) else o.object_type for o in objs)
        return self.balancer.allows(self.family, cats, label, self.rng)

    # --- geometry of the current view ---------------------------------------------------------------------------
    @property
    def camera(self):
        return self.view.camera

    @property
    def cam_xz(self) -> tuple[float, float]:
        p = self.view.camera.position
        return (float(p[0]), float(p[2]))

    @property
    def yaw(self) -> float:
        return float(self.view.camera.yaw)

    @property
    def size(self) -> tuple[int, int]:
        return self.view.camera.width, self.view.camera.height

    # --- visibility ---------------------------------------------------------------------------------------------
    @staticmethod
    def memo(view, key, compute):
        """A measure of a view, computed once: a view is a snapshot (its pixels do not change) and the families ask
        about the same views many times (an env keeps a house's views for all its questions)."""
        cache = vars(view).setdefault("_qa_memo", {})
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def in_frame(self, rec, view=None) -> float:
        """Share of an object's 3D box inside the view's frustum."""
        v = view if view is not None else self.view
        return self.memo(v, ("in_frame", rec.object_id),
                          lambda: in_frame_share(v.camera, rec.center, rec.size, rec.yaw))

    def candidates(self, view=None, rule: Visibility = NAMED, movable: bool | None = None) -> list[Candidate]:
        """Objects of a view that pass the visibility `rule` (qa.visibility): large enough, filling their box, near
        enough, enough of their 3D box in the frame (and off the border where the rule says); optionally only
        movable ones. Sorted by object id."""
        v = view if view is not None else self.view
        return list(self.memo(v, ("candidates", rule, movable), lambda: self._candidates(v, rule, movable)))

    def _candidates(self, v, rule: Visibility, movable: bool | None) -> list[Candidate]:
        out = [c for rec in v.records.values()
               if (movable is None or bool(rec.movable) == movable) and (c := self._candidate(v, rec, rule))]
        out.sort(key=lambda c: c.object_id)  # deterministic order, independent of dict order
        return out

    def candidate(self, object_id: str, view=None, rule: Visibility = NAMED) -> Candidate | None:
        """One object of a view as a candidate if it passes `rule`, else None (one object's share of candidates())."""
        v = view if view is not None else self.view
        return self._candidate(v, v.records[object_id], rule)

    def _candidate(self, v, rec, rule: Visibility) -> Candidate | None:
        counts, boxes = v.pixel_counts, v.boxes
        inst = rec.instance
        if inst >= len(counts) or counts[inst] == 0 or inst not in boxes:
            return None
        dist = float(np.linalg.norm(rec.center - np.asarray(v.camera.position)))
        # the pixel tests first: the in-frame share (a 3D measure) only for objects that pass them
        if not passes(rule, v.camera.width, v.camera.height, boxes[inst], int(counts[inst]), dist, 1.0):
            return None
        frac = self.in_frame(rec, v)
        if frac < rule.min_in_frame:
            return None
        anc, p = [], rec.parent
        while p is not None:
            anc.append(p)
            p = v.records[p].parent
        return Candidate(rec.object_id, rec.object_type, inst, int(counts[inst]), boxes[inst], dist,
                         rec.center.copy(), rec.size.copy(), bool(rec.movable), tuple(anc), frac)

    def crop_mask(self, cand: Candidate, view=None) -> np.ndarray:
        """The object's mask within its 2D box (`cand` must come from `view`)."""
        v = view if view is not None else self.view
        x0, y0, x1, y1 = cand.box
        return v.ids[y0:y1 + 1, x0:x1 + 1] == cand.instance

    def visible_distance(self, cand: Candidate, view=None, planar: bool = False) -> float:
        """Median camera distance (m) of the object's visible pixels: how near it looks (with `planar`, the median
        planar depth: distance along the viewing axis)."""
        v = view if view is not None else self.view
        return self.memo(v, ("distance", cand.object_id, planar), lambda: self._visible_distance(cand, v, planar))

    def _visible_distance(self, cand: Candidate, v, planar: bool) -> float:
        x0, y0, x1, y1 = cand.box
        m = self.crop_mask(cand, v)
        if planar:
            return float(np.median(v.depth[y0:y1 + 1, x0:x1 + 1][m]))
        cam = v.camera
        cols = (np.arange(x0, x1 + 1) + 0.5 - cam.width / 2.0) / cam.focal
        rows = (cam.height / 2.0 - (np.arange(y0, y1 + 1) + 0.5)) / cam.focal
        stretch = np.sqrt(1.0 + cols[None, :] ** 2 + rows[:, None] ** 2)  # planar depth -> distance along the ray
        return float(np.median((v.depth[y0:y1 + 1, x0:x1 + 1] * stretch)[m]))

    def centroid(self, cand: Candidate, view=None) -> tuple[float, float]:
        """(column, row) of the centroid of the object's visible pixels."""
        v = view if view is not None else self.view

        def compute():
            ys, xs = np.nonzero(self.crop_mask(cand, v))
            return float(xs.mean() + cand.box[0]), float(ys.mean() + cand.box[1])

        return self.memo(v, ("centroid", cand.object_id), compute)

    def visible_type_counts(self, view=None, min_pixels: int = 1) -> Counter:
        """How many objects of each type show at least min_pixels in a view (for unambiguous naming)."""
        v = view if view is not None else self.view
        counts = v.pixel_counts
        return Counter(r.object_type for r in v.records.values()
                       if r.instance < len(counts) and counts[r.instance] >= min_pixels)

    # --- names ------------------------------------------------------------------------------------------------
    def name(self, cand: Candidate, mark: str | None = None, view=None) -> str | None:
        """"the {category}" when it is the only one of its type in the view; with a mark label, "the {category}
        (marked {mark})"; None when the plain name would be ambiguous and there is no mark."""
        cat = category_name(cand.object_type)
        if mark is not None:
            return f"the {cat} (marked {mark})"
        if self.visible_type_counts(view)[cand.object_type] == 1:
            return f"the {cat}"
        return None

    # --- marks ------------------------------------------------------------------------------------------------
    def anchor(self, cand: Candidate, view=None) -> tuple[int, int]:
        """The pixel a dot marks the object at (see marks.anchor_point), searched within its 2D box only: `cand`
        must come from `view` (candidates(view)), whose box it carries."""
        v = view if view is not None else self.view
        return self.memo(v, ("anchor", cand.object_id),
                          lambda: mk.anchor_point(self.crop_mask(cand, v), (cand.box[0], cand.box[1])))

    def dot_specs(self, items: list[tuple[Candidate, str]], view=None) -> list[tuple[tuple[int, int], str, float]]:
        """(anchor, label, radius) of a dot on each object, sized from the image and the object."""
        v = view if view is not None else self.view
        w, h = v.camera.width, v.camera.height
        return [(self.anchor(c, v), label, mk.dot_radius(w, h, c.pixels)) for c, label in items]

    def marks_leave_visible(self, objs: list[Candidate], dots=(), boxes=(), x_mark=None, view=None) -> bool:
        """Do the marks (dot specs, boxed candidates, an X pixel) leave every object in `objs` at least
        1 - MAX_MARK_COVER of its visible pixels (the visibility rule's third part), without overlapping each other?"""
        v = view if view is not None else self.view
        w, h = v.camera.width, v.camera.height
        discs = [(p, r) for p, _, r in dots]
        if x_mark is not None:
            discs.append((x_mark, mk.x_radius(w, h)))
        for i, (pi, ri) in enumerate(discs):  # marks must not hide each other either (each inks within r + 0.5)
            if any(np.hypot(pi[0] - pj[0], pi[1] - pj[1]) < ri + rj + 1 for pj, rj in discs[i + 1:]):
                return False
        lw = mk.box_line_width(w, h)
        rings = [(c.box, lw) for c in boxes]
        return all(mark_cover(self.crop_mask(c, v), (c.box[0], c.box[1]), discs, rings) <= MAX_MARK_COVER
                   for c in objs)

    def markable(self, cand: Candidate, view=None) -> bool:
        """Can one dot mark the object without hiding it (the visibility rule's third part)?"""
        v = view if view is not None else self.view
        return self.memo(v, ("markable", cand.object_id),
                          lambda: self.marks_leave_visible([cand], dots=self.dot_specs([(cand, "1")], v), view=v))

    def dots(self, items: list[tuple[Candidate, str]], view=None, x_mark=None) -> np.ndarray | None:
        """The view's RGB with labelled dots on the given objects (and the perspective X at pixel `x_mark`), or None
        when the marks would hide too much of an object (the caller then tries other objects)."""
        v = view if view is not None else self.view
        specs = self.dot_specs(items, v)
        if not self.marks_leave_visible([c for c, _ in items], dots=specs, x_mark=x_mark, view=v):
            return None
        img = mk.draw_dots(v.rgb, specs)
        return mk.draw_x(img, x_mark) if x_mark is not None else img

    def boxes(self, items: list[tuple[Candidate, str]], view=None) -> np.ndarray | None:
        """The view's RGB with coloured boxes (colour names) just outside the given objects' 2D boxes, or None when
        one box's outline would hide too much of another marked object."""
        v = view if view is not None else self.view
        objs = [c for c, _ in items]
        if not self.marks_leave_visible(objs, boxes=objs, view=v):
            return None
        return mk.draw_boxes(v.rgb, [(c.box, color) for c, color in items])

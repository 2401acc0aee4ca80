"""The sampling context a family works in: the backend, the current view, visible candidates, names and marks."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from qa import marks as mk
from qa.core import (
    EDGE_MARGIN_FRACTION,
    MAX_CANDIDATE_DISTANCE,
    MIN_BOX_AREA_STATIC,
    MIN_PIXELS_FRACTION,
    scaled_area,
)

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
    """

    def __init__(self, backend, view=None):
        self.backend = backend
        self.view = view if view is not None else backend.view()

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

    # --- visibility -------------------------------------------------------------------------------------------
    def candidates(self, view=None, min_area: float = MIN_BOX_AREA_STATIC,
                   max_distance: float = MAX_CANDIDATE_DISTANCE, movable: bool | None = None,
                   avoid_edges: bool = False) -> list[Candidate]:
        """Objects clearly visible in a view: 2D box area >= min_area (given at 512^2, scaled), mask filling at
        least MIN_PIXELS_FRACTION of the box, centre within max_distance; optionally only movable ones, and only
        ones whose box stays off the image border."""
        v = view if view is not None else self.view
        w, h = v.camera.width, v.camera.height
        area = scaled_area(min_area, w, h)
        edge = EDGE_MARGIN_FRACTION * max(w, h)
        counts, boxes = v.pixel_counts, v.boxes
        cam = np.asarray(v.camera.position)
        out = []
        for rec in v.records.values():
            inst = rec.instance
            if inst >= len(counts) or counts[inst] == 0 or inst not in boxes:
                continue
            box = boxes[inst]
            anc, p = [], rec.parent
            while p is not None:
                anc.append(p)
                p = v.records[p].parent
            c = Candidate(rec.object_id, rec.object_type, inst, int(counts[inst]), box,
                          float(np.linalg.norm(rec.center - cam)), rec.center.copy(), rec.size.copy(),
                          bool(rec.movable), tuple(anc))
            if c.box_area < area or c.pixels < MIN_PIXELS_FRACTION * c.box_area or c.distance > max_distance:
                continue
            if movable is not None and c.movable != movable:
                continue
            if avoid_edges and (box[0] < edge or box[1] < edge or box[2] > w - 1 - edge or box[3] > h - 1 - edge):
                continue
            out.append(c)
        out.sort(key=lambda c: c.object_id)  # deterministic order, independent of dict order
        return out

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
    def mask(self, cand: Candidate, view=None) -> np.ndarray:
        v = view if view is not None else self.view
        return v.ids == cand.instance

    def anchor(self, cand: Candidate, view=None) -> tuple[int, int]:
        """The pixel a dot marks the object at (see marks.anchor_point), searched within its 2D box only: `cand`
        must come from `view` (candidates(view)), whose box it carries."""
        v = view if view is not None else self.view
        x0, y0, x1, y1 = cand.box
        return mk.anchor_point(v.ids[y0:y1 + 1, x0:x1 + 1] == cand.instance, (x0, y0))

    def dots(self, items: list[tuple[Candidate, str]], view=None) -> np.ndarray:
        """The view's RGB with labelled dots on the given objects."""
        v = view if view is not None else self.view
        return mk.draw_dots(v.rgb, [(self.anchor(c, v), label) for c, label in items])

    def boxes(self, items: list[tuple[Candidate, str]], view=None) -> np.ndarray:
        """The view's RGB with coloured boxes (colour names) around the given objects."""
        v = view if view is not None else self.view
        return mk.draw_boxes(v.rgb, [(c.box, color) for c, color in items])

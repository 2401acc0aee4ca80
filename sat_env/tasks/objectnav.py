"""ObjectNav's rules: actions and their magnitudes, the target categories, and when a target counts as visible and
as reached. The env (sat_env/envs/objectnav.py) runs episodes by them; the navigation question families (qa/nav.py)
label their answers by them; the model policy (agents/model_policy.py) asks about them. Depends on the scene layer
only."""

from __future__ import annotations

import math

from sat_env.scene.navgrid import REACH_DISTANCE

ACTIONS: tuple[str, ...] = ("MoveAhead", "RotateLeft", "RotateRight", "LookUp", "LookDown", "Done")
"""Action names by index."""

MOVE_MAGNITUDE = 0.25  # metres per MoveAhead
ROTATE_DEGREES = 30.0  # degrees per RotateLeft / RotateRight
LOOK_DEGREES = 30.0  # degrees per LookUp / LookDown
START_HORIZON = 30.0  # episodes start looking 30 degrees down (RoboTHOR / ProcTHOR convention)

TARGET_TYPES: tuple[str, ...] = (
    "Bed", "Sofa", "ArmChair", "Chair", "Stool", "DiningTable", "CoffeeTable", "SideTable", "Desk", "Dresser",
    "ShelvingUnit", "TVStand", "Television", "Fridge", "CounterTop", "Toilet", "Sink", "GarbageCan", "Safe",
    "FloorLamp", "HousePlant", "LaundryHamper", "DogBed",
)
"""Navigable target categories (the ``target_index`` observation indexes this tuple). Large floor furniture and
fixtures of the generated apartments plus two ProcTHOR ObjectNav classics that stand on furniture (Television on a
TV stand, HousePlant on shelves and tables). Fixed: appending types changes ``target_index`` only for new types."""

SUCCESS_DISTANCE = REACH_DISTANCE  # 1.0 m from the agent's vertical axis to the object's footprint
GOAL_CORE_DISTANCE = 0.85  # a target type is only chosen if some goal point is this close to one of its objects
VISIBLE_FRACTION = 0.005  # a target is "visible" with >= 0.5 % of the image's pixels ...
MIN_VISIBLE_PIXELS = 4  # ... and never fewer than 4 pixels
REACH_TOLERANCE = 1e-9  # m: a footprint exactly SUCCESS_DISTANCE away counts as reached despite rounding


def visible_pixel_threshold(width: int, height: int) -> int:
    """Pixels a target needs in a width x height frame to count as visible: max(MIN_VISIBLE_PIXELS, 0.5 %)."""
    return max(MIN_VISIBLE_PIXELS, int(math.ceil(VISIBLE_FRACTION * width * height)))

"""Mapping tables between SAT-Env's catalog and AI2-THOR / ProcTHOR: object types, materials, wall-hole assets.

Data only (plus two tiny lookups); the conversions that use it are in :mod:`sat_env.backends.thor_convert`.

Object types. Every one of our 65 catalog types is an AI2-THOR object type of the same name, and every catalog
variant is a real ProcTHOR assetId (the catalog was built from ProcTHOR's asset database), so a SAT-Env house loads
in THOR with real THOR assets of the same type and the same bounding-box size: ``SAT_TO_THOR`` is the identity, kept
as a table so that a future catalog type without a THOR equivalent must be given one here (a test enforces it).

The other direction needs choices: 44 of ProcTHOR's 109 types are not in our catalog. ``THOR_TO_SAT`` maps each to
the catalog type with the most similar shape and size (objects of that type are converted to the closest-size
variant), or to ``None`` (dropped) where nothing is similar: structure that is not an object in our houses, wall
and sink fixtures, and thin utensils and tools that our primitive shapes cannot draw recognisably. The reason is
kept beside each entry.
"""

from __future__ import annotations

# ProcTHOR's 109 object types (procthor/databases/asset-database.json; reference AI2THOR_AND_OBJECTNAV.md, 2.3).
THOR_OBJECT_TYPES: frozenset[str] = frozenset("""
AlarmClock AluminumFoil Apple ArmChair BaseballBat BasketBall Bed Blinds Book Boots Bottle Bowl Box Bread ButterKnife
CD Candle Cart CellPhone Chair Cloth ClothesDryer CoffeeMachine CoffeeTable CounterTop CreditCard Cup Desk DeskLamp
Desktop DiningTable DishSponge DogBed Doorframe Doorway Dresser Dumbbell Egg Faucet FloorLamp Footstool Fork Fridge
GarbageBag GarbageCan HandTowel HandTowelHolder HousePlant Kettle KeyChain Knife Ladle Laptop LaundryHamper Lettuce
LightSwitch Microwave Mug Newspaper Ottoman Painting Pan PaperTowelRoll Pen Pencil PepperShaker Pillow Plate Plunger
Pot Potato RemoteControl RoomDecor Safe SaltShaker ScrubBrush ShelvingUnit ShowerCurtain ShowerHead SideTable Sink
SoapBar SoapBottle Sofa Spatula Spoon SprayBottle Statue Stool TVStand TableTopDecor TeddyBear Television
TennisRacket TissueBox Toaster Toilet ToiletPaper ToiletPaperHanger Tomato Towel TowelHolder VacuumCleaner Vase
WashingMachine Watch WateringCan Window WineBottle
""".split())

# Our catalog type -> AI2-THOR objectType (identity today; see the module docstring).
SAT_TO_THOR: dict[str, str] = {t: t for t in """
AlarmClock Apple ArmChair BasketBall Bed Book Bottle Bowl Box Bread Candle CellPhone Chair ClothesDryer CoffeeMachine
CoffeeTable CounterTop Cup Desk DeskLamp DiningTable DogBed Dresser Egg FloorLamp Fridge GarbageCan HousePlant Kettle
Laptop LaundryHamper Lettuce Microwave Mug Ottoman Painting Pan PepperShaker Pillow Plate Pot Potato RemoteControl
Safe SaltShaker ShelvingUnit SideTable Sink SoapBottle Sofa SprayBottle Statue Stool TVStand TeddyBear Television
TissueBox Toaster Toilet ToiletPaper Tomato VacuumCleaner Vase WashingMachine WineBottle
""".split()}

_STRUCTURE = "structure: a door, window or frame in our houses, not an object"
_FIXTURE = "fixture fixed to a wall, sink or bathtub; not a free-standing object in our houses"
_THIN = "thin utensil or tool (< 5 cm across); no catalog type of similar shape"
_SMALL = "small object with no catalog type of similar shape and size"

# AI2-THOR objectType not in our catalog -> (catalog type or None to drop it, why).
THOR_TO_SAT: dict[str, tuple[str | None, str]] = {
    "Footstool": ("Ottoman", "low upholstered seat, 0.4-0.5 m high like our ottomans"),
    "Cart": ("ShelvingUnit", "wheeled open shelves about 0.5 x 0.9 x 0.4 m, like the smallest shelving unit"),
    "Desktop": ("Laptop", "a computer standing on a desk; a laptop is the closest size (0.35-0.5 m wide)"),
    "GarbageBag": ("GarbageCan", "floor-standing refuse container of similar volume"),
    "Newspaper": ("Book", "flat rectangular paper object, 0.2-0.3 m"),
    "CD": ("Book", "flat square case; the smallest book variant is 0.15 m"),
    "CreditCard": ("CellPhone", "flat palm-sized rectangle"),
    "Watch": ("AlarmClock", "a small clock; the smallest alarm clock is 0.1 m"),
    "WateringCan": ("Kettle", "handled vessel with a spout, about 0.2 m"),
    "PaperTowelRoll": ("ToiletPaper", "paper roll of similar diameter"),
    "TableTopDecor": ("Statue", "tabletop decorative figure, 0.15-0.4 m like our statues"),
    "RoomDecor": (None, "floor-standing decor of varied shapes (umbrella stands, floor vases); no similar type"),
    "Doorframe": (None, _STRUCTURE),
    "Doorway": (None, _STRUCTURE),
    "Window": (None, _STRUCTURE),
    "Blinds": (None, _STRUCTURE),
    "Faucet": (None, _FIXTURE),
    "LightSwitch": (None, _FIXTURE),
    "ShowerHead": (None, _FIXTURE),
    "ShowerCurtain": (None, _FIXTURE),
    "HandTowelHolder": (None, _FIXTURE),
    "TowelHolder": (None, _FIXTURE),
    "ToiletPaperHanger": (None, _FIXTURE),
    "HandTowel": (None, "textile hanging on a holder fixture"),
    "Towel": (None, "textile hanging on a holder fixture"),
    "Cloth": (None, "flat textile a few millimetres thick"),
    "ButterKnife": (None, _THIN),
    "Fork": (None, _THIN),
    "Knife": (None, _THIN),
    "Ladle": (None, _THIN),
    "Spatula": (None, _THIN),
    "Spoon": (None, _THIN),
    "Pen": (None, _THIN),
    "Pencil": (None, _THIN),
    "BaseballBat": (None, _THIN),
    "TennisRacket": (None, "flat racket; no catalog type of similar shape"),
    "Plunger": (None, _THIN),
    "ScrubBrush": (None, _SMALL),
    "AluminumFoil": (None, _SMALL),
    "DishSponge": (None, _SMALL),
    "KeyChain": (None, _SMALL),
    "SoapBar": (None, _SMALL),
    "Dumbbell": (None, _SMALL),
    "Boots": (None, _SMALL),
}

# Material names our generator writes -> AI2-THOR material names (procthor/databases/material-database.json). The
# house keeps its colours: THOR tints the material with ``material.color``.
SAT_TO_THOR_MATERIAL: dict[str, str] = {
    "paint": "PureWhite",
    "plaster": "WallDrywallWhite",
    "wood": "WoodFloorsCross",
    "tile": "CeramicTiles3",
    "marble": "WhiteMarble",
    "carpet": "Carpet2",
    "rug": "Rug3",
    "fabric": "Cloth",
    "metal": "Metal",
}

# Wall-hole assets (procthor/databases/wall-holes.json): the default used when a door or window names none we know.
DEFAULT_DOOR_ASSET = "Doorway_1"
DEFAULT_WINDOW_ASSET = "Window_Fixed_60x48"
WALL_HOLE_PREFIXES = ("Doorway_", "Doorframe_", "Door_", "Window_")


def thor_type(sat_type: str) -> str:
    """AI2-THOR objectType of a catalog type (KeyError if the table lacks it)."""
    return SAT_TO_THOR[sat_type]


def sat_type(thor_object_type: str, catalog_types) -> str | None:
    """Catalog type for an AI2-THOR objectType: itself when the catalog has it, else the table's choice (None: drop)."""
    if thor_object_type in catalog_types:
        return thor_object_type
    return THOR_TO_SAT.get(thor_object_type, (None, ""))[0]


__all__ = ["DEFAULT_DOOR_ASSET", "DEFAULT_WINDOW_ASSET", "SAT_TO_THOR", "SAT_TO_THOR_MATERIAL", "THOR_OBJECT_TYPES",
           "THOR_TO_SAT", "WALL_HOLE_PREFIXES", "sat_type", "thor_type"]

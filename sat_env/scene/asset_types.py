"""The catalog's record types: a template's parts and support surfaces, an asset, a type's placement rules. A leaf
module, so the catalog and the foreign-asset fallback (sat_env.scene.thor_assets) both build on it without
importing each other's modules in a circle."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    """One primitive of a template, in normalized asset coordinates (see :mod:`sat_env.scene.shapes`)."""

    kind: str  # "box" | "cylinder" | "cone" | "frustum" | "sphere"
    lo: tuple
    hi: tuple
    slot: str
    axis: str = "y"
    taper: float = 1.0


@dataclass(frozen=True)
class Surface:
    """A support rectangle on the top face of a part, normalized; clearance = free height above / asset height
    (``math.inf`` when nothing is above)."""

    x0: float
    z0: float
    x1: float
    z1: float
    y: float
    clearance: float


@dataclass(frozen=True)
class Asset:
    asset_id: str
    object_type: str
    size: tuple  # (x, y, z) metres: full bounding box, x = width, y = height, z = depth (front at +z)


@dataclass(frozen=True)
class TypeInfo:
    object_type: str
    parts: tuple
    palettes: tuple  # of dict slot -> ((r, g, b), material name)
    surfaces: tuple
    rooms: dict  # roomType -> weight (Kitchen, LivingRoom, Bedroom, Bathroom), 0 = never
    on_floor: bool
    on_wall: bool
    in_corner: bool
    on_edge: bool
    in_middle: bool
    multiple_per_room: bool
    movable: bool
    pickupable: bool
    receptacle: bool
    size_min: tuple
    size_max: tuple

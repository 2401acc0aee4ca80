"""Hand-written shape templates of the asset catalog (pure data).

Every object type is a composition of primitives in *normalized asset coordinates*: x and z in [-0.5, 0.5] of the
asset's width (x) and depth (z), y in [0, 1] of its height. The asset's FRONT faces local +z (a chair's sitter, a
TV screen, a fridge door, a dresser's drawers). :mod:`sat_env.scene.catalog` scales a template by the real bounding
box of an asset (from ProcTHOR's asset database), so one template serves every variant of its type.

A part is a tuple ``(kind, lo, hi, slot, axis, taper)``:

* kind: "box" | "cylinder" | "cone" | "frustum" | "sphere" (sphere = ellipsoid inscribed in the lo..hi box);
* lo, hi: opposite corners of the part's size box (normalized);
* slot: colour-slot name, looked up in the type's palettes;
* axis: long axis of cylinders/cones ("y", or "x"/"z" for horizontal ones; the tapered end is at the + side);
* taper: top radius / bottom radius, in [0, 1] (1 cylinder, 0 cone). Only values <= 1 are used, so a part never
  leaves its size box.

A palette maps every slot of its type to ``(sRGB triple in [0, 1], material name of geometry.MATERIALS)``.

A support surface (receptacles only) is ``(x0, z0, x1, z1, y, clearance)``: a normalized rectangle at height y that
lies on the top face of one part, and the free height above it (normalized by the asset height; ``OPEN`` = nothing
above). Geometric rules (checked by tests/scene/test_catalog.py for every type): parts inside the box, one part
touches y = 0, the parts reach every face of the box, and no two parts have coplanar, overlapping faces that face
the same way (z-fighting).
"""

from __future__ import annotations

import math

OPEN = math.inf  # clearance of a surface with nothing above it


# ----------------------------------------------------------------------------------------------------------------
# Part constructors
# ----------------------------------------------------------------------------------------------------------------
def box(lo, hi, slot):
    return ("box", tuple(lo), tuple(hi), slot, "y", 1.0)


def cyl(lo, hi, slot, axis="y", taper=1.0):
    return ("cylinder", tuple(lo), tuple(hi), slot, axis, float(taper))


def frustum(lo, hi, slot, taper, axis="y"):
    return ("frustum", tuple(lo), tuple(hi), slot, axis, float(taper))


def cone(lo, hi, slot, axis="y"):
    return ("cone", tuple(lo), tuple(hi), slot, axis, 0.0)


def sphere(lo, hi, slot):
    return ("sphere", tuple(lo), tuple(hi), slot, "y", 1.0)


def legs(x0, x1, z0, z1, tx, tz, y0, y1, slot, kind="box"):
    """Four legs of footprint tx * tz at the inner corners of the rectangle [x0, x1] x [z0, z1]."""
    out = []
    for xa, xb in ((x0, x0 + tx), (x1 - tx, x1)):
        for za, zb in ((z0, z0 + tz), (z1 - tz, z1)):
            if kind == "box":
                out.append(box((xa, y0, za), (xb, y1, zb), slot))
            else:
                out.append(cyl((xa, y0, za), (xb, y1, zb), slot))
    return out


def surf(x0, z0, x1, z1, y, clearance=OPEN):
    return (x0, z0, x1, z1, y, clearance)


# ----------------------------------------------------------------------------------------------------------------
# Colours (sRGB, material)
# ----------------------------------------------------------------------------------------------------------------
OAK = ((0.74, 0.58, 0.40), "wood")
PINE = ((0.82, 0.69, 0.50), "wood")
WALNUT = ((0.45, 0.30, 0.19), "wood")
EBONY = ((0.22, 0.15, 0.10), "wood")
WHITE = ((0.92, 0.91, 0.88), "paint")
CREAM = ((0.90, 0.86, 0.76), "paint")
BLACK = ((0.12, 0.12, 0.13), "paint")
GREY = ((0.50, 0.51, 0.53), "paint")
NAVY = ((0.16, 0.22, 0.38), "paint")
SAGE = ((0.56, 0.64, 0.52), "paint")
RED = ((0.72, 0.16, 0.14), "paint")
YELLOW = ((0.92, 0.76, 0.22), "paint")
TEAL = ((0.18, 0.52, 0.55), "paint")
PINK = ((0.88, 0.60, 0.66), "paint")
STEEL = ((0.74, 0.75, 0.77), "metal")
CHROME = ((0.85, 0.86, 0.88), "metal")
IRON = ((0.22, 0.22, 0.24), "metal")
BRASS = ((0.78, 0.62, 0.30), "metal")
COPPER = ((0.72, 0.42, 0.26), "metal")
PORCELAIN = ((0.95, 0.95, 0.93), "glossy")
GLOSS_BLACK = ((0.06, 0.06, 0.07), "glossy")
SCREEN = ((0.04, 0.05, 0.07), "glossy")
SCREEN_ON = ((0.30, 0.45, 0.65), "emissive")
GLASS_GREEN = ((0.16, 0.34, 0.20), "glossy")
GLASS_BROWN = ((0.36, 0.20, 0.08), "glossy")
GLASS_CLEAR = ((0.78, 0.86, 0.88), "glossy")
GLAZE_BLUE = ((0.22, 0.36, 0.62), "glossy")
GLAZE_RED = ((0.66, 0.18, 0.16), "glossy")
GLAZE_GREEN = ((0.36, 0.55, 0.40), "glossy")
GLAZE_YELLOW = ((0.90, 0.78, 0.36), "glossy")
F_GREY = ((0.52, 0.53, 0.55), "fabric")
F_CHARCOAL = ((0.26, 0.27, 0.29), "fabric")
F_BEIGE = ((0.80, 0.73, 0.60), "fabric")
F_BLUE = ((0.24, 0.35, 0.56), "fabric")
F_GREEN = ((0.33, 0.46, 0.34), "fabric")
F_RUST = ((0.64, 0.32, 0.20), "fabric")
F_WHITE = ((0.93, 0.93, 0.91), "fabric")
F_CREAM = ((0.90, 0.86, 0.76), "fabric")
F_MUSTARD = ((0.80, 0.62, 0.22), "fabric")
F_PINK = ((0.85, 0.62, 0.66), "fabric")
F_BROWN = ((0.52, 0.36, 0.22), "fabric")
LEAF = ((0.24, 0.48, 0.22), "fabric")
LEAF_DARK = ((0.14, 0.34, 0.16), "fabric")
LEAF_LIGHT = ((0.46, 0.62, 0.26), "fabric")
TERRACOTTA = ((0.74, 0.40, 0.26), "paint")
CARDBOARD = ((0.70, 0.55, 0.36), "paint")
TAPE = ((0.80, 0.70, 0.50), "glossy")
PAPER = ((0.95, 0.94, 0.90), "paint")
LAMP_GLOW = ((1.00, 0.93, 0.78), "emissive")
FLAME = ((1.00, 0.78, 0.35), "emissive")
MARBLE = ((0.88, 0.87, 0.84), "glossy")
GRANITE = ((0.30, 0.30, 0.31), "glossy")
BUTCHER = ((0.70, 0.52, 0.32), "wood")


def P(**slots):
    """One palette: slot -> (rgb, material)."""
    return dict(slots)


# ----------------------------------------------------------------------------------------------------------------
# Templates
# ----------------------------------------------------------------------------------------------------------------
TEMPLATES: dict[str, dict] = {}


def T(name, parts, palettes, surfaces=()):
    TEMPLATES[name] = {"parts": list(parts), "palettes": list(palettes), "surfaces": list(surfaces)}


# ---------------------------------------------------------------- seating
T(
    "Chair",
    legs(-0.5, 0.5, -0.5, 0.5, 0.1, 0.09, 0.0, 0.45, "legs")
    + [
        box((-0.5, 0.45, -0.5), (0.5, 0.52, 0.5), "seat"),
        box((-0.5, 0.52, -0.5), (-0.4, 0.88, -0.4), "legs"),  # back posts
        box((0.4, 0.52, -0.5), (0.5, 0.88, -0.4), "legs"),
        box((-0.5, 0.88, -0.5), (0.5, 1.0, -0.4), "back"),  # top rail
        box((-0.4, 0.62, -0.47), (0.4, 0.7, -0.43), "back"),  # mid slat
    ],
    [
        P(legs=OAK, seat=OAK, back=OAK),
        P(legs=WALNUT, seat=F_GREY, back=WALNUT),
        P(legs=BLACK, seat=WHITE, back=BLACK),
        P(legs=IRON, seat=F_BLUE, back=F_BLUE),
        P(legs=WHITE, seat=PINE, back=WHITE),
    ],
    [surf(-0.4, -0.4, 0.4, 0.5, 0.52)],
)

T(
    "ArmChair",
    legs(-0.5, 0.5, -0.5, 0.5, 0.08, 0.08, 0.0, 0.1, "feet")
    + [
        box((-0.5, 0.1, -0.5), (0.5, 0.35, 0.5), "body"),
        box((-0.5, 0.35, -0.5), (-0.35, 0.65, 0.5), "body"),  # arms
        box((0.35, 0.35, -0.5), (0.5, 0.65, 0.5), "body"),
        box((-0.35, 0.35, -0.5), (0.35, 1.0, -0.25), "body"),  # back
        box((-0.35, 0.35, -0.25), (0.35, 0.47, 0.5), "cushion"),
    ],
    [
        P(feet=WALNUT, body=F_GREY, cushion=F_GREY),
        P(feet=EBONY, body=F_BLUE, cushion=F_BEIGE),
        P(feet=OAK, body=F_RUST, cushion=F_RUST),
        P(feet=BLACK, body=F_GREEN, cushion=F_CREAM),
        P(feet=OAK, body=F_MUSTARD, cushion=F_MUSTARD),
    ],
    [surf(-0.35, -0.25, 0.35, 0.5, 0.47)],
)

T(
    "Sofa",
    legs(-0.5, 0.5, -0.5, 0.5, 0.05, 0.08, 0.0, 0.08, "feet")
    + [
        box((-0.5, 0.08, -0.5), (0.5, 0.38, 0.5), "body"),
        box((-0.5, 0.38, -0.5), (-0.42, 0.66, 0.5), "body"),  # arms
        box((0.42, 0.38, -0.5), (0.5, 0.66, 0.5), "body"),
        box((-0.42, 0.38, -0.5), (0.42, 1.0, -0.22), "body"),  # back
        box((-0.42, 0.38, -0.22), (-0.14, 0.5, 0.5), "cushion"),
        box((-0.14, 0.38, -0.22), (0.14, 0.5, 0.5), "cushion"),
        box((0.14, 0.38, -0.22), (0.42, 0.5, 0.5), "cushion"),
    ],
    [
        P(feet=WALNUT, body=F_GREY, cushion=F_GREY),
        P(feet=EBONY, body=F_BLUE, cushion=F_BLUE),
        P(feet=OAK, body=F_BEIGE, cushion=F_CREAM),
        P(feet=BLACK, body=F_CHARCOAL, cushion=F_CHARCOAL),
        P(feet=OAK, body=F_GREEN, cushion=F_GREEN),
        P(feet=WALNUT, body=F_RUST, cushion=F_RUST),
    ],
    [
        surf(-0.42, -0.22, -0.14, 0.5, 0.5),
        surf(-0.14, -0.22, 0.14, 0.5, 0.5),
        surf(0.14, -0.22, 0.42, 0.5, 0.5),
    ],
)

T(
    "Ottoman",
    legs(-0.5, 0.5, -0.5, 0.5, 0.08, 0.08, 0.0, 0.12, "feet")
    + [
        box((-0.5, 0.12, -0.5), (0.5, 0.86, 0.5), "body"),
        box((-0.47, 0.86, -0.47), (0.47, 1.0, 0.47), "cushion"),
    ],
    [
        P(feet=WALNUT, body=F_GREY, cushion=F_GREY),
        P(feet=EBONY, body=F_BROWN, cushion=F_BEIGE),
        P(feet=OAK, body=F_BLUE, cushion=F_BLUE),
        P(feet=BLACK, body=F_MUSTARD, cushion=F_MUSTARD),
    ],
    [surf(-0.47, -0.47, 0.47, 0.47, 1.0)],
)

T(
    "Stool",
    legs(-0.4, 0.4, -0.4, 0.4, 0.1, 0.1, 0.0, 0.92, "legs")
    + [
        box((-0.3, 0.3, 0.3), (0.3, 0.34, 0.4), "legs"),  # rungs
        box((-0.3, 0.3, -0.4), (0.3, 0.34, -0.3), "legs"),
        cyl((-0.5, 0.92, -0.5), (0.5, 1.0, 0.5), "seat"),
    ],
    [
        P(legs=IRON, seat=WALNUT),
        P(legs=OAK, seat=OAK),
        P(legs=CHROME, seat=BLACK),
        P(legs=WHITE, seat=F_GREY),
    ],
    [surf(-0.35, -0.35, 0.35, 0.35, 1.0)],
)

# ---------------------------------------------------------------- beds
T(
    "Bed",
    [
        box((-0.5, 0.0, -0.5), (0.5, 1.0, -0.44), "frame"),  # headboard
        box((-0.5, 0.0, -0.44), (0.5, 0.3, 0.47), "frame"),
        box((-0.5, 0.0, 0.47), (0.5, 0.42, 0.5), "frame"),  # footboard
        box((-0.48, 0.3, -0.44), (0.48, 0.5, 0.47), "mattress"),
        box((-0.49, 0.45, -0.1), (0.49, 0.53, 0.475), "blanket"),
    ],
    [
        P(frame=OAK, mattress=F_WHITE, blanket=F_BLUE),
        P(frame=WALNUT, mattress=F_WHITE, blanket=F_BEIGE),
        P(frame=WHITE, mattress=F_CREAM, blanket=F_GREY),
        P(frame=EBONY, mattress=F_WHITE, blanket=F_RUST),
        P(frame=GREY, mattress=F_WHITE, blanket=F_GREEN),
        P(frame=PINE, mattress=F_WHITE, blanket=F_PINK),
    ],
    [surf(-0.48, -0.44, 0.48, -0.1, 0.5), surf(-0.49, -0.1, 0.49, 0.475, 0.53)],
)

T(
    "DogBed",
    [
        box((-0.5, 0.0, -0.5), (0.5, 0.45, 0.5), "base"),
        box((-0.5, 0.45, -0.5), (0.5, 1.0, -0.32), "bolster"),
        box((-0.5, 0.45, -0.32), (-0.32, 1.0, 0.5), "bolster"),
        box((0.32, 0.45, -0.32), (0.5, 1.0, 0.5), "bolster"),
        box((-0.32, 0.45, 0.32), (0.32, 0.7, 0.5), "bolster"),
    ],
    [
        P(base=F_BEIGE, bolster=F_BROWN),
        P(base=F_GREY, bolster=F_CHARCOAL),
        P(base=F_CREAM, bolster=F_BLUE),
        P(base=F_WHITE, bolster=F_RUST),
    ],
    [surf(-0.32, -0.32, 0.32, 0.32, 0.45)],
)

# ---------------------------------------------------------------- tables
T(
    "DiningTable",
    [box((-0.5, 0.94, -0.5), (0.5, 1.0, 0.5), "top")]
    + legs(-0.46, 0.46, -0.46, 0.46, 0.06, 0.06, 0.0, 0.94, "legs")
    + [
        box((-0.4, 0.86, -0.46), (0.4, 0.94, -0.43), "legs"),  # aprons
        box((-0.4, 0.86, 0.43), (0.4, 0.94, 0.46), "legs"),
    ],
    [
        P(top=OAK, legs=OAK),
        P(top=WALNUT, legs=WALNUT),
        P(top=WHITE, legs=PINE),
        P(top=GLASS_CLEAR, legs=CHROME),
        P(top=EBONY, legs=IRON),
    ],
    [surf(-0.5, -0.5, 0.5, 0.5, 1.0)],
)

T(
    "CoffeeTable",
    [box((-0.5, 0.86, -0.5), (0.5, 1.0, 0.5), "top")]
    + legs(-0.5, 0.5, -0.5, 0.5, 0.06, 0.08, 0.0, 0.86, "legs")
    + [box((-0.44, 0.18, -0.42), (0.44, 0.25, 0.42), "shelf")],
    [
        P(top=OAK, legs=OAK, shelf=OAK),
        P(top=WALNUT, legs=EBONY, shelf=WALNUT),
        P(top=GLASS_CLEAR, legs=CHROME, shelf=GLASS_CLEAR),
        P(top=WHITE, legs=PINE, shelf=WHITE),
        P(top=MARBLE, legs=BRASS, shelf=IRON),
    ],
    [surf(-0.5, -0.5, 0.5, 0.5, 1.0), surf(-0.44, -0.42, 0.44, 0.42, 0.25, 0.61)],
)

T(
    "SideTable",
    [box((-0.5, 0.93, -0.5), (0.5, 1.0, 0.5), "top")]
    + legs(-0.5, 0.5, -0.5, 0.5, 0.07, 0.07, 0.0, 0.93, "legs")
    + [
        box((-0.43, 0.7, -0.43), (0.43, 0.93, 0.43), "drawer"),
        box((-0.1, 0.78, 0.43), (0.1, 0.84, 0.48), "handle"),
        box((-0.43, 0.14, -0.43), (0.43, 0.2, 0.43), "top"),  # lower shelf
    ],
    [
        P(top=OAK, legs=OAK, drawer=OAK, handle=BRASS),
        P(top=WALNUT, legs=WALNUT, drawer=WALNUT, handle=IRON),
        P(top=WHITE, legs=WHITE, drawer=WHITE, handle=STEEL),
        P(top=EBONY, legs=EBONY, drawer=SAGE, handle=BRASS),
        P(top=PINE, legs=PINE, drawer=NAVY, handle=CHROME),
    ],
    [surf(-0.5, -0.5, 0.5, 0.5, 1.0), surf(-0.43, -0.43, 0.43, 0.43, 0.2, 0.5)],
)

T(
    "Desk",
    [
        box((-0.5, 0.95, -0.5), (0.5, 1.0, 0.5), "top"),
        box((-0.5, 0.0, -0.5), (-0.46, 0.95, 0.5), "body"),  # side panels
        box((0.46, 0.0, -0.5), (0.5, 0.95, 0.5), "body"),
        box((-0.46, 0.5, -0.5), (0.16, 0.95, -0.46), "body"),  # modesty panel
        box((0.16, 0.04, -0.46), (0.46, 0.95, 0.46), "body"),  # drawer unit
        box((0.19, 0.66, 0.46), (0.43, 0.92, 0.48), "drawer"),
        box((0.19, 0.36, 0.46), (0.43, 0.63, 0.48), "drawer"),
        box((0.19, 0.07, 0.46), (0.43, 0.33, 0.48), "drawer"),
        box((0.26, 0.82, 0.48), (0.36, 0.85, 0.5), "handle"),
        box((0.26, 0.52, 0.48), (0.36, 0.55, 0.5), "handle"),
        box((0.26, 0.22, 0.48), (0.36, 0.25, 0.5), "handle"),
    ],
    [
        P(top=OAK, body=OAK, drawer=OAK, handle=IRON),
        P(top=WALNUT, body=WALNUT, drawer=WALNUT, handle=BRASS),
        P(top=WHITE, body=WHITE, drawer=WHITE, handle=STEEL),
        P(top=PINE, body=BLACK, drawer=BLACK, handle=CHROME),
        P(top=EBONY, body=GREY, drawer=GREY, handle=STEEL),
    ],
    [surf(-0.5, -0.5, 0.5, 0.5, 1.0)],
)

# ---------------------------------------------------------------- storage
T(
    "Dresser",
    legs(-0.5, 0.5, -0.5, 0.47, 0.06, 0.06, 0.0, 0.06, "feet")
    + [
        box((-0.5, 0.06, -0.5), (0.5, 1.0, 0.47), "body"),
        box((-0.46, 0.70, 0.47), (0.46, 0.96, 0.49), "drawer"),
        box((-0.46, 0.40, 0.47), (0.46, 0.67, 0.49), "drawer"),
        box((-0.46, 0.10, 0.47), (0.46, 0.37, 0.49), "drawer"),
        box((-0.12, 0.81, 0.49), (0.12, 0.85, 0.5), "handle"),
        box((-0.12, 0.51, 0.49), (0.12, 0.55, 0.5), "handle"),
        box((-0.12, 0.21, 0.49), (0.12, 0.25, 0.5), "handle"),
    ],
    [
        P(feet=WALNUT, body=WALNUT, drawer=WALNUT, handle=BRASS),
        P(feet=OAK, body=OAK, drawer=OAK, handle=IRON),
        P(feet=WHITE, body=WHITE, drawer=WHITE, handle=CHROME),
        P(feet=EBONY, body=EBONY, drawer=SAGE, handle=BRASS),
        P(feet=PINE, body=PINE, drawer=NAVY, handle=STEEL),
    ],
    [surf(-0.5, -0.5, 0.5, 0.47, 1.0)],
)

T(
    "TVStand",
    legs(-0.5, 0.5, -0.5, 0.5, 0.05, 0.05, 0.0, 0.06, "feet")
    + [
        box((-0.5, 0.9, -0.5), (0.5, 1.0, 0.5), "body"),  # top
        box((-0.5, 0.06, -0.5), (0.5, 0.16, 0.5), "body"),  # bottom
        box((-0.5, 0.16, -0.5), (-0.45, 0.9, 0.5), "body"),  # sides
        box((0.45, 0.16, -0.5), (0.5, 0.9, 0.5), "body"),
        box((-0.45, 0.16, -0.5), (0.45, 0.9, -0.45), "back"),
        box((-0.45, 0.5, -0.45), (0.45, 0.56, 0.5), "body"),  # middle shelf
    ],
    [
        P(feet=IRON, body=WALNUT, back=EBONY),
        P(feet=OAK, body=OAK, back=WHITE),
        P(feet=CHROME, body=WHITE, back=GREY),
        P(feet=IRON, body=BLACK, back=BLACK),
        P(feet=BRASS, body=PINE, back=SAGE),
    ],
    [
        surf(-0.5, -0.5, 0.5, 0.5, 1.0),
        surf(-0.45, -0.45, 0.45, 0.5, 0.56, 0.34),
        surf(-0.45, -0.45, 0.45, 0.5, 0.16, 0.34),
    ],
)

T(
    "ShelvingUnit",
    [
        box((-0.5, 0.0, -0.5), (-0.46, 1.0, 0.5), "frame"),
        box((0.46, 0.0, -0.5), (0.5, 1.0, 0.5), "frame"),
        box((-0.46, 0.0, -0.5), (0.46, 1.0, -0.48), "back"),
        box((-0.46, 0.0, -0.48), (0.46, 0.03, 0.5), "shelf"),
        box((-0.46, 0.33, -0.48), (0.46, 0.36, 0.5), "shelf"),
        box((-0.46, 0.66, -0.48), (0.46, 0.69, 0.5), "shelf"),
        box((-0.46, 0.97, -0.48), (0.46, 1.0, 0.5), "shelf"),
    ],
    [
        P(frame=OAK, back=OAK, shelf=OAK),
        P(frame=WHITE, back=WHITE, shelf=WHITE),
        P(frame=IRON, back=GREY, shelf=WALNUT),
        P(frame=EBONY, back=EBONY, shelf=EBONY),
        P(frame=PINE, back=SAGE, shelf=PINE),
    ],
    [
        surf(-0.46, -0.48, 0.46, 0.5, 0.03, 0.30),
        surf(-0.46, -0.48, 0.46, 0.5, 0.36, 0.30),
        surf(-0.46, -0.48, 0.46, 0.5, 0.69, 0.28),
        surf(-0.46, -0.48, 0.46, 0.5, 1.0),
    ],
)

T(
    "GarbageCan",
    [
        frustum((-0.5, 0.0, -0.5), (0.5, 0.9, 0.5), "body", taper=0.9),
        cyl((-0.46, 0.9, -0.46), (0.46, 0.97, 0.46), "lid"),
        box((-0.15, 0.97, -0.05), (0.15, 1.0, 0.05), "lid"),
    ],
    [
        P(body=STEEL, lid=IRON),
        P(body=WHITE, lid=GREY),
        P(body=BLACK, lid=BLACK),
        P(body=SAGE, lid=CREAM),
    ],
)

T(
    "Box",
    [
        box((-0.48, 0.0, -0.48), (0.48, 0.9, 0.48), "body"),
        box((-0.5, 0.9, -0.5), (0.5, 0.99, 0.5), "lid"),
        box((-0.06, 0.95, -0.45), (0.06, 1.0, 0.45), "tape"),
    ],
    [
        P(body=CARDBOARD, lid=CARDBOARD, tape=TAPE),
        P(body=WHITE, lid=NAVY, tape=NAVY),
        P(body=PINK, lid=CREAM, tape=RED),
        P(body=SAGE, lid=WALNUT, tape=BRASS),
    ],
)

T(
    "LaundryHamper",
    [
        box((-0.5, 0.0, -0.5), (0.5, 0.88, 0.47), "body"),
        box((-0.48, 0.88, -0.48), (0.48, 1.0, 0.45), "lid"),
        box((-0.2, 0.7, 0.47), (0.2, 0.76, 0.5), "handle"),
    ],
    [
        P(body=F_BEIGE, lid=F_BEIGE, handle=WALNUT),
        P(body=F_GREY, lid=F_CHARCOAL, handle=IRON),
        P(body=WHITE, lid=WHITE, handle=STEEL),
        P(body=F_BLUE, lid=F_WHITE, handle=OAK),
    ],
)

T(
    "Safe",
    [
        box((-0.5, 0.0, -0.5), (0.5, 1.0, 0.44), "body"),
        box((-0.44, 0.05, 0.44), (0.44, 0.95, 0.48), "door"),
        cyl((-0.12, 0.45, 0.48), (0.12, 0.69, 0.5), "dial", axis="z"),
        box((0.2, 0.4, 0.48), (0.3, 0.62, 0.5), "dial"),
    ],
    [
        P(body=IRON, door=IRON, dial=CHROME),
        P(body=GREY, door=GREY, dial=BRASS),
        P(body=BLACK, door=BLACK, dial=STEEL),
        P(body=CREAM, door=CREAM, dial=IRON),
    ],
)

# ---------------------------------------------------------------- kitchen
T(
    "CounterTop",
    [
        box((-0.5, 0.0, -0.5), (0.5, 0.08, 0.36), "kick"),
        box((-0.5, 0.08, -0.5), (0.5, 0.95, 0.42), "body"),
        box((-0.5, 0.95, -0.5), (0.5, 1.0, 0.5), "top"),
        box((-0.49, 0.1, 0.42), (-0.17, 0.93, 0.45), "door"),
        box((-0.16, 0.1, 0.42), (0.16, 0.93, 0.45), "door"),
        box((0.17, 0.1, 0.42), (0.49, 0.93, 0.45), "door"),
        box((-0.25, 0.8, 0.45), (-0.21, 0.88, 0.47), "handle"),
        box((-0.02, 0.8, 0.45), (0.02, 0.88, 0.47), "handle"),
        box((0.21, 0.8, 0.45), (0.25, 0.88, 0.47), "handle"),
    ],
    [
        P(kick=BLACK, body=WHITE, door=WHITE, top=GRANITE, handle=STEEL),
        P(kick=BLACK, body=OAK, door=OAK, top=MARBLE, handle=IRON),
        P(kick=BLACK, body=NAVY, door=NAVY, top=BUTCHER, handle=BRASS),
        P(kick=BLACK, body=SAGE, door=SAGE, top=MARBLE, handle=BRASS),
        P(kick=BLACK, body=GREY, door=GREY, top=WHITE, handle=CHROME),
    ],
    [surf(-0.5, -0.5, 0.5, 0.5, 1.0)],
)

T(
    "Fridge",
    [
        box((-0.5, 0.0, -0.5), (0.5, 1.0, 0.44), "body"),
        box((-0.49, 0.01, 0.44), (0.49, 0.63, 0.47), "door"),
        box((-0.49, 0.645, 0.44), (0.49, 0.99, 0.47), "door"),
        box((0.36, 0.44, 0.47), (0.41, 0.61, 0.5), "handle"),
        box((0.36, 0.67, 0.47), (0.41, 0.84, 0.5), "handle"),
    ],
    [
        P(body=WHITE, door=WHITE, handle=STEEL),
        P(body=STEEL, door=STEEL, handle=IRON),
        P(body=BLACK, door=BLACK, handle=CHROME),
        P(body=CREAM, door=CREAM, handle=CHROME),
    ],
)

T(
    "Microwave",
    [
        box((-0.5, 0.0, -0.5), (0.5, 1.0, 0.44), "body"),
        box((-0.46, 0.1, 0.44), (0.18, 0.9, 0.5), "door"),
        box((0.22, 0.1, 0.44), (0.46, 0.9, 0.47), "panel"),
        box((0.27, 0.6, 0.47), (0.41, 0.8, 0.49), "door"),
    ],
    [
        P(body=WHITE, door=SCREEN, panel=GREY),
        P(body=STEEL, door=SCREEN, panel=IRON),
        P(body=BLACK, door=SCREEN, panel=BLACK),
    ],
)

T(
    "Toaster",
    [
        box((-0.5, 0.0, -0.5), (0.5, 0.9, 0.45), "body"),
        box((-0.32, 0.9, -0.35), (-0.08, 1.0, 0.3), "slot"),
        box((0.08, 0.9, -0.35), (0.32, 1.0, 0.3), "slot"),
        box((-0.08, 0.5, 0.45), (0.08, 0.62, 0.5), "lever"),
    ],
    [
        P(body=STEEL, slot=BLACK, lever=BLACK),
        P(body=RED, slot=BLACK, lever=CHROME),
        P(body=CREAM, slot=IRON, lever=CHROME),
        P(body=BLACK, slot=IRON, lever=STEEL),
    ],
)

T(
    "CoffeeMachine",
    [
        box((-0.5, 0.0, -0.5), (0.5, 0.1, 0.5), "body"),
        box((-0.5, 0.1, -0.5), (0.5, 1.0, -0.1), "body"),
        box((-0.5, 0.75, -0.1), (0.5, 1.0, 0.5), "head"),
        cyl((-0.25, 0.1, 0.0), (0.25, 0.55, 0.4), "carafe", taper=0.85),
    ],
    [
        P(body=BLACK, head=STEEL, carafe=GLASS_CLEAR),
        P(body=STEEL, head=BLACK, carafe=GLASS_CLEAR),
        P(body=WHITE, head=GREY, carafe=GLASS_CLEAR),
        P(body=RED, head=CHROME, carafe=GLASS_CLEAR),
    ],
)

T(
    "Kettle",
    [
        cyl((-0.5, 0.0, -0.5), (0.5, 0.06, 0.5), "base"),
        cyl((-0.36, 0.06, -0.36), (0.36, 0.78, 0.36), "body", taper=0.8),
        cyl((-0.2, 0.78, -0.2), (0.2, 0.84, 0.2), "base"),
        box((-0.06, 0.84, -0.06), (0.06, 1.0, 0.06), "base"),
        cyl((-0.07, 0.35, 0.28), (0.07, 0.5, 0.5), "body", axis="z", taper=0.5),
        box((-0.05, 0.2, -0.5), (0.05, 0.72, -0.42), "handle"),
        box((-0.05, 0.64, -0.42), (0.05, 0.72, -0.3), "handle"),
        box((-0.05, 0.2, -0.42), (0.05, 0.28, -0.3), "handle"),
    ],
    [
        P(base=BLACK, body=STEEL, handle=BLACK),
        P(base=WHITE, body=WHITE, handle=GREY),
        P(base=BLACK, body=RED, handle=BLACK),
        P(base=IRON, body=COPPER, handle=EBONY),
    ],
)

T(
    "Pot",
    [
        cyl((-0.5, 0.0, -0.5), (0.5, 0.85, 0.17), "body"),
        cyl((-0.48, 0.85, -0.48), (0.48, 0.92, 0.15), "lid"),
        cyl((-0.12, 0.92, -0.26), (0.12, 1.0, -0.06), "handle"),
        cyl((-0.06, 0.6, 0.1), (0.06, 0.72, 0.5), "handle", axis="z", taper=0.8),
    ],
    [
        P(body=STEEL, lid=STEEL, handle=BLACK),
        P(body=RED, lid=RED, handle=BLACK),
        P(body=IRON, lid=IRON, handle=WALNUT),
        P(body=COPPER, lid=COPPER, handle=BRASS),
    ],
)

T(
    "Pan",
    [
        cyl((-0.5, 0.0, -0.5), (0.5, 1.0, 0.15), "body"),
        box((-0.06, 0.55, 0.1), (0.06, 0.85, 0.5), "handle"),
    ],
    [
        P(body=IRON, handle=BLACK),
        P(body=STEEL, handle=WALNUT),
        P(body=COPPER, handle=BRASS),
    ],
)

T(
    "Plate",
    [
        cyl((-0.35, 0.0, -0.35), (0.35, 0.4, 0.35), "body"),
        cyl((-0.5, 0.4, -0.5), (0.5, 1.0, 0.5), "body"),
    ],
    [P(body=PORCELAIN), P(body=GLAZE_BLUE), P(body=GLAZE_YELLOW), P(body=GLAZE_GREEN)],
    [surf(-0.33, -0.33, 0.33, 0.33, 1.0)],
)

T(
    "Bowl",
    [
        cyl((-0.3, 0.0, -0.3), (0.3, 0.15, 0.3), "body"),
        cyl((-0.42, 0.15, -0.42), (0.42, 0.5, 0.42), "body"),
        cyl((-0.5, 0.5, -0.5), (0.5, 1.0, 0.5), "body"),
    ],
    [P(body=PORCELAIN), P(body=GLAZE_RED), P(body=GLAZE_BLUE), P(body=OAK), P(body=GLAZE_GREEN)],
    [surf(-0.33, -0.33, 0.33, 0.33, 1.0)],
)

T(
    "Mug",
    [
        cyl((-0.5, 0.0, -0.5), (0.25, 1.0, 0.5), "body"),
        box((0.2, 0.7, -0.08), (0.42, 0.8, 0.08), "body"),
        box((0.42, 0.2, -0.08), (0.5, 0.8, 0.08), "body"),
        box((0.2, 0.2, -0.08), (0.42, 0.3, 0.08), "body"),
    ],
    [P(body=PORCELAIN), P(body=GLAZE_RED), P(body=GLAZE_BLUE), P(body=GLAZE_YELLOW), P(body=GLOSS_BLACK)],
)

T(
    "Cup",
    [
        cyl((-0.35, 0.0, -0.35), (0.35, 0.06, 0.35), "body"),
        cyl((-0.5, 0.06, -0.5), (0.5, 1.0, 0.5), "body"),
    ],
    [P(body=GLASS_CLEAR), P(body=PORCELAIN), P(body=GLAZE_GREEN), P(body=GLAZE_BLUE)],
)

_BOTTLE = [
    cyl((-0.5, 0.0, -0.5), (0.5, 0.6, 0.5), "body"),
    frustum((-0.5, 0.6, -0.5), (0.5, 0.74, 0.5), "body", taper=0.36),
    cyl((-0.17, 0.74, -0.17), (0.17, 0.92, 0.17), "body"),
    cyl((-0.2, 0.92, -0.2), (0.2, 1.0, 0.2), "cap"),
]
T(
    "Bottle",
    _BOTTLE,
    [
        P(body=GLASS_CLEAR, cap=WHITE),
        P(body=GLASS_GREEN, cap=STEEL),
        P(body=GLASS_BROWN, cap=RED),
        P(body=((0.35, 0.55, 0.80), "glossy"), cap=WHITE),
    ],
)

T(
    "WineBottle",
    [
        cyl((-0.5, 0.0, -0.5), (0.5, 0.55, 0.5), "body"),
        frustum((-0.5, 0.55, -0.5), (0.5, 0.68, 0.5), "body", taper=0.32),
        cyl((-0.16, 0.68, -0.16), (0.16, 0.9, 0.16), "body"),
        cyl((-0.18, 0.9, -0.18), (0.18, 1.0, 0.18), "foil"),
    ],
    [
        P(body=GLASS_GREEN, foil=RED),
        P(body=GLASS_BROWN, foil=GLOSS_BLACK),
        P(body=GLASS_CLEAR, foil=BRASS),
        P(body=GLOSS_BLACK, foil=BRASS),
    ],
)

_SHAKER = [
    cyl((-0.5, 0.0, -0.5), (0.5, 0.72, 0.5), "body"),
    frustum((-0.46, 0.72, -0.46), (0.46, 0.9, 0.46), "cap", taper=0.6),
    sphere((-0.15, 0.84, -0.15), (0.15, 1.0, 0.15), "cap"),
]
T("SaltShaker", _SHAKER, [P(body=GLASS_CLEAR, cap=CHROME), P(body=PORCELAIN, cap=STEEL), P(body=WHITE, cap=WALNUT)])
T("PepperShaker", _SHAKER, [P(body=GLOSS_BLACK, cap=CHROME), P(body=WALNUT, cap=WALNUT), P(body=GREY, cap=STEEL)])

# ---------------------------------------------------------------- food
T(
    "Apple",
    [sphere((-0.5, 0.0, -0.5), (0.5, 0.9, 0.5), "skin"), cyl((-0.05, 0.82, -0.05), (0.05, 1.0, 0.05), "stem")],
    [
        P(skin=((0.72, 0.10, 0.10), "glossy"), stem=WALNUT),
        P(skin=((0.55, 0.75, 0.25), "glossy"), stem=WALNUT),
        P(skin=((0.85, 0.70, 0.20), "glossy"), stem=WALNUT),
    ],
)

T(
    "Tomato",
    [sphere((-0.5, 0.0, -0.5), (0.5, 0.92, 0.5), "skin"), cyl((-0.18, 0.88, -0.18), (0.18, 1.0, 0.18), "leaf", taper=0.3)],
    [
        P(skin=((0.82, 0.14, 0.08), "glossy"), leaf=LEAF),
        P(skin=((0.90, 0.42, 0.10), "glossy"), leaf=LEAF),
        P(skin=((0.70, 0.10, 0.12), "glossy"), leaf=LEAF_DARK),
    ],
)

T(
    "Potato",
    [sphere((-0.5, 0.0, -0.5), (0.5, 1.0, 0.5), "skin")],
    [
        P(skin=((0.66, 0.50, 0.32), "paint")),
        P(skin=((0.58, 0.40, 0.26), "paint")),
        P(skin=((0.72, 0.40, 0.36), "paint")),
    ],
)

T(
    "Egg",
    [sphere((-0.5, 0.0, -0.5), (0.5, 1.0, 0.5), "shell")],
    [P(shell=((0.96, 0.94, 0.88), "paint")), P(shell=((0.84, 0.66, 0.48), "paint")), P(shell=((0.92, 0.84, 0.72), "paint"))],
)

T(
    "Lettuce",
    [
        sphere((-0.5, 0.0, -0.5), (0.5, 0.85, 0.5), "outer"),
        sphere((-0.32, 0.3, -0.32), (0.32, 1.0, 0.32), "inner"),
    ],
    [P(outer=LEAF_LIGHT, inner=((0.70, 0.82, 0.42), "fabric")), P(outer=LEAF, inner=LEAF_LIGHT), P(outer=((0.50, 0.22, 0.30), "fabric"), inner=LEAF_LIGHT)],
)

T(
    "Bread",
    [
        box((-0.5, 0.0, -0.5), (0.5, 0.6, 0.5), "crust"),
        cyl((-0.5, 0.2, -0.48), (0.5, 1.0, 0.48), "top", axis="z"),
    ],
    [
        P(crust=((0.78, 0.55, 0.30), "paint"), top=((0.66, 0.40, 0.18), "paint")),
        P(crust=((0.55, 0.36, 0.20), "paint"), top=((0.45, 0.28, 0.14), "paint")),
        P(crust=((0.88, 0.72, 0.48), "paint"), top=((0.80, 0.58, 0.32), "paint")),
    ],
)

# ---------------------------------------------------------------- electronics
T(
    "Television",
    [
        box((-0.22, 0.0, -0.5), (0.22, 0.03, 0.5), "stand"),
        box((-0.05, 0.03, -0.1), (0.05, 0.2, 0.02), "stand"),
        box((-0.5, 0.12, -0.12), (0.5, 1.0, 0.05), "body"),
        box((-0.47, 0.16, 0.05), (0.47, 0.97, 0.08), "screen"),
    ],
    [
        P(stand=IRON, body=BLACK, screen=SCREEN),
        P(stand=CHROME, body=GREY, screen=SCREEN),
        P(stand=IRON, body=GLOSS_BLACK, screen=SCREEN_ON),
    ],
)

T(
    "Laptop",
    [
        box((-0.5, 0.0, -0.45), (0.5, 0.08, 0.5), "body"),
        box((-0.44, 0.08, -0.05), (0.44, 0.1, 0.4), "keys"),
        box((-0.5, 0.0, -0.5), (0.5, 1.0, -0.45), "body"),
        box((-0.45, 0.15, -0.45), (0.45, 0.95, -0.43), "screen"),
    ],
    [
        P(body=STEEL, keys=BLACK, screen=SCREEN_ON),
        P(body=BLACK, keys=IRON, screen=SCREEN),
        P(body=WHITE, keys=GREY, screen=SCREEN_ON),
        P(body=IRON, keys=BLACK, screen=SCREEN),
    ],
)

T(
    "CellPhone",
    [box((-0.5, 0.0, -0.5), (0.5, 0.7, 0.5), "body"), box((-0.44, 0.7, -0.45), (0.44, 1.0, 0.45), "screen")],
    [P(body=BLACK, screen=SCREEN), P(body=WHITE, screen=SCREEN), P(body=((0.85, 0.72, 0.60), "metal"), screen=SCREEN_ON)],
)

T(
    "RemoteControl",
    [
        box((-0.5, 0.0, -0.5), (0.5, 0.7, 0.5), "body"),
        box((-0.3, 0.7, -0.35), (0.3, 1.0, 0.3), "buttons"),
        box((-0.15, 0.7, 0.36), (0.15, 1.0, 0.44), "power"),
    ],
    [P(body=BLACK, buttons=GREY, power=RED), P(body=GREY, buttons=BLACK, power=RED), P(body=WHITE, buttons=GREY, power=TEAL)],
)

T(
    "AlarmClock",
    [
        box((-0.4, 0.0, -0.3), (-0.25, 0.08, 0.3), "feet"),
        box((0.25, 0.0, -0.3), (0.4, 0.08, 0.3), "feet"),
        box((-0.5, 0.08, -0.5), (0.5, 1.0, 0.4), "body"),
        box((-0.38, 0.25, 0.4), (0.38, 0.85, 0.5), "face"),
    ],
    [
        P(feet=BLACK, body=BLACK, face=((0.85, 0.20, 0.15), "emissive")),
        P(feet=BRASS, body=RED, face=WHITE),
        P(feet=WALNUT, body=WALNUT, face=CREAM),
        P(feet=GREY, body=WHITE, face=((0.20, 0.75, 0.35), "emissive")),
    ],
)

T(
    "WashingMachine",
    [
        box((-0.5, 0.0, -0.5), (0.5, 1.0, 0.46), "body"),
        cyl((-0.32, 0.22, 0.46), (0.32, 0.74, 0.49), "door", axis="z"),
        cyl((-0.22, 0.3, 0.47), (0.22, 0.66, 0.5), "glass", axis="z"),
        box((-0.45, 0.85, 0.46), (0.45, 0.95, 0.48), "panel"),
        cyl((0.25, 0.87, 0.48), (0.33, 0.93, 0.5), "door", axis="z"),
    ],
    [
        P(body=WHITE, door=CHROME, glass=SCREEN, panel=GREY),
        P(body=GREY, door=IRON, glass=SCREEN, panel=BLACK),
        P(body=STEEL, door=CHROME, glass=SCREEN, panel=IRON),
    ],
)
T(
    "ClothesDryer",
    TEMPLATES["WashingMachine"]["parts"],
    [
        P(body=WHITE, door=STEEL, glass=GLOSS_BLACK, panel=CREAM),
        P(body=CREAM, door=CHROME, glass=SCREEN, panel=GREY),
        P(body=IRON, door=CHROME, glass=SCREEN, panel=BLACK),
    ],
)

T(
    "VacuumCleaner",
    [
        box((-0.5, 0.0, -0.1), (0.5, 0.12, 0.5), "head"),
        box((-0.35, 0.0, -0.5), (0.35, 0.65, -0.1), "body"),
        cyl((-0.04, 0.65, -0.34), (0.04, 0.95, -0.26), "pole"),
        box((-0.16, 0.95, -0.36), (0.16, 1.0, -0.24), "head"),
    ],
    [
        P(head=GREY, body=RED, pole=CHROME),
        P(head=BLACK, body=((0.55, 0.35, 0.70), "paint"), pole=STEEL),
        P(head=IRON, body=YELLOW, pole=CHROME),
    ],
)

# ---------------------------------------------------------------- lamps, plants, decor
T(
    "FloorLamp",
    [
        cyl((-0.3, 0.0, -0.3), (0.3, 0.03, 0.3), "base"),
        cyl((-0.04, 0.03, -0.04), (0.04, 0.74, 0.04), "base"),
        frustum((-0.5, 0.72, -0.5), (0.5, 1.0, 0.5), "shade", taper=0.7),
    ],
    [
        P(base=IRON, shade=F_CREAM),
        P(base=BRASS, shade=F_WHITE),
        P(base=CHROME, shade=LAMP_GLOW),
        P(base=BLACK, shade=F_GREY),
    ],
)

T(
    "DeskLamp",
    [
        cyl((-0.35, 0.0, -0.35), (0.35, 0.06, 0.35), "base"),
        cyl((-0.05, 0.06, -0.05), (0.05, 0.55, 0.05), "base"),
        frustum((-0.5, 0.5, -0.5), (0.5, 1.0, 0.5), "shade", taper=0.6),
    ],
    [
        P(base=BRASS, shade=F_CREAM),
        P(base=BLACK, shade=F_WHITE),
        P(base=PORCELAIN, shade=LAMP_GLOW),
        P(base=CHROME, shade=F_GREY),
    ],
)

T(
    "HousePlant",
    [
        frustum((-0.3, 0.0, -0.3), (0.3, 0.3, 0.3), "pot", taper=0.82),
        cyl((-0.32, 0.3, -0.32), (0.32, 0.36, 0.32), "pot"),
        cyl((-0.04, 0.36, -0.04), (0.04, 0.56, 0.04), "stem"),
        sphere((-0.5, 0.45, -0.4), (0.2, 0.85, 0.3), "leaves"),
        sphere((-0.2, 0.5, -0.3), (0.5, 0.9, 0.5), "leaves"),
        sphere((-0.35, 0.65, -0.5), (0.35, 1.0, 0.2), "leaves"),
    ],
    [
        P(pot=TERRACOTTA, stem=WALNUT, leaves=LEAF),
        P(pot=PORCELAIN, stem=WALNUT, leaves=LEAF_DARK),
        P(pot=GREY, stem=WALNUT, leaves=LEAF_LIGHT),
        P(pot=GLAZE_BLUE, stem=WALNUT, leaves=LEAF),
    ],
)

T(
    "Vase",
    [
        cyl((-0.3, 0.0, -0.3), (0.3, 0.08, 0.3), "body"),
        sphere((-0.5, 0.02, -0.5), (0.5, 0.72, 0.5), "body"),
        cyl((-0.18, 0.62, -0.18), (0.18, 0.9, 0.18), "body"),
        cyl((-0.26, 0.9, -0.26), (0.26, 1.0, 0.26), "body"),
    ],
    [P(body=GLAZE_BLUE), P(body=PORCELAIN), P(body=TERRACOTTA), P(body=GLASS_GREEN), P(body=GLAZE_YELLOW)],
)

T(
    "Statue",
    [
        box((-0.5, 0.0, -0.5), (0.5, 0.15, 0.5), "base"),
        frustum((-0.3, 0.15, -0.3), (0.3, 0.76, 0.3), "figure", taper=0.55),
        sphere((-0.2, 0.72, -0.2), (0.2, 1.0, 0.2), "figure"),
    ],
    [
        P(base=EBONY, figure=MARBLE),
        P(base=GRANITE, figure=BRASS),
        P(base=WALNUT, figure=((0.30, 0.32, 0.30), "metal")),
        P(base=WHITE, figure=PORCELAIN),
    ],
)

T(
    "Candle",
    [
        cyl((-0.5, 0.0, -0.5), (0.5, 0.12, 0.5), "holder"),
        cyl((-0.3, 0.12, -0.3), (0.3, 0.88, 0.3), "wax"),
        cone((-0.08, 0.88, -0.08), (0.08, 1.0, 0.08), "flame"),
    ],
    [
        P(holder=BRASS, wax=CREAM, flame=FLAME),
        P(holder=PORCELAIN, wax=WHITE, flame=FLAME),
        P(holder=IRON, wax=RED, flame=FLAME),
    ],
)

T(
    "Book",
    [
        box((-0.5, 0.0, -0.5), (0.5, 0.12, 0.5), "cover"),
        box((-0.5, 0.88, -0.5), (0.5, 1.0, 0.5), "cover"),
        box((-0.5, 0.12, -0.5), (-0.44, 0.88, 0.5), "cover"),
        box((-0.44, 0.12, -0.48), (0.48, 0.88, 0.48), "pages"),
    ],
    [
        P(cover=RED, pages=PAPER),
        P(cover=NAVY, pages=PAPER),
        P(cover=((0.20, 0.40, 0.25), "paint"), pages=PAPER),
        P(cover=YELLOW, pages=PAPER),
        P(cover=BLACK, pages=CREAM),
    ],
)

T(
    "TissueBox",
    [
        box((-0.5, 0.0, -0.5), (0.5, 0.85, 0.5), "body"),
        box((-0.3, 0.85, -0.1), (0.3, 0.87, 0.1), "slot"),
        sphere((-0.2, 0.7, -0.15), (0.2, 1.0, 0.15), "tissue"),
    ],
    [
        P(body=TEAL, slot=BLACK, tissue=F_WHITE),
        P(body=PINK, slot=BLACK, tissue=F_WHITE),
        P(body=WHITE, slot=GREY, tissue=F_WHITE),
    ],
)

T(
    "ToiletPaper",
    [cyl((-0.5, 0.0, -0.5), (0.5, 0.97, 0.5), "roll"), cyl((-0.15, 0.1, -0.15), (0.15, 1.0, 0.15), "core")],
    [P(roll=F_WHITE, core=CARDBOARD), P(roll=F_CREAM, core=CARDBOARD), P(roll=((0.95, 0.85, 0.88), "fabric"), core=CARDBOARD)],
)

T(
    "SoapBottle",
    [
        box((-0.5, 0.0, -0.5), (0.5, 0.72, 0.5), "body"),
        cyl((-0.1, 0.72, -0.1), (0.1, 0.85, 0.1), "pump"),
        box((-0.12, 0.85, -0.12), (0.12, 1.0, 0.12), "pump"),
        box((0.12, 0.9, -0.04), (0.35, 0.96, 0.04), "pump"),
    ],
    [
        P(body=((0.55, 0.75, 0.85), "glossy"), pump=WHITE),
        P(body=((0.90, 0.55, 0.60), "glossy"), pump=CHROME),
        P(body=((0.80, 0.82, 0.45), "glossy"), pump=BLACK),
    ],
)

T(
    "SprayBottle",
    [
        cyl((-0.5, 0.0, -0.5), (0.5, 0.6, 0.2), "body"),
        cyl((-0.25, 0.6, -0.3), (0.25, 0.7, 0.0), "head"),
        box((-0.3, 0.7, -0.35), (0.3, 1.0, 0.3), "head"),
        box((-0.15, 0.85, 0.3), (0.15, 0.92, 0.5), "head"),
        box((-0.12, 0.55, 0.12), (0.12, 0.8, 0.26), "trigger"),
    ],
    [
        P(body=((0.40, 0.65, 0.90), "glossy"), head=WHITE, trigger=WHITE),
        P(body=((0.55, 0.80, 0.40), "glossy"), head=BLACK, trigger=BLACK),
        P(body=((0.95, 0.80, 0.30), "glossy"), head=RED, trigger=RED),
    ],
)

T(
    "Pillow",
    [
        sphere((-0.5, 0.0, -0.5), (0.5, 1.0, 0.5), "cover"),
        box((-0.42, 0.12, -0.42), (0.42, 0.88, 0.42), "cover"),
    ],
    [P(cover=F_WHITE), P(cover=F_BLUE), P(cover=F_MUSTARD), P(cover=F_GREY), P(cover=F_RUST), P(cover=F_GREEN)],
)

T(
    "TeddyBear",
    [
        sphere((-0.35, 0.0, -0.5), (0.35, 0.6, 0.25), "fur"),
        sphere((-0.28, 0.52, -0.3), (0.28, 0.95, 0.2), "fur"),
        sphere((-0.3, 0.82, -0.15), (-0.12, 1.0, 0.0), "fur"),
        sphere((0.12, 0.82, -0.15), (0.3, 1.0, 0.0), "fur"),
        sphere((-0.1, 0.62, 0.1), (0.1, 0.76, 0.26), "snout"),
        sphere((-0.35, 0.0, 0.0), (-0.05, 0.2, 0.5), "fur"),
        sphere((0.05, 0.0, 0.0), (0.35, 0.2, 0.5), "fur"),
        sphere((-0.5, 0.2, -0.2), (-0.25, 0.5, 0.1), "fur"),
        sphere((0.25, 0.2, -0.2), (0.5, 0.5, 0.1), "fur"),
    ],
    [
        P(fur=F_BROWN, snout=F_BEIGE),
        P(fur=F_CREAM, snout=F_WHITE),
        P(fur=F_PINK, snout=F_WHITE),
        P(fur=F_GREY, snout=F_WHITE),
    ],
)

T(
    "BasketBall",
    [sphere((-0.5, 0.0, -0.5), (0.5, 1.0, 0.5), "ball")],
    [P(ball=((0.85, 0.42, 0.14), "fabric")), P(ball=((0.70, 0.32, 0.12), "fabric")), P(ball=((0.90, 0.55, 0.20), "fabric"))],
)

T(
    "Painting",
    [
        box((-0.5, 0.0, -0.5), (0.5, 1.0, 0.2), "frame"),
        box((-0.44, 0.08, 0.2), (0.44, 0.92, 0.5), "canvas"),
    ],
    [
        P(frame=WALNUT, canvas=((0.35, 0.55, 0.70), "paint")),
        P(frame=BLACK, canvas=((0.85, 0.70, 0.40), "paint")),
        P(frame=BRASS, canvas=((0.45, 0.60, 0.35), "paint")),
        P(frame=WHITE, canvas=((0.75, 0.35, 0.30), "paint")),
        P(frame=OAK, canvas=((0.55, 0.45, 0.70), "paint")),
        P(frame=EBONY, canvas=((0.90, 0.88, 0.80), "paint")),
    ],
)

# ---------------------------------------------------------------- bathroom
T(
    "Toilet",
    [
        box((-0.22, 0.0, -0.5), (0.22, 0.38, 0.2), "body"),
        cyl((-0.38, 0.26, -0.2), (0.38, 0.44, 0.5), "body"),
        cyl((-0.4, 0.44, -0.18), (0.4, 0.47, 0.5), "seat"),
        box((-0.5, 0.38, -0.5), (0.5, 0.92, -0.22), "body"),  # tank
        box((-0.5, 0.92, -0.5), (0.5, 1.0, -0.2), "seat"),  # tank lid
        box((0.3, 0.84, -0.22), (0.4, 0.88, -0.18), "handle"),
    ],
    [
        P(body=PORCELAIN, seat=PORCELAIN, handle=CHROME),
        P(body=PORCELAIN, seat=((0.95, 0.95, 0.93), "paint"), handle=STEEL),
        P(body=PORCELAIN, seat=BLACK, handle=CHROME),
        P(body=((0.88, 0.90, 0.92), "glossy"), seat=WALNUT, handle=BRASS),
    ],
    [surf(-0.5, -0.5, 0.5, -0.2, 1.0)],
)

T(
    "Sink",
    [
        cyl((-0.16, 0.0, -0.38), (0.16, 0.72, 0.02), "body", taper=0.8),
        box((-0.5, 0.72, -0.5), (0.5, 0.85, 0.5), "body"),
        box((-0.5, 0.85, 0.3), (0.5, 0.92, 0.5), "body"),
        box((-0.5, 0.85, -0.5), (0.5, 0.92, -0.3), "body"),
        box((-0.5, 0.85, -0.3), (-0.35, 0.92, 0.3), "body"),
        box((0.35, 0.85, -0.3), (0.5, 0.92, 0.3), "body"),
        cyl((-0.03, 0.92, -0.45), (0.03, 1.0, -0.38), "faucet"),
        cyl((-0.025, 0.95, -0.38), (0.025, 0.99, -0.22), "faucet", axis="z", taper=0.8),
    ],
    [
        P(body=PORCELAIN, faucet=CHROME),
        P(body=((0.88, 0.90, 0.92), "glossy"), faucet=STEEL),
        P(body=MARBLE, faucet=BRASS),
    ],
    [surf(-0.5, 0.3, 0.5, 0.5, 0.92), surf(-0.35, -0.3, 0.35, 0.3, 0.85, 0.07)],
)

"""Geometry shared by the scene, the renderer and the backends.

Conventions (AI2-THOR / Unity, see DESIGN.md section 3): metres, y up, left-handed. Yaw is in degrees about +y;
yaw 0 faces +z and a positive yaw turns toward +x (clockwise seen from above):

    forward = (sin yaw, 0, cos yaw)        right = (cos yaw, 0, -sin yaw)

A *solid* is one primitive of the scene (a box, a cylinder or cone, an ellipsoid) in world space. Solids are kept
in a struct-of-arrays container, :class:`Solids`, because the renderer tessellates them in bulk and the validator
tests them in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

# Primitive kinds.
BOX = 0
CYLINDER = 1  # a cylinder, cone or frustum: `taper` = top radius / bottom radius (1 cylinder, 0 cone)
SPHERE = 2  # an ellipsoid inscribed in the size box
KIND_NAMES = {"box": BOX, "cylinder": CYLINDER, "cone": CYLINDER, "frustum": CYLINDER, "sphere": SPHERE}

# Long axis of a cylinder/cone in the solid's local frame. The tapered ("top") end is at the positive side.
AXIS_Y = 0
AXIS_X = 1
AXIS_Z = 2
AXIS_NAMES = {"y": AXIS_Y, "x": AXIS_X, "z": AXIS_Z}

# Surface materials understood by the renderer's fragment shader (procedural textures, no image files).
MATERIALS = {
    "paint": 0,  # matte wall paint / plain plastic: flat colour with a faint stipple
    "wood": 1,  # wood grain (floors: planks)
    "tile": 2,  # square tiles with grout lines
    "fabric": 3,  # fine woven noise, slightly darker
    "metal": 4,  # brighter, with a soft highlight
    "emissive": 5,  # unlit: lamps, screens glowing, windows
    "glossy": 6,  # ceramic / glass / screens: darker with a highlight
    "carpet": 7,  # coarse noise
}


def forward_vector(yaw_deg: float, pitch_deg: float = 0.0) -> np.ndarray:
    """Unit viewing direction for a camera yaw and pitch (pitch positive = looking down, as AI2-THOR's horizon)."""
    y, p = np.radians(yaw_deg), np.radians(pitch_deg)
    return np.array([np.sin(y) * np.cos(p), -np.sin(p), np.cos(y) * np.cos(p)])


def right_vector(yaw_deg: float) -> np.ndarray:
    """Unit vector pointing to the camera's right for a yaw (horizontal)."""
    y = np.radians(yaw_deg)
    return np.array([np.cos(y), 0.0, -np.sin(y)])


def rotate_yaw(local: np.ndarray, yaw_deg: np.ndarray | float) -> np.ndarray:
    """Rotate local vectors (..., 3) by yaw (broadcast) into world axes: local +z -> forward, local +x -> right."""
    local = np.asarray(local, dtype=np.float64)
    t = np.radians(np.asarray(yaw_deg, dtype=np.float64))
    c, s = np.cos(t), np.sin(t)
    x, y, z = local[..., 0], local[..., 1], local[..., 2]
    return np.stack([x * c + z * s, y, -x * s + z * c], axis=-1)


def yaw_extent(size_x: np.ndarray | float, size_z: np.ndarray | float, yaw_deg: np.ndarray | float):
    """World-axis-aligned extents (dx, dz) of a footprint of local size (size_x, size_z) rotated by yaw."""
    t = np.radians(np.asarray(yaw_deg, dtype=np.float64))
    c, s = np.abs(np.cos(t)), np.abs(np.sin(t))
    return size_x * c + size_z * s, size_x * s + size_z * c


@dataclass
class Solids:
    """Primitives in world space, struct-of-arrays. All arrays have the same first dimension N.

    Attributes:
        kind: (N,) int8, BOX / CYLINDER / SPHERE.
        center: (N, 3) float64, world centre of the primitive's size box.
        size: (N, 3) float64, full extents along the solid's local x, y, z before the yaw (metres).
        yaw: (N,) float64, degrees about +y.
        axis: (N,) int8, long axis of cylinders/cones (AXIS_Y/X/Z); ignored for boxes and spheres.
        taper: (N,) float32, top radius / bottom radius for cylinders (1 = cylinder, 0 = cone).
        color: (N, 3) float32, sRGB base colour in [0, 1].
        material: (N,) int8, a value of MATERIALS.
        instance: (N,) int32, instance id written to the id target (> 0; 0 is background).
        room: (N,) int16, index of the room whose ceiling light shades it (-1 for none).
    """

    kind: np.ndarray
    center: np.ndarray
    size: np.ndarray
    yaw: np.ndarray
    axis: np.ndarray
    taper: np.ndarray
    color: np.ndarray
    material: np.ndarray
    instance: np.ndarray
    room: np.ndarray

    _DTYPES = {
        "kind": np.int8,
        "center": np.float64,
        "size": np.float64,
        "yaw": np.float64,
        "axis": np.int8,
        "taper": np.float32,
        "color": np.float32,
        "material": np.int8,
        "instance": np.int32,
        "room": np.int16,
    }

    def __post_init__(self) -> None:
        for f in fields(self):
            setattr(self, f.name, np.asarray(getattr(self, f.name), dtype=self._DTYPES[f.name]))
        n = len(self.kind)
        for f in fields(self):
            if len(getattr(self, f.name)) != n:
                raise ValueError(f"Solids.{f.name} has {len(getattr(self, f.name))} rows, expected {n}")

    def __len__(self) -> int:
        return len(self.kind)

    @classmethod
    def empty(cls) -> "Solids":
        return cls(
            kind=np.zeros(0),
            center=np.zeros((0, 3)),
            size=np.zeros((0, 3)),
            yaw=np.zeros(0),
            axis=np.zeros(0),
            taper=np.zeros(0),
            color=np.zeros((0, 3)),
            material=np.zeros(0),
            instance=np.zeros(0),
            room=np.zeros(0),
        )

    @classmethod
    def concat(cls, parts: list["Solids"]) -> "Solids":
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})

    def subset(self, mask_or_index) -> "Solids":
        return Solids(**{f.name: getattr(self, f.name)[mask_or_index] for f in fields(self)})

    def world_aabb(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-solid world axis-aligned bounds of the (yawed) size box: (lo (N,3), hi (N,3))."""
        dx, dz = yaw_extent(self.size[:, 0], self.size[:, 2], self.yaw)
        half = np.stack([dx, self.size[:, 1], dz], axis=1) / 2.0
        return self.center - half, self.center + half


def box_solid(
    center,
    size,
    *,
    yaw: float = 0.0,
    color=(0.8, 0.8, 0.8),
    material: int = 0,
    instance: int = 1,
    room: int = -1,
    kind: int = BOX,
    axis: int = AXIS_Y,
    taper: float = 1.0,
) -> Solids:
    """One solid as a :class:`Solids` of length 1 (handy for structure and tests)."""
    return Solids(
        kind=[kind],
        center=[center],
        size=[size],
        yaw=[yaw],
        axis=[axis],
        taper=[taper],
        color=[color],
        material=[material],
        instance=[instance],
        room=[room],
    )

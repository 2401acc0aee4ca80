"""Pinhole camera in AI2-THOR conventions, pure numpy (the renderer, backends and question engine share it).

A camera is a position, a yaw (degrees, 0 faces +z, positive turns toward +x), a pitch (degrees, positive looks
down, like AI2-THOR's ``cameraHorizon``) and a vertical field of view. Images are top-row first, x to the right.
Depth images hold *planar* depth: the distance along the viewing axis, in metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sat_env.scene.geometry import forward_vector, right_vector

NEAR = 0.05
FAR = 50.0


@dataclass(frozen=True)
class Camera:
    """A camera pose and intrinsics.

    Attributes:
        position: (x, y, z) of the optical centre in metres.
        yaw: heading in degrees; 0 faces +z, 90 faces +x.
        pitch: degrees, positive looks down (AI2-THOR horizon).
        fov: vertical field of view in degrees.
        width: image width in pixels.
        height: image height in pixels.
    """

    position: tuple[float, float, float]
    yaw: float = 0.0
    pitch: float = 0.0
    fov: float = 90.0
    width: int = 224
    height: int = 224

    def __post_init__(self) -> None:
        if not (0.0 < self.fov < 180.0):
            raise ValueError(f"fov must be in (0, 180) degrees, got {self.fov}")
        if self.width < 1 or self.height < 1:
            raise ValueError(f"image size must be positive, got {self.width}x{self.height}")
        if not (-90.0 < self.pitch < 90.0):
            raise ValueError(f"pitch must be in (-90, 90) degrees, got {self.pitch}")

    # --- frame -----------------------------------------------------------------------------------------
    @property
    def forward(self) -> np.ndarray:
        return forward_vector(self.yaw, self.pitch)

    @property
    def right(self) -> np.ndarray:
        return right_vector(self.yaw)

    @property
    def up(self) -> np.ndarray:
        y, p = np.radians(self.yaw), np.radians(self.pitch)
        return np.array([np.sin(y) * np.sin(p), np.cos(p), np.cos(y) * np.sin(p)])

    @property
    def focal(self) -> float:
        """Focal length in pixels (square pixels; the vertical FOV fixes it)."""
        return (self.height / 2.0) / np.tan(np.radians(self.fov) / 2.0)

    @property
    def hfov(self) -> float:
        """Horizontal field of view in degrees."""
        return float(np.degrees(2.0 * np.arctan((self.width / 2.0) / self.focal)))

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (..., 3) -> camera coordinates (..., 3): (right, up, forward) in metres."""
        d = np.asarray(points, dtype=np.float64) - np.asarray(self.position, dtype=np.float64)
        basis = np.stack([self.right, self.up, self.forward])  # rows
        return d @ basis.T

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World points (..., 3) -> pixel coordinates (..., 2) as (col, row) floats, and planar depth (...).

        Pixel (0, 0) is the top-left corner of the top-left pixel; a pixel's centre is at +0.5.
        Points behind the camera get depth <= 0 and meaningless pixel coordinates.
        """
        c = self.to_camera(points)
        z = c[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            col = self.width / 2.0 + self.focal * c[..., 0] / z
            row = self.height / 2.0 - self.focal * c[..., 1] / z
        return np.stack([col, row], axis=-1), z

    def pixel_rays(self) -> np.ndarray:
        """(H, W, 3) world directions through pixel centres, scaled so that planar depth t gives the point o + t d."""
        cols = (np.arange(self.width) + 0.5 - self.width / 2.0) / self.focal
        rows = (self.height / 2.0 - (np.arange(self.height) + 0.5)) / self.focal
        u, v = np.meshgrid(cols, rows)
        return u[..., None] * self.right + v[..., None] * self.up + self.forward

    # --- OpenGL matrices (column-vector convention, returned row-major as numpy) ---------------------------
    def view_matrix(self) -> np.ndarray:
        """4x4 world -> OpenGL eye space (x right, y up, looking down -z). Note: det = -1 (world is left-handed)."""
        r, u, f = self.right, self.up, self.forward
        p = np.asarray(self.position, dtype=np.float64)
        m = np.eye(4)
        m[0, :3], m[1, :3], m[2, :3] = r, u, -f
        m[:3, 3] = -m[:3, :3] @ p
        return m

    def projection_matrix(self, near: float = NEAR, far: float = FAR) -> np.ndarray:
        """4x4 OpenGL perspective projection for this camera's vertical FOV and aspect ratio."""
        t = 1.0 / np.tan(np.radians(self.fov) / 2.0)
        aspect = self.width / self.height
        m = np.zeros((4, 4))
        m[0, 0] = t / aspect
        m[1, 1] = t
        m[2, 2] = (far + near) / (near - far)
        m[2, 3] = 2.0 * far * near / (near - far)
        m[3, 2] = -1.0
        return m

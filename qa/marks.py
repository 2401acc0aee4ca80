"""Marks drawn on a copy of a frame, as SAT does: labelled dots, coloured boxes, and an X for perspective questions.

Sizes scale with the image (SAT: dots of radius 15 px and labels of ~14 px at 512 x 512) with a floor that keeps
labels legible at 224 px.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image, ImageDraw, ImageFont

BOX_COLORS = {"red": (230, 30, 30), "blue": (30, 80, 235), "green": (20, 170, 40), "yellow": (240, 200, 0)}
DOT_COLOR = (230, 30, 30)


@functools.lru_cache(maxsize=16)
def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _scale(img: Image.Image) -> float:
    return max(min(img.size) / 512.0, 0.55)


def anchor_point(mask: np.ndarray, offset: tuple[int, int] = (0, 0)) -> tuple[int, int]:
    """A pixel (x, y) on the object: the mask pixel closest to the mask's centroid (stays on concave shapes).
    `offset` (x, y) is where a cropped mask's top-left pixel lies in the image."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        raise ValueError("empty mask: the object is not in the image")
    xs, ys = xs + offset[0], ys + offset[1]
    cx, cy = xs.mean(), ys.mean()
    k = int(np.argmin((xs - cx) ** 2 + (ys - cy) ** 2))
    return int(xs[k]), int(ys[k])


def draw_dots(rgb: np.ndarray, points: list[tuple[tuple[int, int], str]]) -> np.ndarray:
    """Red dots with white labels (A, B, 1, 2, ...) at pixel points; returns a new image."""
    img = Image.fromarray(rgb)
    d = ImageDraw.Draw(img)
    s = _scale(img)
    r = 15 * s
    font = _font(int(round(20 * s)))
    for (x, y), label in points:
        d.ellipse([x - r, y - r, x + r, y + r], fill=DOT_COLOR, outline=(255, 255, 255), width=max(1, int(2 * s)))
        d.text((x, y), label, fill=(255, 255, 255), font=font, anchor="mm")
    return np.asarray(img).copy()


def draw_boxes(rgb: np.ndarray, boxes: list[tuple[tuple[int, int, int, int], str]]) -> np.ndarray:
    """Coloured rectangles (colour names from BOX_COLORS) around 2D boxes (x0, y0, x1, y1); returns a new image."""
    img = Image.fromarray(rgb)
    d = ImageDraw.Draw(img)
    w = max(2, int(round(3 * _scale(img))))
    for (x0, y0, x1, y1), color in boxes:
        d.rectangle([x0, y0, x1, y1], outline=BOX_COLORS[color], width=w)
    return np.asarray(img).copy()


def draw_x(rgb: np.ndarray, point: tuple[int, int], label: str = "X") -> np.ndarray:
    """A yellow-ringed X mark at a pixel (the perspective questions' 'X marked point'); returns a new image."""
    img = Image.fromarray(rgb)
    d = ImageDraw.Draw(img)
    s = _scale(img)
    r = 14 * s
    x, y = point
    lw = max(2, int(round(4 * s)))
    d.ellipse([x - r - lw, y - r - lw, x + r + lw, y + r + lw], fill=(255, 255, 255))
    d.line([(x - r, y - r), (x + r, y + r)], fill=(200, 0, 160), width=lw)
    d.line([(x - r, y + r), (x + r, y - r)], fill=(200, 0, 160), width=lw)
    return np.asarray(img).copy()

"""Marks drawn on a copy of a frame, as SAT does: labelled dots, coloured boxes, and an X for perspective questions.

Marks are built to be read at training resolutions (128-224 px) and never to hide what they mark:

- Dots carry their label in a colour of their own (A / 1 red, B / 2 blue, C / 3 green, as SAT's boxes differ by
  colour), so a model can tell two marks apart without reading the letter; the letter is large and bold enough to
  read at 224 px.
- A dot's radius is sized from the object (its area at most DOT_AREA_SHARE of the object's visible pixels) within
  bounds set by the image (at least what keeps the letter legible at 224 px). Whether the result still hides too
  much of a small object is the visibility rule's call (qa.visibility.MAX_MARK_COVER).
- Boxes are drawn just outside the object's 2D box, so they never cover the object's own pixels.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

BOX_COLORS = {"red": (230, 30, 30), "blue": (30, 80, 235), "green": (20, 160, 40), "yellow": (240, 200, 0)}
# Dot colours by label: the k-th letter or number gets the k-th colour (the box colours, in the same order).
LABEL_COLOR_ORDER = ("red", "blue", "green")
DOT_AREA_SHARE = 0.2  # a dot's area is at most this share of its object's visible pixels (when the bounds allow)
# Dot radius bounds as shares of the image's shorter side (scale-free, so the same objects can be marked at 224 and
# 512 px): 8 px at 224 is the smallest disc whose bold letter stays legible after 4:2:0 JPEG (checked by eye at 128,
# 224 and 512 px); SAT's dots were 15 px at 512 (0.029), too small to read once the image is scaled to 224.
DOT_MIN_RADIUS = 0.036
DOT_MAX_RADIUS = 0.044
X_RADIUS = 14.0  # px at 512: the perspective X's half-size (scaled, at least X_MIN_RADIUS_PX)
X_MIN_RADIUS_PX = 6.0


@functools.lru_cache(maxsize=32)
def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _side(width: int, height: int) -> float:
    return min(width, height) / 512.0


def label_color(label: str) -> tuple[int, int, int]:
    """RGB of a dot by its label: "A" / "1" red, "B" / "2" blue, "C" / "3" green (then again from red)."""
    if label.isdigit():
        k = int(label) - 1
    elif len(label) == 1 and label.isalpha():
        k = ord(label.upper()) - ord("A")
    else:
        raise ValueError(f"dot labels are single letters or numbers, got {label!r}")
    return BOX_COLORS[LABEL_COLOR_ORDER[k % len(LABEL_COLOR_ORDER)]]


def dot_radius(width: int, height: int, pixels: float | None = None) -> float:
    """A dot's radius in px for an image of width x height and an object with `pixels` visible pixels (None: the
    largest dot): sqrt(DOT_AREA_SHARE * pixels / pi) clipped to DOT_MIN_RADIUS..DOT_MAX_RADIUS of the shorter side,
    rounded to whole pixels."""
    side = min(width, height)
    lo, hi = DOT_MIN_RADIUS * side, DOT_MAX_RADIUS * side
    r = hi if pixels is None else min(max(math.sqrt(DOT_AREA_SHARE * pixels / math.pi), lo), hi)
    return float(round(r))  # whole pixels: PIL then draws exactly the pixels within r + 0.5 of the centre


def box_line_width(width: int, height: int) -> int:
    """Outline width of a box mark: 3 px at 512, at least 2."""
    return max(2, int(round(3 * _side(width, height))))


def _x_size(width: int, height: int) -> tuple[int, int]:
    """(radius of the X's strokes' disc, line width) in whole pixels."""
    s = _side(width, height)
    return int(round(max(X_RADIUS * s, X_MIN_RADIUS_PX))), max(2, int(round(4 * s)))


def x_radius(width: int, height: int) -> float:
    """Radius of the perspective X mark including its white disc, in px (everything drawn lies within x_radius + 0.5
    of the point)."""
    r, lw = _x_size(width, height)
    return float(r + lw)


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


def _draw_dot(d: ImageDraw.ImageDraw, cx: float, cy: float, r: float, label: str) -> None:
    lw = max(1, int(round(r / 7)))
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=label_color(label), outline=(255, 255, 255), width=lw)
    size = max(7, int(round((1.45 if len(label) == 1 else 1.0) * r)))
    # A stroke in the letter's own colour makes it bold: thin strokes vanish in 4:2:0 JPEG at 224 px.
    d.text((cx, cy), label, fill=(255, 255, 255), font=_font(size), anchor="mm",
           stroke_width=max(0, int(round(r / 9))), stroke_fill=(255, 255, 255))


def draw_dots(rgb: np.ndarray, dots: list[tuple[tuple[int, int], str, float]]) -> np.ndarray:
    """Dots coloured by label (see :func:`label_color`) with white labels, as ((x, y), label, radius); returns a new
    image. Each dot is drawn on a small crop around it (PIL draws at integer offsets identically), which is several
    times faster than converting the whole frame to a PIL image and back."""
    out = np.array(rgb, dtype=np.uint8, copy=True)
    h, w = out.shape[:2]
    for (x, y), label, r in dots:
        m = int(math.ceil(r)) + 2  # the dot, its outline and its label all lie within radius r of the centre
        x0, y0, x1, y1 = max(0, x - m), max(0, y - m), min(w, x + m + 1), min(h, y + m + 1)
        if x0 >= x1 or y0 >= y1:
            continue
        crop = Image.fromarray(np.ascontiguousarray(out[y0:y1, x0:x1]))
        _draw_dot(ImageDraw.Draw(crop), x - x0, y - y0, r, label)
        out[y0:y1, x0:x1] = np.asarray(crop)
    return out


def draw_boxes(rgb: np.ndarray, boxes: list[tuple[tuple[int, int, int, int], str]]) -> np.ndarray:
    """Coloured rectangles (colour names from BOX_COLORS) just outside 2D boxes (x0, y0, x1, y1), inclusive pixel
    bounds; returns a new image. The outline is :func:`box_line_width` px wide and lies entirely outside the box, so
    the boxed object's own pixels stay as they are; parts outside the image are not drawn."""
    out = np.array(rgb, dtype=np.uint8, copy=True)
    h, w = out.shape[:2]
    lw = box_line_width(w, h)
    for (x0, y0, x1, y1), color in boxes:
        c = BOX_COLORS[color]
        x0, y0, x1, y1 = int(x0), int(y0), int(x1), int(y1)
        if x1 < x0 or y1 < y0:
            raise ValueError(f"box {(x0, y0, x1, y1)} has x1 < x0 or y1 < y0")
        _fill(out, y0 - lw, y0, x0 - lw, x1 + lw + 1, c)  # top
        _fill(out, y1 + 1, y1 + lw + 1, x0 - lw, x1 + lw + 1, c)  # bottom
        _fill(out, y0, y1 + 1, x0 - lw, x0, c)  # left
        _fill(out, y0, y1 + 1, x1 + 1, x1 + lw + 1, c)  # right
    return out


def _fill(img: np.ndarray, y0: int, y1: int, x0: int, x1: int, color) -> None:
    """Paint rows [y0, y1) x columns [x0, x1), clipped to the image (parts outside it are not drawn)."""
    h, w = img.shape[:2]
    y0, y1, x0, x1 = max(y0, 0), min(y1, h), max(x0, 0), min(x1, w)
    if y0 < y1 and x0 < x1:
        img[y0:y1, x0:x1] = color


def draw_x(rgb: np.ndarray, point: tuple[int, int]) -> np.ndarray:
    """A magenta X on a white disc at a pixel (the perspective questions' 'X marked point'); returns a new image.
    Everything drawn lies within :func:`x_radius` + 0.5 of the point."""
    img = Image.fromarray(rgb)
    d = ImageDraw.Draw(img)
    r, lw = _x_size(*img.size)
    x, y = point
    d.ellipse([x - r - lw, y - r - lw, x + r + lw, y + r + lw], fill=(255, 255, 255))
    k = r * 0.75  # the strokes' ends stay inside the disc
    d.line([(x - k, y - k), (x + k, y + k)], fill=(200, 0, 160), width=lw)
    d.line([(x - k, y + k), (x + k, y - k)], fill=(200, 0, 160), width=lw)
    return np.asarray(img).copy()

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


def _scale(width: int, height: int) -> float:
    return max(min(width, height) / 512.0, 0.55)


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
    """Red dots with white labels (A, B, 1, 2, ...) at pixel points; returns a new image.

    Each dot is drawn on a small crop around it (PIL draws at integer offsets identically), which is several times
    faster than converting the whole frame to a PIL image and back."""
    out = np.array(rgb, dtype=np.uint8, copy=True)
    h, w = out.shape[:2]
    s = _scale(w, h)
    r = 15 * s
    size = int(round(20 * s))
    font = _font(size)
    lw = max(1, int(2 * s))
    for (x, y), label in points:
        # The dot (radius r plus its outline) and a label of a few characters centred on it fit in the crop.
        m = int(np.ceil(r)) + lw + 2 + size * max(1, len(label))
        x0, y0, x1, y1 = max(0, x - m), max(0, y - m), min(w, x + m + 1), min(h, y + m + 1)
        if x0 >= x1 or y0 >= y1:
            continue
        crop = Image.fromarray(np.ascontiguousarray(out[y0:y1, x0:x1]))
        d = ImageDraw.Draw(crop)
        cx, cy = x - x0, y - y0
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=DOT_COLOR, outline=(255, 255, 255), width=lw)
        d.text((cx, cy), label, fill=(255, 255, 255), font=font, anchor="mm")
        out[y0:y1, x0:x1] = np.asarray(crop)
    return out


def draw_boxes(rgb: np.ndarray, boxes: list[tuple[tuple[int, int, int, int], str]]) -> np.ndarray:
    """Coloured rectangles (colour names from BOX_COLORS) around 2D boxes (x0, y0, x1, y1); returns a new image.

    The outline is `lw` pixels wide inside the box (as PIL's ``rectangle(width=lw)``), painted with array slices."""
    out = np.array(rgb, dtype=np.uint8, copy=True)
    h, w = out.shape[:2]
    lw = max(2, int(round(3 * _scale(w, h))))
    for (x0, y0, x1, y1), color in boxes:
        c = BOX_COLORS[color]
        x0, y0, x1, y1 = int(x0), int(y0), int(x1), int(y1)
        if x1 < x0 or y1 < y0:
            raise ValueError(f"box {(x0, y0, x1, y1)} has x1 < x0 or y1 < y0")
        if x1 - x0 + 1 < 2 * lw or y1 - y0 + 1 < 2 * lw:
            # Thinner than two outlines: PIL's rectangle then spills past the box; draw it with PIL (on a crop).
            m = 2 * lw + 2
            cx0, cy0, cx1, cy1 = max(0, x0 - m), max(0, y0 - m), min(w, x1 + m + 1), min(h, y1 + m + 1)
            if cx0 < cx1 and cy0 < cy1:
                crop = Image.fromarray(np.ascontiguousarray(out[cy0:cy1, cx0:cx1]))
                ImageDraw.Draw(crop).rectangle([x0 - cx0, y0 - cy0, x1 - cx0, y1 - cy0], outline=c, width=lw)
                out[cy0:cy1, cx0:cx1] = np.asarray(crop)
            continue
        _fill(out, y0, min(y0 + lw, y1 + 1), x0, x1 + 1, c)  # top
        _fill(out, max(y1 - lw + 1, y0), y1 + 1, x0, x1 + 1, c)  # bottom
        _fill(out, y0, y1 + 1, x0, min(x0 + lw, x1 + 1), c)  # left
        _fill(out, y0, y1 + 1, max(x1 - lw + 1, x0), x1 + 1, c)  # right
    return out


def _fill(img: np.ndarray, y0: int, y1: int, x0: int, x1: int, color) -> None:
    """Paint rows [y0, y1) x columns [x0, x1), clipped to the image (parts outside it are not drawn)."""
    h, w = img.shape[:2]
    y0, y1, x0, x1 = max(y0, 0), min(y1, h), max(x0, 0), min(x1, w)
    if y0 < y1 and x0 < x1:
        img[y0:y1, x0:x1] = color


def draw_x(rgb: np.ndarray, point: tuple[int, int], label: str = "X") -> np.ndarray:
    """A yellow-ringed X mark at a pixel (the perspective questions' 'X marked point'); returns a new image."""
    img = Image.fromarray(rgb)
    d = ImageDraw.Draw(img)
    s = _scale(*img.size)
    r = 14 * s
    x, y = point
    lw = max(2, int(round(4 * s)))
    d.ellipse([x - r - lw, y - r - lw, x + r + lw, y + r + lw], fill=(255, 255, 255))
    d.line([(x - r, y - r), (x + r, y + r)], fill=(200, 0, 160), width=lw)
    d.line([(x - r, y + r), (x + r, y - r)], fill=(200, 0, 160), width=lw)
    return np.asarray(img).copy()

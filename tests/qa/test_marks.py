"""Marks drawn on crops / with array slices are pixel-identical to PIL drawing on the whole frame."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from qa import marks as mk


def _scale(w: int, h: int) -> float:
    return max(min(w, h) / 512.0, 0.55)


def _dots_reference(rgb, points):
    img = Image.fromarray(rgb)
    d = ImageDraw.Draw(img)
    s = _scale(*img.size)
    r = 15 * s
    font = mk._font(int(round(20 * s)))
    for (x, y), label in points:
        d.ellipse([x - r, y - r, x + r, y + r], fill=mk.DOT_COLOR, outline=(255, 255, 255), width=max(1, int(2 * s)))
        d.text((x, y), label, fill=(255, 255, 255), font=font, anchor="mm")
    return np.asarray(img)


def _boxes_reference(rgb, boxes):
    img = Image.fromarray(rgb)
    d = ImageDraw.Draw(img)
    lw = max(2, int(round(3 * _scale(*img.size))))
    for box, color in boxes:
        d.rectangle(list(box), outline=mk.BOX_COLORS[color], width=lw)
    return np.asarray(img)


@pytest.mark.parametrize("shape", [(512, 512), (224, 224), (300, 400), (96, 128)])
def test_marks_match_whole_frame_pil_drawing(shape):
    h, w = shape
    rng = np.random.default_rng(h * w)
    for _ in range(60):
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        # Dots anywhere, including on the border, overlapping each other, with 1-2 character labels.
        pts = [((int(rng.integers(w)), int(rng.integers(h))), str(rng.choice(["A", "B", "1", "2", "10"])))
               for _ in range(int(rng.integers(1, 4)))]
        np.testing.assert_array_equal(mk.draw_dots(img, pts), _dots_reference(img, pts))
        # Boxes of every size, thin ones (where PIL's outline spills past the box) and ones on the border included.
        boxes = []
        for _ in range(int(rng.integers(1, 4))):
            x0, x1 = sorted(int(v) for v in rng.integers(0, w, 2))
            y0, y1 = sorted(int(v) for v in rng.integers(0, h, 2))
            boxes.append(((x0, y0, x1, y1), str(rng.choice(list(mk.BOX_COLORS)))))
        np.testing.assert_array_equal(mk.draw_boxes(img, boxes), _boxes_reference(img, boxes))


def test_boxes_partly_or_wholly_outside_the_image():
    img = np.zeros((100, 100, 3), np.uint8)
    for box in [(-10, -10, 50, 50), (-20, 10, -5, 60), (-3, -3, 3, 3), (90, 95, 130, 140), (120, 5, 150, 40),
                (-30, -30, 140, 140)]:
        ref = _boxes_reference(img, [(box, "red")])
        np.testing.assert_array_equal(mk.draw_boxes(img, [(box, "red")]), ref, err_msg=str(box))


def test_marks_do_not_touch_the_input():
    img = np.full((64, 64, 3), 7, np.uint8)
    mk.draw_dots(img, [((10, 10), "A")])
    mk.draw_boxes(img, [((5, 5, 40, 40), "red")])
    assert (img == 7).all()


def test_inverted_box_is_an_error():
    with pytest.raises(ValueError, match="x1 < x0"):
        mk.draw_boxes(np.zeros((8, 8, 3), np.uint8), [((5, 1, 2, 6), "red")])

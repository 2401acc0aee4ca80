"""Marks: drawn on crops / with array slices exactly as PIL draws on the whole frame; sized from the image and the
object; coloured by label; boxes never touch the boxed object; the geometry the visibility rule uses to predict what
a mark covers contains every pixel the mark inks."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from qa import marks as mk
from qa.visibility import mark_ink


def _dots_reference(rgb, dots):
    img = Image.fromarray(rgb)
    d = ImageDraw.Draw(img)
    for (x, y), label, r in dots:
        mk._draw_dot(d, x, y, r, label)
    return np.asarray(img)


def _boxes_reference(rgb, boxes):
    img = Image.fromarray(rgb)
    d = ImageDraw.Draw(img)
    lw = mk.box_line_width(*img.size)
    for (x0, y0, x1, y1), color in boxes:
        d.rectangle([x0 - lw, y0 - lw, x1 + lw, y1 + lw], outline=mk.BOX_COLORS[color], width=lw)
    return np.asarray(img)


@pytest.mark.parametrize("shape", [(512, 512), (224, 224), (300, 400), (96, 128)])
def test_marks_match_whole_frame_pil_drawing(shape):
    h, w = shape
    rng = np.random.default_rng(h * w)
    for _ in range(60):
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        # Dots anywhere, including on the border, overlapping each other, of every size the rule draws.
        dots = [((int(rng.integers(w)), int(rng.integers(h))), str(rng.choice(["A", "B", "C", "1", "2", "3"])),
                 mk.dot_radius(w, h, float(rng.integers(0, 5000)))) for _ in range(int(rng.integers(1, 4)))]
        np.testing.assert_array_equal(mk.draw_dots(img, dots), _dots_reference(img, dots))
        # Boxes of every size (one-pixel ones included) and ones on the border.
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


def test_a_box_never_covers_its_object():
    rng = np.random.default_rng(1)
    img = np.zeros((224, 224, 3), np.uint8)
    for _ in range(50):
        x0, x1 = sorted(int(v) for v in rng.integers(0, 224, 2))
        y0, y1 = sorted(int(v) for v in rng.integers(0, 224, 2))
        out = mk.draw_boxes(img, [((x0, y0, x1, y1), "blue")])
        assert not out[y0:y1 + 1, x0:x1 + 1].any()  # nothing inside the box is painted
        lw = mk.box_line_width(224, 224)
        ring = out[max(0, y0 - lw):y1 + lw + 1, max(0, x0 - lw):x1 + lw + 1].any(axis=-1)
        assert ring.sum() > 0 or (x0 < lw and y0 < lw and x1 > 223 - lw and y1 > 223 - lw)


def test_marks_do_not_touch_the_input():
    img = np.full((64, 64, 3), 7, np.uint8)
    mk.draw_dots(img, [((10, 10), "A", 6.0)])
    mk.draw_boxes(img, [((5, 5, 40, 40), "red")])
    mk.draw_x(img, (30, 30))
    assert (img == 7).all()


def test_inverted_box_is_an_error():
    with pytest.raises(ValueError, match="x1 < x0"):
        mk.draw_boxes(np.zeros((8, 8, 3), np.uint8), [((5, 1, 2, 6), "red")])


def test_labels_have_distinct_colours():
    # A and B (1 and 2) differ by colour, as SAT's boxes do, so a model can tell them apart without reading letters.
    assert mk.label_color("A") == mk.label_color("1") == mk.BOX_COLORS["red"]
    assert mk.label_color("B") == mk.label_color("2") == mk.BOX_COLORS["blue"]
    assert mk.label_color("C") == mk.label_color("3") == mk.BOX_COLORS["green"]
    with pytest.raises(ValueError, match="single letters or numbers"):
        mk.label_color("AB")


def test_dot_sizes_are_scale_free_and_follow_the_object():
    for w in (128, 224, 512):
        lo, hi = mk.dot_radius(w, w, 0), mk.dot_radius(w, w)
        # whole pixels within DOT_MIN_RADIUS..DOT_MAX_RADIUS of the side (the rounding is at most half a pixel)
        assert lo == int(lo) and abs(lo - mk.DOT_MIN_RADIUS * w) <= 0.5 and abs(hi - mk.DOT_MAX_RADIUS * w) <= 0.5
        sizes = [mk.dot_radius(w, w, p) for p in (0, 0.01 * w * w, 0.05 * w * w, w * w)]
        assert sizes == sorted(sizes)  # larger objects get larger (never smaller) dots
    assert mk.dot_radius(224, 224, 0) >= 8  # legible at 224 px (checked by eye)


def test_predicted_cover_contains_every_inked_pixel():
    # The visibility rule predicts from geometry which pixels a mark covers; every pixel the drawing changes must be
    # inside the prediction (else a mark could hide more than the rule allows).
    rng = np.random.default_rng(2)
    for w in (128, 224, 512):
        for _ in range(40):
            img = np.zeros((w, w, 3), np.uint8)
            dots = [((int(rng.integers(w)), int(rng.integers(w))), str(rng.choice(["A", "B", "2"])),
                     mk.dot_radius(w, w, float(rng.integers(0, 8000)))) for _ in range(2)]
            xp = (int(rng.integers(w)), int(rng.integers(w)))
            x0, x1 = sorted(int(v) for v in rng.integers(0, w, 2))
            y0, y1 = sorted(int(v) for v in rng.integers(0, w, 2))
            out = mk.draw_x(mk.draw_boxes(mk.draw_dots(img, dots), [((x0, y0, x1, y1), "green")]), xp)
            ink = out.any(axis=-1)
            discs = [(p, r) for p, _, r in dots] + [(xp, mk.x_radius(w, w))]
            rings = [((x0, y0, x1, y1), mk.box_line_width(w, w))]
            predicted = mark_ink((w, w), (0, 0), discs, rings)
            assert not (ink & ~predicted).any()
            # and the prediction is tight: the discs' rims are all it adds
            assert predicted.sum() - ink.sum() <= 0.25 * predicted.sum()

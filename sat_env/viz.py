"""Pictures for people: top-down floor plans, depth and instance-id images."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOM_FILL = {
    "Kitchen": (253, 236, 200),
    "LivingRoom": (214, 234, 248),
    "Bedroom": (226, 240, 217),
    "Bathroom": (232, 222, 248),
}


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def id_colors(n: int) -> np.ndarray:
    """A fixed, well-spread colour per instance id (0 = black)."""
    i = np.arange(n, dtype=np.uint64)
    h = (i * np.uint64(2654435761)) & np.uint64(0xFFFFFF)
    cols = np.stack([(h >> np.uint64(16)) & np.uint64(255), (h >> np.uint64(8)) & np.uint64(255), h & np.uint64(255)], 1)
    cols = (cols.astype(np.float64) * 0.75 + 48).astype(np.uint8)
    cols[0] = 0
    return cols


def ids_image(ids: np.ndarray) -> Image.Image:
    """Colour-coded instance ids."""
    return Image.fromarray(id_colors(int(ids.max()) + 1)[ids])


def depth_image(depth: np.ndarray) -> Image.Image:
    """16-bit PNG of depth in millimetres (0 = no surface), the common convention for metric depth images."""
    mm = np.clip(np.round(depth * 1000.0), 0, 65535).astype(np.uint16)
    return Image.fromarray(mm)


def depth_preview(depth: np.ndarray, max_depth: float = 8.0) -> Image.Image:
    """8-bit greyscale depth for looking at (near = bright)."""
    d = np.clip(depth / max_depth, 0, 1)
    v = np.where(depth > 0, (1.0 - d) * 235 + 20, 0).astype(np.uint8)
    return Image.fromarray(v)


def topdown(scene, agent=None, fov: float = 90.0, path=None, px_per_m: int = 80, margin: float = 0.6) -> Image.Image:
    """Floor plan: rooms (coloured, named), walls, doorways, labelled objects, the agent and its view cone.

    Args:
        scene: a :class:`sat_env.scene.build.Scene`.
        agent: optional (x, z, yaw) of the agent.
        fov: horizontal field of view of the cone in degrees.
        path: optional list of (x, z) points drawn as a line.
    """
    polys = [r.polygon for r in scene.rooms]
    allp = np.concatenate(polys)
    lo, hi = allp.min(axis=0) - margin, allp.max(axis=0) + margin
    w, h = int((hi[0] - lo[0]) * px_per_m), int((hi[1] - lo[1]) * px_per_m)
    img = Image.new("RGB", (w, h), (255, 255, 255))
    d = ImageDraw.Draw(img)

    def P(x, z):  # world x right, z up the page
        return ((x - lo[0]) * px_per_m, (hi[1] - z) * px_per_m)

    for r in scene.rooms:
        d.polygon([P(*p) for p in r.polygon], fill=ROOM_FILL.get(r.room_type, (240, 240, 240)))
    for x0, z0, x1, z1, _ in scene.structure_obstacles:
        a, b = P(x0, z1), P(x1, z0)
        d.rectangle([a, b], fill=(60, 60, 60))
    small = _font(max(9, px_per_m // 7))
    big = _font(max(12, px_per_m // 4))
    room_boxes = []
    for r in scene.rooms:
        c = r.polygon.mean(axis=0)
        d.text(P(c[0], c[1]), r.room_type, fill=(120, 120, 120), font=big, anchor="mm")
        room_boxes.append(d.textbbox(P(c[0], c[1]), r.room_type, font=big, anchor="mm"))
    objs = sorted(scene.objects.values(), key=lambda o: o.y_range[0])
    for o in objs:
        corners = _footprint_corners(o)
        outline = (40, 90, 160) if o.parent is None else (200, 90, 40)
        d.polygon([P(x, z) for x, z in corners], outline=outline, width=2 if o.parent is None else 1)
    # Labels: floor furniture first, then what stands on it; a label that would overlap one already drawn is left
    # out (its outline stays), so clusters of small objects do not turn into unreadable ink
    order = sorted(objs, key=lambda o: (o.parent is not None, -(o.size[0] * o.size[2])))
    boxes = [d.textbbox(P(o.center[0], o.center[2]), o.object_type, font=small, anchor="mm") for o in order]
    for k in place_labels(room_boxes + boxes, reserved=len(room_boxes)):  # room names come first
        o = order[k - len(room_boxes)]
        d.text(P(o.center[0], o.center[2]), o.object_type, fill=(20, 40, 90) if o.parent is None else (150, 60, 20),
               font=small, anchor="mm")
    if path is not None and len(path) > 1:
        d.line([P(x, z) for x, z in path], fill=(220, 40, 40), width=3)
    if agent is not None:
        x, z, yaw = agent
        r = 0.2 * px_per_m
        cx, cy = P(x, z)
        for sgn in (-1, 1):
            a = np.radians(yaw + sgn * fov / 2)
            d.line([(cx, cy), P(x + 1.5 * np.sin(a), z + 1.5 * np.cos(a))], fill=(230, 60, 60), width=2)
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(230, 60, 60))
        t = np.radians(yaw)
        d.line([(cx, cy), P(x + 0.35 * np.sin(t), z + 0.35 * np.cos(t))], fill=(255, 255, 255), width=3)
    return img


def place_labels(boxes, pad: float = 2.0, reserved: int = 0) -> list[int]:
    """Indices of the label boxes (x0, y0, x1, y1) to draw, in priority order: each is kept unless it comes within
    `pad` pixels of one already kept. The first `reserved` boxes are drawn already (kept, not returned)."""
    kept: list[int] = list(range(reserved))
    for k, a in enumerate(boxes[reserved:], start=reserved):
        if not any(a[0] < boxes[j][2] + pad and boxes[j][0] < a[2] + pad and a[1] < boxes[j][3] + pad
                   and boxes[j][1] < a[3] + pad for j in kept):
            kept.append(k)
    return kept[reserved:]


def letterbox(img: Image.Image, size: tuple[int, int], fill=(255, 255, 255)) -> Image.Image:
    """`img` scaled to fit inside `size` (width, height), aspect kept, centred on a `fill` background: frames of one
    fixed size for video recorders, whatever the apartment's shape."""
    w, h = size
    k = min(w / img.width, h / img.height)
    fitted = img.resize((max(1, round(img.width * k)), max(1, round(img.height * k))))
    out = Image.new("RGB", (w, h), fill)
    out.paste(fitted, ((w - fitted.width) // 2, (h - fitted.height) // 2))
    return out


def _footprint_corners(o) -> np.ndarray:
    t = np.radians(o.yaw)
    c, s = np.cos(t), np.sin(t)
    hx, hz = o.size[0] / 2, o.size[2] / 2
    local = np.array([[-hx, -hz], [hx, -hz], [hx, hz], [-hx, hz]])
    wx = local[:, 0] * c + local[:, 1] * s + o.center[0]
    wz = -local[:, 0] * s + local[:, 1] * c + o.center[2]
    return np.stack([wx, wz], axis=1)


def grouped_bars(rows: list[dict], label_key: str, series: list[tuple[str, tuple[int, int, int]]], title: str,
                 path) -> None:
    """A bar chart PNG of values in [0, 1]: one group per row (labelled by ``row[label_key]``), one bar per
    (key, colour) of ``series``; missing or non-finite values are left out."""
    from PIL import ImageDraw

    font = _font(13)
    n, k = len(rows), len(series)
    bw, gap, left, top, hgt = 14, 22, 60, 30, 260
    width = left + n * (k * bw + gap) + 20
    img = Image.new("RGB", (max(width, 400), top + hgt + 150), "white")
    d = ImageDraw.Draw(img)
    d.text((left, 8), title, fill="black", font=font)
    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + hgt - v * hgt
        d.line([(left - 5, y), (max(width, 400) - 10, y)], fill=(225, 225, 225))
        d.text((left - 10, y), f"{v:.2f}", fill="black", font=font, anchor="rm")
    for i, r in enumerate(rows):
        x = left + i * (k * bw + gap)
        for j, (key, col) in enumerate(series):
            v = r.get(key)
            if v is None or v == "" or not np.isfinite(float(v)):
                continue
            v = float(v)
            d.rectangle([x + j * bw, top + hgt - v * hgt, x + (j + 1) * bw - 2, top + hgt], fill=col)
        label = Image.new("RGBA", (160, 16), (255, 255, 255, 0))
        ImageDraw.Draw(label).text((0, 0), str(r[label_key]), fill="black", font=font)
        label = label.rotate(60, expand=True)
        img.paste(label, (x - 10, top + hgt + 4), label)
    img.save(path)

"""`sat stats DIR`: what an export holds: counts per family and split, answer-label balance, image sizes, a chart."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from sat_env.errors import ConfigError


def export_stats(root) -> dict:
    """Counts per split and family, label shares per family, image sizes (from the shard markers and images)."""
    root = Path(root)
    markers = sorted((root / "shards").glob("*.json")) if (root / "shards").is_dir() else []
    if not markers:
        raise ConfigError(f"{root} has no completed shards: is it a `sat export` output folder?")
    per_split: dict[str, Counter] = defaultdict(Counter)
    labels: dict[str, Counter] = defaultdict(Counter)
    for m in markers:
        d = json.loads(m.read_text())
        per_split[d["split"]].update(d["families"])
        for key, n in d["labels"].items():
            fam, label = key.split(":", 1)
            labels[fam][label] += n
    sizes = Counter()
    from PIL import Image

    for split in per_split:
        folder = root / "images" / split
        for f in sorted(folder.glob("*/*"))[:200]:  # a sample is enough: every image of an export has one size
            with Image.open(f) as im:
                sizes[f"{im.width}x{im.height}"] += 1
    return {"splits": {s: dict(sorted(c.items())) for s, c in per_split.items()},
            "records": {s: sum(c.values()) for s, c in per_split.items()},
            "labels": {f: {k: v / sum(c.values()) for k, v in sorted(c.items())} for f, c in sorted(labels.items())},
            "image_sizes": dict(sizes)}


def write_chart(stats: dict, path) -> None:
    """Horizontal bars: QAs per family (all splits)."""
    from PIL import Image, ImageDraw, ImageFont

    total = Counter()
    for c in stats["splits"].values():
        total.update(c)
    fams = sorted(total)
    font = ImageFont.load_default()
    row, left, width = 22, 170, 420
    img = Image.new("RGB", (left + width + 80, 40 + row * len(fams)), "white")
    d = ImageDraw.Draw(img)
    d.text((10, 10), f"QAs per family ({sum(total.values())} in all)", fill="black", font=font)
    top = max(total.values()) if total else 1
    for i, f in enumerate(fams):
        y = 34 + i * row
        d.text((10, y + 3), f, fill="black", font=font)
        w = int(width * total[f] / top)
        d.rectangle([left, y, left + w, y + row - 6], fill=(60, 110, 200))
        d.text((left + w + 6, y + 3), str(total[f]), fill="black", font=font)
    img.save(path)

"""Reading exported datasets back: one torch-free iterator of QA records for every format.

    from finetune.data import iter_records
    for rec in iter_records("export/", fmt="messages", split="train"):
        rec["question"], rec["answers"], rec["correct_index"], rec["images"]  # images: PIL images

The `sat` format is also plain parquet for Hugging Face `datasets`:
``datasets.load_dataset("parquet", data_dir="export/sat/train", split="train")`` (``images`` decode to PIL).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Iterator

from qa.prompts import SAT_PROMPT_SUFFIX
from sat_env.errors import ConfigError

_CHOICES = re.compile(r' Choose between the following options: (.*)\.$', re.S)


def _open(path: Path, load_images: bool):
    return open_image(path) if load_images else str(path)


def _shards(root: Path, fmt: str, split: str, pattern: str) -> list[Path]:
    files = sorted((root / fmt / split).glob(pattern))
    if not files:
        raise ConfigError(f"no {fmt} files for split {split!r} under {root}: is this a `sat export` folder with "
                          f"--format {fmt}?")
    return files


def open_image(ref):
    """A PIL RGB image from what ``iter_records(load_images="lazy")`` yields (a file path or encoded bytes), from a
    PIL image, or from an (H, W, 3) uint8 array (what the streaming source yields)."""
    import numpy as np
    from PIL import Image

    if isinstance(ref, np.ndarray):
        return Image.fromarray(ref)
    if isinstance(ref, Image.Image):
        return ref if ref.mode == "RGB" else ref.convert("RGB")
    if isinstance(ref, (bytes, bytearray)):
        with Image.open(io.BytesIO(ref)) as im:
            return im.convert("RGB")
    with Image.open(ref) as im:
        return im.convert("RGB")


def iter_records(root, fmt: str = "sat", split: str = "train", load_images: bool | str = True) -> Iterator[dict]:
    """Records with id, family, question_type, question, answers, correct_index, correct_answer, truth (the ground
    truth: family numbers, objects, label, numeric answer and unit, image roles) and images, in export order.

    ``images`` holds PIL images (``load_images=True``); file paths, or None for the sat format, with
    ``load_images=False`` (no image bytes read); or with ``"lazy"`` file paths / encoded bytes (sat) that
    :func:`open_image` decodes when needed (a training set of thousands of QAs without decoding them all)."""
    root = Path(root)
    lazy = load_images == "lazy"
    load_images = bool(load_images) and not lazy
    if fmt == "sat":
        import pyarrow.parquet as pq

        for f in _shards(root, "sat", split, "shard-*.parquet"):
            if load_images or lazy:
                rows = pq.read_table(f).to_pylist()
            else:  # leave the image bytes on disk; the count comes from the truth's image roles
                names = [n for n in pq.read_schema(f).names if n != "images"]
                rows = pq.read_table(f, columns=names).to_pylist()
            for row in rows:
                row["truth"] = json.loads(row["truth"])
                if lazy:
                    row["images"] = [i["bytes"] for i in row["images"]]
                elif load_images:
                    row["images"] = [open_image(i["bytes"]) for i in row["images"]]
                else:
                    row["images"] = [None for _ in row["truth"]["image_roles"]]
                yield row
    elif fmt == "llava":
        for f in _shards(root, "llava", split, "shard-*.json"):
            for rec in json.loads(f.read_text()):
                paths = rec["image"] if isinstance(rec["image"], list) else [rec["image"]]
                yield {"id": rec["id"], "family": rec["family"], "question_type": rec["question_type"],
                       "question": _question(rec["conversations"][0]["value"].split("\n")[-1]),
                       "answers": rec["answers"], "correct_index": rec["correct_index"],
                       "correct_answer": rec["conversations"][1]["value"], "truth": rec.get("truth"),
                       "images": [_open(root / p, load_images) for p in paths]}
    elif fmt == "messages":
        for f in _shards(root, "messages", split, "shard-*.jsonl"):
            for line in f.read_text().splitlines():
                rec = json.loads(line)
                user, assistant = rec["messages"]
                text = next(c["text"] for c in user["content"] if c["type"] == "text")
                yield {"id": rec["id"], "family": rec["family"], "question_type": rec["question_type"],
                       "question": _question(text), "answers": rec["answers"], "correct_index": rec["correct_index"],
                       "correct_answer": assistant["content"][0]["text"], "truth": rec.get("truth"),
                       "images": [_open(root / c["image"], load_images) for c in user["content"]
                                  if c["type"] == "image"]}
    else:
        raise ConfigError(f"unknown format {fmt!r}: use sat, llava or messages")


def _question(prompt: str) -> str:
    """The question text back from a SAT prompt body."""
    q = _CHOICES.sub("", prompt)
    return q[: -len(SAT_PROMPT_SUFFIX) - 1] if q.endswith(" " + SAT_PROMPT_SUFFIX) else q

"""What every export format shares: the ground-truth block each record carries, JSON encoding, decoding an image
reference, listing a format's shard files, and the question back from a SAT prompt."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from pathlib import Path

import numpy as np

from qa.prompts import SAT_PROMPT_SUFFIX
from sat_env.errors import ConfigError, SatEnvError

_CHOICES = re.compile(r' Choose between the following options: (.*)\.$', re.S)


def truth_block(rec: dict) -> dict:
    """The ground truth every format carries (the sat format as a JSON string column): the family's numbers, the
    objects asked about, the answer label, the numeric answer and unit of metric questions, each image's role and
    the house."""
    return {"truth": rec["truth"], "objects": rec["objects"], "label": rec["label"], "numeric": rec["numeric"],
            "unit": rec["unit"], "image_roles": rec["image_roles"], "house": rec["house"]}


def json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o).__name__)


def dumps(obj) -> str:
    return json.dumps(obj, sort_keys=True, default=json_default, ensure_ascii=False)


def shard_list(root: Path, fmt: str, split: str, pattern: str) -> list[Path]:
    files = sorted((root / fmt / split).glob(pattern))
    if not files:
        raise ConfigError(f"no {fmt} files for split {split!r} under {root}: is this a `sat export` folder with "
                          f"--format {fmt}?")
    return files


def open_image(ref):
    """A PIL RGB image from what ``iter_records(load_images="lazy")`` yields (a file path or encoded bytes), from a
    PIL image, or from an (H, W, 3) uint8 array (what the streaming source yields)."""
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


def load_image(path: Path, load_images: bool):
    """A PIL image from a file (``load_images``), or the path as a string."""
    return open_image(path) if load_images else str(path)


def question_of(prompt: str) -> str:
    """The question text back from a SAT prompt body."""
    q = _CHOICES.sub("", prompt)
    return q[: -len(SAT_PROMPT_SUFFIX) - 1] if q.endswith(" " + SAT_PROMPT_SUFFIX) else q


def atomic_text(path: Path, text: str) -> None:
    """Write a text file whole or not at all (a temporary file moved into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@contextlib.contextmanager
def reading(root, fmt: str):
    """Turn what a truncated or altered export file raises while it is read into one ConfigError naming the fix."""
    try:
        yield
    except SatEnvError:
        raise
    except (ValueError, KeyError, TypeError, OSError, EOFError) as e:
        raise ConfigError(f"{root}: its {fmt} files cannot be read ({type(e).__name__}: {e}); `sat stats {root} "
                          "--verify` lists the files that differ from the manifest, and `sat export ... --resume` "
                          "makes failing shards again") from e

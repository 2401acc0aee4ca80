"""The llava15 format: LLaVA-1.5's convention, one image per record (``image`` always a single path), so LLaVA-1.5's
own loader reads every record. The two-image (dynamic) questions cannot be written so and are left out of this
format (the other formats keep them; the manifest counts the records of each format). Records, merge and reader are
the llava format's (sat_env/export/formats/llava.py), under llava15/."""

from __future__ import annotations

from pathlib import Path

from sat_env.export.formats import llava

NAME = "llava15"
PATTERN = llava.PATTERN


def shard_path(split: str, name: str) -> str:
    return llava.shard_path(split, name, NAME)


def encode(records: list[dict]) -> bytes:
    return llava.encode(records, single_image=True)


def merged_path(split: str) -> str | None:
    return llava.merged_path(split, NAME)


def merge(root: Path, split: str, paths: list[Path]) -> None:
    llava.merge(root, split, paths, NAME)


def read(root: Path, split: str, load_images: bool, lazy: bool):
    return llava.read(root, split, load_images, lazy, NAME)

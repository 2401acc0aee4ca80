"""The llava format: LLaVA conversation records (one JSON list per shard, merged into llava/{split}.json at the end),
images as relative paths under images/ (relative to the export folder: LLaVA's ``--image_folder``), SAT's prompt in
the human turn after one ``<image>`` per image.

``image`` is a path for a one-image question and a list of paths for the two-image (dynamic) ones: LLaVA-NeXT's and
LLaVA-OneVision's loaders take both. LLaVA-1.5's loader takes a single path only: export ``--format llava15`` for it
(sat_env/export/formats/llava15.py: the same records, one-image questions only)."""

from __future__ import annotations

import json
from pathlib import Path

from qa.prompts import sat_prompt
from sat_env.export.records import atomic_text, load_image, question_of, shard_list, truth_block

NAME = "llava"
PATTERN = "shard-*.json"


def shard_path(split: str, name: str, fmt: str = NAME) -> str:
    return f"{fmt}/{split}/{name}.json"


def record(rec: dict) -> dict:
    tags = "\n".join("<image>" for _ in rec["images"])
    return {"id": rec["id"], "image": [p for p, _ in rec["images"]] if len(rec["images"]) > 1 else rec["images"][0][0],
            "conversations": [{"from": "human", "value": f"{tags}\n{sat_prompt(rec['question'], rec['answers'])}"},
                              {"from": "gpt", "value": rec["correct_answer"]}],
            "family": rec["family"], "question_type": rec["question_type"], "answers": rec["answers"],
            "correct_index": rec["correct_index"], "truth": truth_block(rec)}


def encode(records: list[dict], single_image: bool = False) -> bytes:
    return (json.dumps([record(r) for r in records if not single_image or len(r["images"]) == 1], indent=1,
                       ensure_ascii=False) + "\n").encode()


def merged_path(split: str, fmt: str = NAME) -> str | None:
    """The file merge writes, relative to the export folder."""
    return f"{fmt}/{split}.json"


def merge(root: Path, split: str, paths: list[Path], fmt: str = NAME) -> None:
    """All shards in one {fmt}/{split}.json (what LLaVA's loaders take)."""
    merged = []
    for p in paths:
        merged.extend(json.loads(p.read_text()))
    atomic_text(root / merged_path(split, fmt), json.dumps(merged, indent=1, ensure_ascii=False) + "\n")


def read(root: Path, split: str, load_images: bool, lazy: bool, fmt: str = NAME):
    for f in shard_list(root, fmt, split, PATTERN):
        for rec in json.loads(f.read_text()):
            paths = rec["image"] if isinstance(rec["image"], list) else [rec["image"]]
            yield {"id": rec["id"], "family": rec["family"], "question_type": rec["question_type"],
                   "question": question_of(rec["conversations"][0]["value"].split("\n")[-1]),
                   "answers": rec["answers"], "correct_index": rec["correct_index"],
                   "correct_answer": rec["conversations"][1]["value"], "truth": rec.get("truth"),
                   "images": [load_image(root / p, load_images) for p in paths]}

"""The messages format, in TRL's vision layout: one JSON line per record with ``messages`` (user: one bare
``{"type": "image"}`` placeholder per image, then SAT's prompt; assistant: the answer) and ``images`` (the image
paths in placeholder order, relative to the export folder), merged into messages/{split}.jsonl at the end.

TRL's ``SFTTrainer`` takes it as it is once ``images`` hold images (it collates ``pixel_values`` from them); paths
are relative to the export folder, so make them absolute and let ``datasets`` decode them::

    ds = load_dataset("json", data_files=f"{DIR}/messages/train.jsonl", split="train")
    ds = ds.map(lambda r: {"images": [os.path.join(DIR, p) for p in r["images"]]})
    ds = ds.cast_column("images", Sequence(Image()))

Records written before 2026-12-03 carried each path inside its placeholder (``{"type": "image", "image": PATH}``);
the reader takes both."""

from __future__ import annotations

import json
from pathlib import Path

from qa.prompts import sat_prompt
from sat_env.export.records import atomic_text, load_image, question_of, shard_list, truth_block

NAME = "messages"
PATTERN = "shard-*.jsonl"


def shard_path(split: str, name: str) -> str:
    return f"messages/{split}/{name}.jsonl"


def record(rec: dict) -> dict:
    content = [{"type": "image"} for _ in rec["images"]]
    content.append({"type": "text", "text": sat_prompt(rec["question"], rec["answers"])})
    return {"id": rec["id"], "messages": [{"role": "user", "content": content},
                                          {"role": "assistant", "content": [{"type": "text",
                                                                             "text": rec["correct_answer"]}]}],
            "images": [p for p, _ in rec["images"]], "family": rec["family"], "question_type": rec["question_type"],
            "answers": rec["answers"],
            "correct_index": rec["correct_index"], "truth": truth_block(rec)}


def encode(records: list[dict]) -> bytes:
    return "".join(json.dumps(record(r), ensure_ascii=False) + "\n" for r in records).encode()


def merged_path(split: str) -> str | None:
    """The file merge writes, relative to the export folder."""
    return f"messages/{split}.jsonl"


def merge(root: Path, split: str, paths: list[Path]) -> None:
    """All shards in one messages/{split}.jsonl."""
    atomic_text(root / f"messages/{split}.jsonl", "".join(p.read_text() for p in paths))


def read(root: Path, split: str, load_images: bool, lazy: bool):
    for f in shard_list(root, NAME, split, PATTERN):
        for line in f.read_text().splitlines():
            rec = json.loads(line)
            user, assistant = rec["messages"]
            text = next(c["text"] for c in user["content"] if c["type"] == "text")
            yield {"id": rec["id"], "family": rec["family"], "question_type": rec["question_type"],
                   "question": question_of(text), "answers": rec["answers"], "correct_index": rec["correct_index"],
                   "correct_answer": assistant["content"][0]["text"], "truth": rec.get("truth"),
                   "images": [load_image(root / p, load_images) for p in rec.get("images") or
                              [c["image"] for c in user["content"] if c["type"] == "image"]]}

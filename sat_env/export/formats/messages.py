"""The messages format: chat-messages records (user: images then SAT's prompt; assistant: the answer), one JSON line
per record, merged into messages/{split}.jsonl at the end; images as relative paths under images/ (TRL's and
transformers' chat-template collators take it)."""

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
    content = [{"type": "image", "image": p} for p, _ in rec["images"]]
    content.append({"type": "text", "text": sat_prompt(rec["question"], rec["answers"])})
    return {"id": rec["id"], "messages": [{"role": "user", "content": content},
                                          {"role": "assistant", "content": [{"type": "text",
                                                                             "text": rec["correct_answer"]}]}],
            "family": rec["family"], "question_type": rec["question_type"], "answers": rec["answers"],
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
                   "images": [load_image(root / c["image"], load_images) for c in user["content"]
                              if c["type"] == "image"]}

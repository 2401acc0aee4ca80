"""The sat format: the schema of SAT's released parquet (array/SAT) exactly, ``image_bytes`` (the encoded images, a
list of binary), ``question``, ``answers``, ``question_type`` (SAT's labels: other, action_sequence, goal_aim,
obj_movement, action_consequence, perspective) and ``correct_answer``, so SAT's own item code reads it as it is, plus
added columns: ``correct_index``, ``family``, ``id``, ``split``, ``house`` and ``truth``. zstd, row groups of 100.

Hugging Face ``datasets`` 3.x and 5.x read it (the feature metadata is written in the list syntax both understand):
``load_dataset("parquet", data_dir="DIR/sat/train")``, or ``load_dataset("DIR")`` through the export's dataset card;
``Image.open(io.BytesIO(row["image_bytes"][0]))`` decodes an image, as SAT's card shows."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sat_env.export.records import dumps, open_image, shard_list, truth_block

NAME = "sat"
PATTERN = "shard-*.parquet"


def shard_path(split: str, name: str) -> str:
    return f"sat/{split}/{name}.parquet"


# Hugging Face `datasets` features of the parquet columns (stored in the schema metadata, as `datasets` writes it), in
# the list syntax (`[feature]`) that datasets 3.x (SAT's card pins 3.0.2) and 4.x/5.x all read.
_STR = {"dtype": "string", "_type": "Value"}
HF_FEATURES = {
    "image_bytes": [{"dtype": "binary", "_type": "Value"}],
    "question": _STR,
    "answers": [_STR],
    "question_type": _STR,
    "correct_answer": _STR,
    "correct_index": {"dtype": "int64", "_type": "Value"},
    "family": _STR,
    "id": _STR,
    "split": _STR,
    "house": _STR,
    "truth": _STR,
}


def encode(records: list[dict]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([
        ("image_bytes", pa.list_(pa.binary())), ("question", pa.string()), ("answers", pa.list_(pa.string())),
        ("question_type", pa.string()), ("correct_answer", pa.string()), ("correct_index", pa.int64()),
        ("family", pa.string()), ("id", pa.string()), ("split", pa.string()), ("house", pa.string()),
        ("truth", pa.string()),
    ], metadata={b"huggingface": json.dumps({"info": {"features": HF_FEATURES}}).encode()})
    cols = {
        "image_bytes": [[b for _, b in r["images"]] for r in records],
        "question": [r["question"] for r in records],
        "answers": [r["answers"] for r in records],
        "question_type": [r["question_type"] for r in records],
        "correct_answer": [r["correct_answer"] for r in records],
        "correct_index": [r["correct_index"] for r in records],
        "family": [r["family"] for r in records],
        "id": [r["id"] for r in records],
        "split": [r["split"] for r in records],
        "house": [r["house"] for r in records],
        "truth": [dumps(truth_block(r)) for r in records],
    }
    table = pa.table(cols, schema=schema)
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd", row_group_size=100)
    return buf.getvalue()


def merged_path(split: str) -> str | None:
    """The file merge writes, relative to the export folder (none: parquet readers take the folder of shards)."""
    return None


def merge(root: Path, split: str, paths: list[Path]) -> None:
    """Nothing to merge: parquet readers take the folder of shards."""


def image_blobs(row: dict) -> list[bytes]:
    """The encoded images of a row: ``image_bytes`` (SAT's schema), or ``images`` (HF Image structs, as array/SAT-v2
    and exports before 2026-12-03 store them)."""
    if "image_bytes" in row:
        return list(row["image_bytes"])
    return [i["bytes"] for i in row["images"]]


def read(root: Path, split: str, load_images: bool, lazy: bool):
    import pyarrow.parquet as pq

    for f in shard_list(root, NAME, split, PATTERN):
        if load_images or lazy:
            rows = pq.read_table(f).to_pylist()
        else:  # leave the image bytes on disk; the count comes from the truth's image roles
            names = [n for n in pq.read_schema(f).names if n not in ("images", "image_bytes")]
            rows = pq.read_table(f, columns=names).to_pylist()
        for row in rows:
            row["truth"] = json.loads(row["truth"])
            blobs = image_blobs(row) if (load_images or lazy) else None
            row.pop("image_bytes", None)
            if lazy:
                row["images"] = blobs
            elif load_images:
                row["images"] = [open_image(b) for b in blobs]
            else:
                row["images"] = [None for _ in row["truth"]["image_roles"]]
            yield row

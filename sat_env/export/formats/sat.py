"""The sat format: SAT's released parquet schema plus our columns (family, id, split, house, truth), images embedded,
zstd; Hugging Face ``datasets`` reads it as it is: ``load_dataset("parquet", data_dir="DIR/sat/train")`` (``images``
decode to PIL)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from sat_env.export.records import dumps, open_image, shard_list, truth_block

NAME = "sat"
PATTERN = "shard-*.parquet"


def shard_path(split: str, name: str) -> str:
    return f"sat/{split}/{name}.parquet"


# Hugging Face `datasets` features of the parquet columns (stored in the schema metadata, as `datasets` writes it),
# so that `images` decodes to a list of PIL images.
HF_FEATURES = {
    "images": {"feature": {"_type": "Image"}, "_type": "List"},
    "question": {"dtype": "string", "_type": "Value"},
    "answers": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "List"},
    "question_type": {"dtype": "string", "_type": "Value"},
    "correct_answer": {"dtype": "string", "_type": "Value"},
    "correct_index": {"dtype": "int64", "_type": "Value"},
    "family": {"dtype": "string", "_type": "Value"},
    "id": {"dtype": "string", "_type": "Value"},
    "split": {"dtype": "string", "_type": "Value"},
    "house": {"dtype": "string", "_type": "Value"},
    "truth": {"dtype": "string", "_type": "Value"},
}


def encode(records: list[dict]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    img_t = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    schema = pa.schema([
        ("images", pa.list_(img_t)), ("question", pa.string()), ("answers", pa.list_(pa.string())),
        ("question_type", pa.string()), ("correct_answer", pa.string()), ("correct_index", pa.int64()),
        ("family", pa.string()), ("id", pa.string()), ("split", pa.string()), ("house", pa.string()),
        ("truth", pa.string()),
    ], metadata={b"huggingface": json.dumps({"info": {"features": HF_FEATURES}}).encode()})
    cols = {
        "images": [[{"bytes": b, "path": Path(p).name} for p, b in r["images"]] for r in records],
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


def read(root: Path, split: str, load_images: bool, lazy: bool):
    import pyarrow.parquet as pq

    for f in shard_list(root, NAME, split, PATTERN):
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

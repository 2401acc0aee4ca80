"""Dataset export at SAT scale, and reading an export back: QA records from generated apartments, written as
SAT-schema parquet, LLaVA JSON and chat-messages JSONL, in resumable shards.

    sat export --out DIR --num-qa 175000 --mix sat --size 512 --format sat,llava,messages --workers 2

Layout of DIR::

    export_config.json              what was asked (an export resumes only into the same config)
    images/{split}/{shard}/...      image files (JPEG or PNG), shared by the llava and messages formats
    sat/{split}/shard-NNNNN.parquet SAT's released schema + our columns; ``datasets.load_dataset("parquet", ...)``
    llava/{split}/shard-NNNNN.json  LLaVA conversation records (relative image paths)
    messages/{split}/shard-NNNNN.jsonl  chat messages records (relative image paths)
    shards/{split}-NNNNN.json       a shard's completion marker: record count, per-family counts, sha256 of its files
    llava/{split}.json, messages/{split}.jsonl  all shards merged, written when the export completes
    manifest.json                   config, seeds, code version, counts per family and split, shard checksums

Work is cut into shards of ``shard_size`` QAs. Shard k of a split draws its houses from its own seed range (splits
are disjoint by house) and its randomness from ``SeedSequence([seed, split, k])``, so a shard's bytes do not depend
on which worker made it or when. A shard is written under ``.partial/`` and moved into place file by file; its
marker is written last. ``--resume`` deletes whatever an unfinished shard left behind and makes it again: no record
is lost or duplicated, and the result equals an uninterrupted run.

    from sat_env.export import ExportConfig, run_export, iter_records
    run_export(ExportConfig(num_qa=1000, out="export/", size=224))
    for rec in iter_records("export/", fmt="messages", split="train"):
        rec["question"], rec["answers"], rec["correct_index"], rec["images"]  # images: PIL images

Modules: ``job`` (the export job), ``formats/`` (one module per format: writer and reader), ``records`` (what the
formats share). ``sat_env.splits`` holds the split house ranges.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from sat_env.export.formats import FORMATS, get_format
from sat_env.export.job import HOUSES_PER_SHARD, ExportConfig, code_version, run_export
from sat_env.export.records import open_image, reading


def iter_records(root, fmt: str = "sat", split: str = "train", load_images: bool | str = True) -> Iterator[dict]:
    """Records with id, family, question_type, question, answers, correct_index, correct_answer, truth (the ground
    truth: family numbers, objects, label, numeric answer and unit, image roles) and images, in export order.

    ``images`` holds PIL images (``load_images=True``); file paths, or None for the sat format, with
    ``load_images=False`` (no image bytes read); or with ``"lazy"`` file paths / encoded bytes (sat) that
    :func:`open_image` decodes when needed (a training set of thousands of QAs without decoding them all)."""
    lazy = load_images == "lazy"
    with reading(root, fmt):
        yield from get_format(fmt).read(Path(root), split, bool(load_images) and not lazy, lazy)


__all__ = ["FORMATS", "HOUSES_PER_SHARD", "ExportConfig", "code_version", "iter_records", "open_image", "run_export"]

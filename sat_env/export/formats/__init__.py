"""Export formats, one module each: ``NAME``, ``shard_path(split, name)``, ``encode(records) -> bytes``,
``merged_path(split)``, ``merge(root, split, shard_paths)`` (the whole split in one file, when the format has one) and
``read(root, split, load_images, lazy)`` (records back, as :func:`sat_env.export.iter_records` yields them).

A new format is one module here plus its line in ``FORMATS``."""

from __future__ import annotations

import importlib

from sat_env.errors import ConfigError

FORMATS = {"sat": "sat_env.export.formats.sat", "llava": "sat_env.export.formats.llava",
           "messages": "sat_env.export.formats.messages", "llava15": "sat_env.export.formats.llava15"}
DEFAULT_FORMATS = ("sat", "llava", "messages")  # what `sat export` writes unless --format says otherwise


def get_format(name: str):
    """The module of a format by name."""
    if name not in FORMATS:
        raise ConfigError(f"unknown format {name!r}: use {', '.join(FORMATS)}")
    return importlib.import_module(FORMATS[name])

"""Reading and writing house JSON files (plain or gzipped), with clear errors."""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from pathlib import Path

from sat_env.errors import HouseFormatError
from sat_env.scene.validate import check_schema


def house_to_json(house: dict) -> str:
    """Canonical JSON text of a house: sorted keys, 2-space indent, so equal houses give equal bytes."""
    return json.dumps(house, indent=2, sort_keys=True, allow_nan=False) + "\n"


def save_house(house: dict, path: str | os.PathLike) -> Path:
    """Write a house as JSON (gzipped if the name ends in .gz), atomically: a crash leaves no half-written file."""
    check_schema(house)
    path = Path(path)
    data = house_to_json(house).encode()
    if path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_house(path: str | os.PathLike) -> dict:
    """Read a house JSON file (or .json.gz) and check its structure.

    Raises:
        HouseFormatError: the file is missing, is not JSON, or does not follow the house schema.
    """
    path = Path(path)
    if not path.is_file():
        raise HouseFormatError(f"house file {str(path)!r} does not exist; create one with `sat scene --seed 0 --out DIR`")
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        house = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError, EOFError) as e:
        raise HouseFormatError(f"{path}: not a valid house JSON file ({e})") from e
    try:
        check_schema(house)
    except HouseFormatError as e:
        raise HouseFormatError(f"{path}: {e}") from None
    return house

"""Houses from a local ProcTHOR-10K file (gzipped JSON Lines: one ProcTHOR house JSON per line).

ProcTHOR-10K's splits are ``train.jsonl.gz`` (10,000 houses), ``val.jsonl.gz`` and ``test.jsonl.gz`` (1,000 each),
as ``prior.load_dataset("procthor-10k")`` downloads them (into ``~/.prior/datasets/allenai/procthor-10k/<sha>/``).
Lines are read lazily: fetching house ``N`` decompresses the lines before it but parses only line ``N``.

Houses are returned as loaded, with the small upgrades the embedded backend needs and AI2-THOR also accepts
(:func:`prepare_house`): schema 0.0.1 door and window ``boundingBox`` -> ``holePolygon``, material names given as
plain strings -> ``{"name": ...}``, ``metadata.agentPoses`` -> ``metadata.agent``. Objects whose assetIds the
catalog lacks are drawn at AI2-THOR's size (see :mod:`sat_env.scene.thor_assets`).

House sources for the envs' ``houses=`` option (:func:`expand_house_sources`): ``"procthor:PATH#N"`` (house N),
``"procthor:PATH#A-B"`` (houses A..B, both included) or a comma list of both (``"procthor:PATH#0-9,42"``).
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from sat_env.errors import ConfigError, HouseFormatError
from sat_env.scene.validate import check_schema

PREFIX = "procthor:"
_FIX = ("download ProcTHOR-10K with `prior.load_dataset('procthor-10k')` (files under "
        "~/.prior/datasets/allenai/procthor-10k/) or give the path of a local train/val/test.jsonl.gz")


def _lines(path: str | os.PathLike) -> Iterator[bytes]:
    """Non-blank lines of a .jsonl.gz (or plain .jsonl) file, with errors that name the fix."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"ProcTHOR file {str(path)!r} does not exist; {_FIX}")
    with open(path, "rb") as raw:
        head = raw.read(64)
    if head.startswith(b"version https://git-lfs"):
        raise ConfigError(f"{path} is a git-lfs pointer, not the houses; run `git lfs pull` in its repository "
                          "(or load it once with prior, which fetches the LFS objects)")
    opener = gzip.open if head[:2] == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as fh:
            for line in fh:
                if line.strip():
                    yield line
    except (OSError, EOFError, zlib.error) as e:
        raise ConfigError(f"{path}: cannot read it as gzipped JSON Lines ({e}); {_FIX}") from e


def count_houses(path: str | os.PathLike) -> int:
    """Number of houses (non-blank lines) in a ProcTHOR file, without parsing them."""
    return sum(1 for _ in _lines(path))


def _parse(line: bytes, path, index: int) -> dict:
    where = f"{path} house {index}"
    try:
        house = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{where} is not JSON ({e}); is {path} a ProcTHOR .jsonl.gz file?") from None
    try:
        return prepare_house(house)
    except HouseFormatError as e:
        raise ConfigError(f"{where} is not a ProcTHOR house: {e}") from None


def iter_houses(path: str | os.PathLike, indices: Iterable[int] | None = None) -> Iterator[tuple[int, dict]]:
    """(index, house) pairs in file order, for every house or only for ``indices`` (one pass over the file).

    Raises:
        ConfigError: missing or unreadable file, a negative or out-of-range index (the message gives the count), or
            a selected line that is not a house.
    """
    wanted = None if indices is None else set(_index(i) for i in indices)
    last = max(wanted) if wanted else None
    if wanted == set():
        return
    count = 0
    for n, line in enumerate(_lines(path)):
        count = n + 1
        if wanted is None or n in wanted:
            yield n, _parse(line, path, n)
            if n == last:
                return
    if wanted is not None:  # the loop ended before the last wanted index: the file is shorter
        raise ConfigError(f"house index {last} is out of range: {path} holds {count} houses "
                          f"(indices 0..{count - 1})" if count else f"{path} holds no houses")


def _index(i) -> int:
    if isinstance(i, bool) or not isinstance(i, int) or i < 0:
        raise ConfigError(f"house indices must be non-negative integers, got {i!r}")
    return int(i)


def load_procthor(path: str | os.PathLike, index: int) -> dict:
    """House ``index`` (0-based, blank lines not counted) of a ProcTHOR-10K .jsonl.gz file, prepared (see
    :func:`prepare_house`). Only that line is parsed.

    Raises:
        ConfigError: see :func:`iter_houses`.
    """
    for _, house in iter_houses(path, [index]):
        return house
    raise AssertionError("unreachable: iter_houses raises when the index is missing")


def _list(x) -> list:
    return x if isinstance(x, list) else []  # a malformed field is for check_schema to name, not to crash on


def _as_material(m):
    return {"name": m} if isinstance(m, str) else m


def prepare_house(house) -> dict:
    """Upgrade a ProcTHOR house dict in place for the embedded backend and check its structure.

    - doors and windows of schema 0.0.1 (``boundingBox`` {min, max} in wall coordinates) get the ``holePolygon``
      [min, max] of schema 1.0.0 (the ``boundingBox`` stays, for old AI2-THOR builds);
    - material names given as strings (schema 0.0.1) become ``{"name": ...}``;
    - ``metadata.agentPoses`` (newer AI2-THOR) gives ``metadata.agent`` when that is missing (the "default" pose).

    Raises:
        HouseFormatError: the dict does not follow the house schema (see :func:`~sat_env.scene.validate.check_schema`).
    """
    if not isinstance(house, dict):
        raise HouseFormatError(f"a house must be a JSON object, got {type(house).__name__}")
    for key in ("doors", "windows"):
        for d in _list(house.get(key)):
            bb = d.get("boundingBox") if isinstance(d, dict) else None
            if isinstance(bb, dict) and "holePolygon" not in d and {"min", "max"} <= set(bb):
                d["holePolygon"] = [dict(bb["min"]), dict(bb["max"])]
    for r in _list(house.get("rooms")):
        if isinstance(r, dict) and "floorMaterial" in r:
            r["floorMaterial"] = _as_material(r["floorMaterial"])
    for w in _list(house.get("walls")):
        if isinstance(w, dict) and "material" in w:
            w["material"] = _as_material(w["material"])
    meta = house.get("metadata")
    if isinstance(meta, dict) and not meta.get("agent") and isinstance(meta.get("agentPoses"), dict):
        poses = meta["agentPoses"]
        pose = poses.get("default") or next((p for p in poses.values() if isinstance(p, dict)), None)
        if pose:
            meta["agent"] = dict(pose)
    check_schema(house)
    return house


def parse_source(text: str) -> tuple[str, list[int]]:
    """``"procthor:PATH#SPEC"`` -> (PATH, indices); SPEC is ``N``, ``A-B`` (inclusive) or a comma list of both."""
    if not text.startswith(PREFIX):
        raise ConfigError(f"a ProcTHOR house source starts with {PREFIX!r}, got {text!r}")
    path, sep, spec = text[len(PREFIX):].rpartition("#")
    if not sep or not path or not spec:
        raise ConfigError(f"ProcTHOR house source {text!r} needs the houses to use: 'procthor:PATH#N', "
                          "'procthor:PATH#A-B' (A..B included) or 'procthor:PATH#0-9,42'")
    out: list[int] = []
    for part in spec.split(","):
        a, dash, b = part.strip().partition("-")
        try:
            lo, hi = int(a), int(b) if dash else int(a)
        except ValueError:
            raise ConfigError(f"ProcTHOR house source {text!r}: {part!r} is not N or A-B") from None
        if lo < 0 or hi < lo:
            raise ConfigError(f"ProcTHOR house source {text!r}: range {part!r} must have 0 <= A <= B")
        out.extend(range(lo, hi + 1))
    return path, out


def expand_house_sources(items) -> list:
    """The envs' ``houses`` list with every ``"procthor:PATH#SPEC"`` string replaced by those houses (dicts, in the
    order given); every other entry (house dicts, JSON paths, seeds) is kept as it is.

    Each file is read once, in one pass, however many sources name it. The houses are held in memory (a ProcTHOR
    house is a few hundred KB as Python objects: name hundreds, not all 10,000).

    Raises:
        ConfigError: a malformed source, a missing file, an index out of range or a line that is not a house.
    """
    items = list(items)
    wanted: dict[str, set[int]] = {}
    parsed: dict[int, tuple[str, list[int]]] = {}
    for k, h in enumerate(items):
        if isinstance(h, str) and h.startswith(PREFIX):
            parsed[k] = parse_source(h)
            wanted.setdefault(parsed[k][0], set()).update(parsed[k][1])
    if not parsed:
        return items
    loaded = {path: dict(iter_houses(path, idx)) for path, idx in wanted.items()}
    out, used = [], set()
    for k, h in enumerate(items):
        if k in parsed:
            path, idx = parsed[k]
            for i in idx:  # a house named twice gets its own copy: backends write object moves into the dict
                out.append(copy.deepcopy(loaded[path][i]) if (path, i) in used else loaded[path][i])
                used.add((path, i))
        else:
            out.append(h)
    return out


__all__ = ["PREFIX", "count_houses", "expand_house_sources", "iter_houses", "load_procthor", "parse_source",
           "prepare_house"]

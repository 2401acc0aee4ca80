"""What keeps an export honest on a real machine: checksums that are checked (on ``--resume`` and by
``sat stats --verify``), and one writer per folder at a time.

Every shard's marker (``shards/{split}-NNNNN.json``) and the manifest record, per file, its size and sha256; an image
folder is summed over its file names and bytes in name order, so a missing, extra, truncated or altered image changes
it. :func:`entry_problems` compares what is on disk with such a record; :func:`verify_export` does it for a whole
finished export, merged files included. :class:`ExportLock` holds an exclusive ``flock`` on ``DIR/.lock`` for a run's
lifetime; the kernel releases it when the process ends, however it ends, so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import json
import os
import socket
import sys
from pathlib import Path

from sat_env.errors import ConfigError

LOCK_FILE = ".lock"
CHUNK = 1 << 20


def file_digest(path: Path) -> tuple[int, str]:
    """(size in bytes, sha256 hex) of a file."""
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
            n += len(block)
    return n, h.hexdigest()


def named_digest(files) -> tuple[int, str]:
    """(total bytes, sha256 over each (name, bytes) pair in name order): an image folder's checksum."""
    h = hashlib.sha256()
    n = 0
    for name, data in sorted(files, key=lambda f: f[0]):
        h.update(name.encode())
        h.update(data)
        n += len(data)
    return n, h.hexdigest()


def folder_digest(path: Path) -> tuple[int, str]:
    """:func:`named_digest` of a flat folder of files, as written."""
    return named_digest((f.name, f.read_bytes()) for f in path.iterdir())


def entry_problems(root: Path, sha256: dict[str, str], sizes: dict[str, int] | None = None) -> list[str]:
    """What differs between the files under `root` and a record of them ({relative path: sha256}, and their sizes
    where recorded: markers and manifests written before sizes were recorded have none). Empty: all as recorded."""
    out = []
    for rel, want in sorted(sha256.items()):
        p = root / rel
        if not p.exists():
            out.append(f"{rel} is missing")
            continue
        try:
            size, got = folder_digest(p) if p.is_dir() else file_digest(p)
        except OSError as e:
            out.append(f"{rel} cannot be read ({e.strerror or e})")
            continue
        if sizes and rel in sizes and size != sizes[rel]:
            out.append(f"{rel} has {size:,} bytes, {sizes[rel]:,} recorded")
        elif got != want:
            out.append(f"{rel} does not match its sha256")
    return out


def read_json(path: Path) -> dict | None:
    """A JSON object from a file, or None when it is missing, truncated or not an object."""
    try:
        d = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return d if isinstance(d, dict) else None


def verify_export(root) -> list[str]:
    """Check a finished export against its manifest: every shard's files and every merged file, by size and sha256.
    Returns the problems found (empty: the export is exactly what its manifest describes)."""
    root = Path(root)
    if not root.is_dir():
        raise ConfigError(f"{root} does not exist: pass the folder given to `sat export --out`")
    manifest = read_json(root / "manifest.json")
    if manifest is None:
        if (root / "export_config.json").is_file():
            return ["manifest.json is missing or unreadable: the export is unfinished; finish it with "
                    "`sat export ... --resume`"]
        raise ConfigError(f"{root} is not a `sat export` folder (no manifest.json, no export_config.json)")
    problems = []
    splits = list(manifest.get("splits", {}))
    for entry in manifest.get("shards", []):
        k = entry.get("shard")
        found = entry_problems(root, entry.get("sha256", {}), entry.get("bytes"))
        if len(splits) == 1:  # the shard's marker, which --resume and `sat stats` read, must say the same
            marker = read_json(root / f"shards/{splits[0]}-{k:05d}.json")
            if marker is None:
                found.append(f"shards/{splits[0]}-{k:05d}.json is missing or unreadable")
            elif marker.get("sha256") != entry.get("sha256"):
                found.append(f"shards/{splits[0]}-{k:05d}.json disagrees with the manifest")
        problems += [f"shard {k}: {p}" for p in found]
    merged = manifest.get("merged")
    if merged:
        problems += entry_problems(root, {k: v["sha256"] for k, v in merged.items()},
                                   {k: v["bytes"] for k, v in merged.items()})
    return problems


class ExportLock:
    """An exclusive lock on an export folder for the life of a run (``with ExportLock(root): ...``). A second run on
    the same folder gets a ConfigError naming the holder; the lock goes with the process that holds it."""

    def __init__(self, root: Path):
        self.path = Path(root) / LOCK_FILE
        self._f = None

    def __enter__(self) -> "ExportLock":
        f = open(self.path, "a+")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            f.close()
            raise ConfigError(f"{self.path.parent} is being written by another run ({holder}): wait for it to "
                              "finish, or use another --out") from None
        f.seek(0)
        f.truncate()
        f.write(f"sat export, pid {os.getpid()} on {socket.gethostname()}, started "
                f"{datetime.datetime.now().isoformat(timespec='seconds')}: {' '.join(sys.argv[:1] + sys.argv[1:8])}\n")
        f.flush()
        self._f = f
        return self

    def __exit__(self, *exc) -> None:
        if self._f is not None:
            fcntl.flock(self._f, fcntl.LOCK_UN)
            self._f.close()
            self._f = None

"""Output folders the commands write into, checked before anything is written."""

from __future__ import annotations

from pathlib import Path

from sat_env.errors import ConfigError


def ensure_dir(path, flag: str = "--out") -> Path:
    """`path` as a folder, created if need be; a ConfigError naming `flag` if it is an existing file."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ConfigError(f"{flag} {p} is a file: pass a folder (it is created if missing)")
    p.mkdir(parents=True, exist_ok=True)
    return p

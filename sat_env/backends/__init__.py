"""Simulator backends behind one protocol: ``embedded`` (default, no download) and ``thor`` (optional)."""

from __future__ import annotations

from sat_env.backends.base import ActionResult, AgentPose, Backend, View
from sat_env.errors import ConfigError


def make_backend(name: str = "embedded", **kwargs) -> Backend:
    """Create a backend by name: "embedded" (the default)."""
    if name == "embedded":
        from sat_env.backends.embedded import EmbeddedBackend

        return EmbeddedBackend(**kwargs)
    raise ConfigError(f"unknown backend {name!r}; available: 'embedded'")


__all__ = ["ActionResult", "AgentPose", "Backend", "View", "make_backend"]

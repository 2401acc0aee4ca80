"""Simulator backends behind one base class (sat_env.backends.base.Backend): ``embedded`` (default, no download)
and ``thor`` (optional)."""

from __future__ import annotations

from sat_env.backends.base import ActionResult, AgentPose, Backend, View
from sat_env.errors import ConfigError

BACKENDS = ("embedded", "thor")


def make_backend(name: str = "embedded", **kwargs) -> Backend:
    """Create a backend by name: "embedded" (the default) or "thor" (AI2-THOR; ``pip install -e ".[thor]"``)."""
    if name == "embedded":
        from sat_env.backends.embedded import EmbeddedBackend

        return EmbeddedBackend(**kwargs)
    if name == "thor":
        from sat_env.backends.thor import ThorBackend

        return ThorBackend(**kwargs)
    raise ConfigError(f"unknown backend {name!r}; available: {', '.join(repr(b) for b in BACKENDS)}")


def load_into(backend: Backend, house: dict, scene=None) -> None:
    """``backend.load(house)``; with `scene`, the freshly built scene of exactly this house dict (from
    :func:`sat_env.scene.generate.generate_scene`), which a backend may take over instead of building it again."""
    backend.load(house, scene=scene if scene is not None and scene.house is house else None)


__all__ = ["BACKENDS", "ActionResult", "AgentPose", "Backend", "View", "load_into", "make_backend"]

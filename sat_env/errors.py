"""Domain exceptions. Every message says what went wrong and how to fix it."""

from __future__ import annotations


class SatEnvError(Exception):
    """Base class of every error SAT-Env raises on purpose."""


class HouseFormatError(SatEnvError, ValueError):
    """A house file or dict does not follow the house-JSON schema."""


class UnknownAssetError(SatEnvError, KeyError):
    """An assetId is not in the asset catalog."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else "unknown asset"


class GenerationError(SatEnvError, RuntimeError):
    """The generator could not build a valid house for the given seed and config."""


class ConfigError(SatEnvError, ValueError):
    """A configuration value is invalid or an unknown key was given."""


class RendererUnavailableError(SatEnvError, RuntimeError):
    """The OpenGL (EGL) context could not be created."""


class BackendError(SatEnvError, RuntimeError):
    """A backend was used wrongly (e.g. rendering before a house is loaded)."""


class ExportError(SatEnvError, RuntimeError):
    """An export could not finish (a worker died, ...); the finished shards are kept for --resume."""

"""SAT-Env: procedurally generated apartments as Gymnasium environments for spatial-reasoning training.

`import sat_env` needs numpy and moderngl only; heavy dependencies are imported where they are used.
"""

from __future__ import annotations

__version__ = "0.1.0"

from sat_env.errors import (  # noqa: E402
    BackendError,
    ConfigError,
    GenerationError,
    HouseFormatError,
    RendererUnavailableError,
    SatEnvError,
    UnknownAssetError,
)

from sat_env import envs as _envs  # noqa: E402,F401  (registers the Gymnasium ids)

__all__ = [
    "__version__",
    "BackendError",
    "ConfigError",
    "GenerationError",
    "HouseFormatError",
    "RendererUnavailableError",
    "SatEnvError",
    "UnknownAssetError",
]

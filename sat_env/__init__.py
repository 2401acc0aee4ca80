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



# --- Gymnasium registration, at no cost until Gymnasium is used -----------------------------------------------------
# `import sat_env` makes every id (sat_env.envs.registry) known to Gymnasium, without importing Gymnasium or any env
# module itself: the entry points are strings, and registration runs when Gymnasium is imported (now, if it already
# is; else right after its own import finishes, by a one-shot import hook). So the scene, render and qa layers import
# without Gymnasium, and `import sat_env; import gymnasium as gym; gym.make("SAT-Dynamic-v0")` works in either order.


def _register_envs() -> None:
    from sat_env.envs.registry import register_all

    register_all()


class _AfterGymnasiumImport:
    """A meta-path finder that wraps Gymnasium's loader so that registration runs once the module has executed. It
    leaves ``sys.meta_path`` only then: a mere lookup (``importlib.util.find_spec("gymnasium")``) does not use it up."""

    def __init__(self):
        self._looking = False

    def find_spec(self, name, path=None, target=None):
        if name != "gymnasium" or self._looking:
            return None
        import importlib.util

        self._looking = True  # the real finders answer the lookup below, not this one
        try:
            spec = importlib.util.find_spec(name)
        finally:
            self._looking = False
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _RegisteringLoader(spec.loader, self)
        return spec


class _RegisteringLoader:
    def __init__(self, loader, hook):
        self._loader, self._hook = loader, hook

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        import sys
        import warnings

        self._loader.exec_module(module)
        if self._hook in sys.meta_path:
            sys.meta_path.remove(self._hook)
        try:
            _register_envs()
        except Exception as e:  # never break `import gymnasium` itself
            warnings.warn(f"sat_env could not register its environments: {e!r}", RuntimeWarning, stacklevel=2)

    def __getattr__(self, name):  # get_resource_reader, is_package, ... of the real loader
        return getattr(self._loader, name)


def _install_registration() -> None:
    import sys

    if "gymnasium" in sys.modules:
        _register_envs()
    elif not any(isinstance(f, _AfterGymnasiumImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterGymnasiumImport())


_install_registration()

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

"""What every SAT-Env environment shares: one rule per constructor argument, the house pool with its cache of
generated houses, and the backend's life cycle. An env subclasses :class:`SatEnv` and writes only its own episode
logic (ObjectNav's task, the QA envs' question loop), the way Minigrid envs write only their world generation.

    class MyEnv(SatEnv):
        def __init__(self, size=224, houses=None, backend="embedded", render_mode=None):
            super().__init__()
            self.width, self.height = self.check_size(size)
            self.check_render_mode(render_mode)
            self.houses = self.check_houses(houses)          # None: fresh generated houses
            self._backend = self.make_env_backend(backend)
        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            self.load_house(self.house(int(self.np_random.integers(2**31 - 1)), config=None))
            ...
"""

from __future__ import annotations

import os

import gymnasium as gym
import numpy as np

from sat_env.backends import BACKENDS, load_into, make_backend
from sat_env.backends.base import SIZE_RANGE
from sat_env.errors import ConfigError
from sat_env.scene import load_house
from sat_env.scene.config import HouseConfig
from sat_env.scene.procthor import expand_house_sources
from sat_env.scene.validate import warn_geometry
from sat_env.tasks.questions import HouseCache

HOUSES_HELP = ('a non-empty list of house dicts, house JSON paths, non-negative int seeds and/or '
               '"procthor:FILE.jsonl.gz#N" sources')


class SatEnv(gym.Env):
    """Base class of SAT-Env's environments (see the module docstring).

    Subclasses set ``metadata``, call the ``check_*`` helpers in their constructor, and use :meth:`house` (a house
    dict and its freshly built scene, from a seed or a given house) and :meth:`load_house` (into the backend, only
    when it changes). ``close`` releases the backend.
    """

    metadata = {"render_modes": ["rgb_array"]}
    house_cache_size = 8  # generated houses kept (a seeded reset may come back to one); ~100 KB each

    def __init__(self):
        self._backend = None
        self._house_cache = HouseCache(self.house_cache_size)
        self._loaded_key = None
        self._checked_houses: set = set()  # given houses whose geometry was checked
        self._closed = False

    # --- argument checks: one rule each, the same in every env ---------------------------------------------------
    @staticmethod
    def check_size(size) -> tuple[int, int]:
        """(width, height) from an int (square) or a (width, height) pair of ints, each in SIZE_RANGE."""
        if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
            w = h = int(size)
        elif isinstance(size, (tuple, list)) and len(size) == 2 and all(
                isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in size):
            w, h = int(size[0]), int(size[1])
        else:
            raise ConfigError(f"size must be an int or a (width, height) pair of ints, got {size!r}")
        lo, hi = SIZE_RANGE
        if not (lo <= w <= hi and lo <= h <= hi):
            raise ConfigError(f"size must be between {lo} and {hi} pixels per side, got {w}x{h}")
        return w, h

    def check_render_mode(self, render_mode) -> str | None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ConfigError(f"render_mode must be None or one of {self.metadata['render_modes']}, "
                              f"got {render_mode!r}")
        return render_mode

    @staticmethod
    def check_backend(name: str) -> str:
        if name not in BACKENDS:
            raise ConfigError(f"backend {name!r} is not available; use one of {', '.join(map(repr, BACKENDS))}")
        return name

    @staticmethod
    def check_house_config(config, default: HouseConfig | None = None) -> HouseConfig | None:
        """A HouseConfig from a HouseConfig, a dict of its fields, or None (`default`)."""
        if config is None:
            return default
        if isinstance(config, HouseConfig):
            return config
        if isinstance(config, dict):
            return HouseConfig.from_dict(config)
        raise ConfigError(f"house_config must be a HouseConfig or a dict of its fields, got {type(config).__name__}")

    @staticmethod
    def check_houses(houses) -> list | None:
        """The house pool: None (fresh generated houses) or a list of house dicts and int seeds (generated on first
        use); JSON paths are read and ProcTHOR sources expanded here, once."""
        if houses is None:
            return None
        if isinstance(houses, (dict, str)) or not hasattr(houses, "__len__") or len(houses) == 0:
            raise ConfigError(f"houses must be {HOUSES_HELP}")
        out = []
        for h in expand_house_sources(houses):
            if isinstance(h, dict):
                out.append(h)
            elif isinstance(h, (int, np.integer)) and not isinstance(h, bool):
                if h < 0:
                    raise ConfigError(f"house seeds must be non-negative, got {h}")
                out.append(int(h))
            elif isinstance(h, (str, os.PathLike)):
                out.append(load_house(h))
            else:
                raise ConfigError(f"houses entries must be house dicts, house JSON paths or int seeds, "
                                  f"got {type(h).__name__}")
        return out

    @staticmethod
    def check_positive_int(name: str, value) -> int:
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{name} must be a positive int, got {value!r}")
        return int(value)

    # --- houses ------------------------------------------------------------------------------------------------
    def house(self, seed: int, config: HouseConfig | None, keep: int | None = None):
        """(house dict, its freshly built scene or None when it came from the cache) for a generated house. The
        cache keeps the `keep` (default ``house_cache_size``) most recently used houses."""
        return self._house_cache.get(seed, config, keep)

    def load_house(self, key, house: dict, scene=None, force: bool = False, given: bool = False) -> None:
        """Load a house into the backend unless the house under `key` is loaded already (or `force`); a fresh scene
        is taken over, not rebuilt. A `given` house (from the user, not generated) has its geometry checked the
        first time (HouseGeometryWarning)."""
        if force or key != self._loaded_key or self._backend.scene is None:
            load_into(self._backend, house, scene)
            self._loaded_key = key
            if given and key not in self._checked_houses:
                self._checked_houses.add(key)
                warn_geometry(self._backend.scene, f"houses entry {key}")

    def check_open(self) -> None:
        """Refuse to run a closed env (its backend is gone)."""
        if self._closed:
            raise gym.error.ClosedEnvironmentError(f"this {type(self).__name__} was closed: make a new env "
                                                   "(gym.make(...)) to go on")

    def make_env_backend(self, name: str, **kwargs):
        return make_backend(self.check_backend(name), **kwargs)

    def close(self) -> None:
        self._closed = True
        if getattr(self, "_backend", None) is not None:
            self._backend.close()
            self._backend = None
        super().close()

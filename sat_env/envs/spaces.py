"""A Text space that survives Gymnasium's shared-memory vector envs.

``gym.make_vec(id, n, vectorization_mode="async")`` shares observations through shared memory by default. Gymnasium
(1.x) reads a ``Text`` space's shared buffer into a tuple of strings once, when the vector env is built, and hands
that same stale tuple back after every reset and step: every question came back as a run of the charset's first
character (tabs). :class:`SharedText` reads the buffer when the observation is copied (the vector env's default,
``copy=True``) or indexed, so the async env returns what the workers wrote, as the sync env does
(tests/envs/test_vector.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import read_from_shared_memory


class SharedText(spaces.Text):
    """``gymnasium.spaces.Text`` whose shared-memory reads are live (see the module docstring). Give it an ordered
    charset (a str): Gymnasium numbers characters in charset order, and a set of str iterates in a per-process order."""


class LiveTexts(Sequence):
    """The strings of n envs, decoded from the shared buffer on access; a (deep) copy is a plain tuple of str."""

    def __init__(self, space: SharedText, data: np.ndarray):
        self._chars = space.character_list
        self._data = data  # (n, max_length) int32 view of the shared buffer

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self[k] for k in range(*i.indices(len(self))))
        return "".join(self._chars[v] for v in self._data[i] if v < len(self._chars))

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __copy__(self):
        return tuple(self)

    def __deepcopy__(self, memo):
        return tuple(self)


@read_from_shared_memory.register(SharedText)
def _read_shared_text(space: SharedText, shared_memory, n: int = 1) -> LiveTexts:
    data = np.frombuffer(shared_memory.get_obj(), dtype=np.int32).reshape((n, space.max_length))
    return LiveTexts(space, data)


__all__ = ["LiveTexts", "SharedText"]

"""Wrappers: stable-baselines3-compatible observations (no strings; channel-first images)."""

from __future__ import annotations

import re
import zlib

import gymnasium as gym
import numpy as np
from gymnasium import spaces

VOCAB_SIZE = 4096  # token ids 1..VOCAB_SIZE-1 from hashed lowercase words; 0 pads
QUESTION_TOKENS = 48
CHOICE_TOKENS = 8


def tokenize(text: str, length: int, vocab_size: int = VOCAB_SIZE) -> np.ndarray:
    """Fixed-length token ids from a closed vocabulary: each lowercase word or number is hashed (crc32, stable
    across processes and machines) into [1, vocab_size); the sequence is cut or zero-padded to `length`."""
    ids = [zlib.crc32(w.encode()) % (vocab_size - 1) + 1 for w in re.findall(r"[a-z]+|\d+", text.lower())]
    out = np.zeros(length, np.int64)
    out[: min(length, len(ids))] = ids[:length]
    return out


class SB3ObsWrapper(gym.ObservationWrapper):
    """Makes any SAT-Env observation SB3-friendly.

    - ``Text`` entries become ``Box(0, VOCAB_SIZE - 1, (L,), int64)`` token ids (``question``: 48 tokens, other
      texts: 8 tokens); a ``Tuple`` of texts becomes ``(n, 8)`` token ids.
    - RGB images ``(H, W, 3)`` become channel-first ``(3, H, W)``; a stack ``(N, H, W, 3)`` becomes N keys
      ``image_0`` ... each ``(3, H, W)`` (SB3's CNN extractor wants 1, 3 or 4 channels per image key).
    - ``Discrete`` and other ``Box`` entries pass through.

    Use it with ``MultiInputPolicy``.
    """

    def __init__(self, env: gym.Env, vocab_size: int = VOCAB_SIZE):
        super().__init__(env)
        self.vocab_size = vocab_size
        src = env.observation_space
        if not isinstance(src, spaces.Dict):
            raise TypeError(f"SB3ObsWrapper expects a Dict observation space, got {type(src).__name__}")
        out = {}
        self._plan = []
        for key, sp in src.spaces.items():
            if isinstance(sp, spaces.Text):
                n = QUESTION_TOKENS if key == "question" else CHOICE_TOKENS
                out[key] = spaces.Box(0, vocab_size - 1, (n,), np.int64)
                self._plan.append((key, "text", n))
            elif isinstance(sp, spaces.Tuple) and all(isinstance(s, spaces.Text) for s in sp.spaces):
                out[key] = spaces.Box(0, vocab_size - 1, (len(sp.spaces), CHOICE_TOKENS), np.int64)
                self._plan.append((key, "texts", len(sp.spaces)))
            elif isinstance(sp, spaces.Box) and sp.dtype == np.uint8 and sp.shape[-1] == 3 and len(sp.shape) == 3:
                h, w, c = sp.shape
                out[key] = spaces.Box(0, 255, (c, h, w), np.uint8)
                self._plan.append((key, "image", None))
            elif isinstance(sp, spaces.Box) and sp.dtype == np.uint8 and sp.shape[-1] == 3 and len(sp.shape) == 4:
                n, h, w, c = sp.shape
                for k in range(n):
                    out[f"image_{k}"] = spaces.Box(0, 255, (c, h, w), np.uint8)
                self._plan.append((key, "images", n))
            elif isinstance(sp, spaces.Box) and len(sp.shape) == 3 and sp.shape[-1] == 1:
                h, w, c = sp.shape  # depth (H, W, 1) -> (1, H, W)
                out[key] = spaces.Box(sp.low.min(), sp.high.max(), (c, h, w), sp.dtype)
                self._plan.append((key, "chw", None))
            else:
                out[key] = sp
                self._plan.append((key, "pass", None))
        self.observation_space = spaces.Dict(out)

    def observation(self, obs):
        out = {}
        for key, kind, n in self._plan:
            v = obs[key]
            if kind == "text":
                out[key] = tokenize(v, n, self.vocab_size)
            elif kind == "texts":
                out[key] = np.stack([tokenize(t, CHOICE_TOKENS, self.vocab_size) for t in v])
            elif kind == "image" or kind == "chw":
                out[key] = np.ascontiguousarray(np.moveaxis(v, -1, 0))
            elif kind == "images":
                for k in range(n):
                    out[f"image_{k}"] = np.ascontiguousarray(np.moveaxis(v[k], -1, 0))
            else:
                out[key] = v
        return out

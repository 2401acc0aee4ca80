"""Progress reporting for long work (export, training, evaluation): one bar, tqdm when installed."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    """tqdm when installed, else a plain stderr line: items done, items/s, ETA and any extra figures (``update``'s
    keyword arguments, e.g. the training loss)."""

    def __init__(self, total: int, enabled: bool = True, unit: str = "QA", initial: int = 0):
        self.total, self.n, self.start, self.unit = total, initial, initial, unit
        self.t0, self.enabled, self._last = time.monotonic(), enabled, 0.0
        self.tqdm = None
        if enabled:
            try:
                from tqdm import tqdm

                self.tqdm = tqdm(total=total, initial=initial, unit=unit, smoothing=0.1, file=sys.stderr)
            except ImportError:
                pass

    def update(self, n: int = 1, **figures) -> None:
        self.n += n
        if self.tqdm is not None:
            if figures:
                self.tqdm.set_postfix(figures, refresh=False)
            self.tqdm.update(n)
        elif self.enabled and (time.monotonic() - self._last > 2 or self.n == self.total):
            self._last = time.monotonic()
            rate = (self.n - self.start) / max(1e-9, self._last - self.t0)
            eta = (self.total - self.n) / rate if rate > 0 else float("inf")
            extra = "".join(f"  {k} {v}" for k, v in figures.items())
            print(f"\r{self.n}/{self.total} {self.unit}s  {rate:.1f} {self.unit}/s  ETA {eta:.0f} s{extra}", end="",
                  file=sys.stderr)

    def close(self) -> None:
        if self.tqdm is not None:
            self.tqdm.close()
        elif self.enabled:
            print(file=sys.stderr)

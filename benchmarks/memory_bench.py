"""Memory: many load / render / close cycles in one process must not grow the resident set beyond noise.

    python benchmarks/memory_bench.py [--cycles 1000] [--size 224]

Prints RSS (MiB) every 100 cycles and the growth between the first and last checkpoint.
"""

from __future__ import annotations

import argparse
import gc
import time


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=1000)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--houses", type=int, default=5, help="distinct houses cycled through")
    args = ap.parse_args()

    from sat_env.backends.embedded import EmbeddedBackend
    from sat_env.scene import generate_house

    houses = [generate_house(s) for s in range(args.houses)]
    marks = []
    t0 = time.perf_counter()
    for i in range(args.cycles):
        b = EmbeddedBackend(width=args.size, height=args.size)
        b.load(houses[i % len(houses)])
        v = b.view()
        assert v.rgb.shape == (args.size, args.size, 3)
        b.close()
        del b, v
        if i % 100 == 99 or i == 0:
            gc.collect()
            marks.append((i + 1, rss_mib()))
            print(f"cycle {i + 1:5d}: RSS {marks[-1][1]:7.1f} MiB  ({time.perf_counter() - t0:6.1f} s)", flush=True)
    first = next(m for c, m in marks if c >= 100)
    growth = marks[-1][1] - first
    print(f"RSS growth from cycle 100 to {marks[-1][0]}: {growth:+.1f} MiB "
          f"({growth / max(1, marks[-1][0] - 100) * 1024:+.2f} KiB per cycle)")


if __name__ == "__main__":
    main()

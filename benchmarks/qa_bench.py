"""Question-engine throughput: QAs per second per family, including the renders each family needs.

    python benchmarks/qa_bench.py [--sizes 224 512] [--houses 4] [--views 4]

For each family and size: sample at `--views` good views in each of `--houses` apartments (the view render is part of
the cost, as in an environment step) and print QAs/s (successful samples per second of wall time), the success rate,
and for comparison the bare render rate at the same views.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[224, 512])
    ap.add_argument("--houses", type=int, default=4)
    ap.add_argument("--views", type=int, default=4)
    ap.add_argument("--families", nargs="+")
    args = ap.parse_args()

    from qa.sampler import load_families, sample_qa
    from sat_env.backends.embedded import EmbeddedBackend
    from sat_env.backends.views import sample_views
    from sat_env.scene import generate_house

    fams = load_families()
    families = args.families or sorted(fams)
    houses = [generate_house(s) for s in range(args.houses)]
    for size in args.sizes:
        b = EmbeddedBackend(width=size, height=size)
        views = []
        for h in houses:
            b.load(h)
            views.append((h, sample_views(b, np.random.default_rng(0), args.views)))
        # bare render rate at the same views
        n, t0 = 0, time.perf_counter()
        for h, poses in views:
            b.load(h)
            for p in poses:
                for _ in range(5):
                    b.view(p)
                    n += 1
        render_rate = n / (time.perf_counter() - t0)
        print(f"\n{size} px: bare view render {render_rate:.0f} views/s (incl. scene load)")
        print(f"{'family':<22}{'QAs/s':>8}{'success':>9}")
        for f in families:
            ok = tries = 0
            t0 = time.perf_counter()
            for k, (h, poses) in enumerate(views):
                b.load(h)
                rng = np.random.default_rng(k)
                for p in poses:
                    for _ in range(3):
                        b.teleport(p.x, p.z, p.yaw, p.horizon)
                        tries += 1
                        ok += sample_qa(f, b, rng) is not None
            dt = time.perf_counter() - t0
            print(f"{f:<22}{ok / dt:>8.0f}{ok / max(tries, 1):>9.2f}")
        b.close()


if __name__ == "__main__":
    main()

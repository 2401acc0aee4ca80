"""Export throughput end to end (sampling, rendering, marking, encoding, writing): QAs/s for 1 and 2 workers.

    .venv/bin/python benchmarks/export_bench.py [--num-qa 5000] [--size 512] [--workers 1 2] [--format sat,llava,messages]

Prints QAs/s per worker count, the projected time for SAT's 175K QAs, and the size on disk per 1,000 QAs.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--num-qa", type=int, default=5000)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--format", default="sat,llava,messages")
    args = ap.parse_args()
    from sat_env.export import ExportConfig, run_export

    print(f"{args.num_qa} QAs, SAT mix, {args.size} px, formats {args.format}, JPEG q90")
    print(f"host calibration: {_render_fps(args.size):.0f} fps rendering house 9 at {args.size} px in this process "
          "(shared hosts drift: compare figures with this one)")
    print(f"{'workers':>8}{'seconds':>10}{'QA/s':>8}{'175K QAs':>11}{'MiB/1k QAs':>12}")
    for w in args.workers:
        out = Path(tempfile.mkdtemp(prefix="sat_export_bench_")) / "e"
        t = time.perf_counter()
        run_export(ExportConfig(num_qa=args.num_qa, out=str(out), size=args.size, formats=args.format.split(","),
                                shard_size=250), workers=w, progress=False)
        dt = time.perf_counter() - t
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
        print(f"{w:>8}{dt:>10.1f}{args.num_qa / dt:>8.1f}{175_000 / (args.num_qa / dt) / 60:>9.0f} m"
              f"{size / 2**20 / args.num_qa * 1000:>12.1f}", flush=True)
        shutil.rmtree(out.parent)


def _render_fps(size: int, frames: int = 40) -> float:
    """Frames per second of a fixed workload (40 views of generated house 9), median of three passes."""
    import statistics

    import numpy as np

    from sat_env.backends.base import AgentPose
    from sat_env.backends.embedded import EmbeddedBackend
    from sat_env.scene import generate_house

    b = EmbeddedBackend(width=size, height=size)
    b.load(generate_house(9))
    rng = np.random.default_rng(0)
    pts = b.reachable_positions()
    poses = [AgentPose(float(p[0]), float(p[1]), float(rng.integers(360)), 10.0)
             for p in pts[rng.integers(len(pts), size=frames)]]
    b.view(poses[0])
    rates = []
    for _ in range(3):
        t = time.perf_counter()
        for p in poses:
            b.view(p)
        rates.append(frames / (time.perf_counter() - t))
    b.close()
    return statistics.median(rates)


if __name__ == "__main__":
    main()

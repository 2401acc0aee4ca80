"""Renderer benchmark: frames per second for RGB + depth + ids (render + readback to numpy) on generated apartments.

    python benchmarks/render_bench.py [--sizes 128 224 512] [--houses 21] [--poses 32] [--runs 5]

Generates `--houses` apartments, picks the median one by triangle count, renders `--poses` agent views from
reachable positions (camera 1.576 m, random yaw, pitch 0-30 degrees, 90 degree FOV) and prints, per size, the median
FPS over `--runs` passes (after warm-up) together with the apartment statistics and GL_RENDERER.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 224, 512])
    ap.add_argument("--houses", type=int, default=21, help="apartments generated; the median one is used")
    ap.add_argument("--poses", type=int, default=32)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0, help="first house seed")
    ap.add_argument("--pick", choices=["median", "max"], default="median",
                    help="which apartment (by triangle count) to benchmark")
    args = ap.parse_args()

    from sat_env.backends.base import CAMERA_HEIGHT
    from sat_env.render import Renderer, gl_info
    from sat_env.render.mesh import build_mesh
    from sat_env.scene import generate_house
    from sat_env.scene.build import build_scene
    from sat_env.scene.camera import Camera

    t0 = time.perf_counter()
    scenes = [build_scene(generate_house(s)) for s in range(args.seed, args.seed + args.houses)]
    gen_s = (time.perf_counter() - t0) / args.houses
    tri = [build_mesh(s.solids).n_triangles for s in scenes]
    order = np.argsort(tri, kind="stable")
    pick = int(order[len(order) // 2] if args.pick == "median" else order[-1])
    scene, n_tri = scenes[pick], tri[pick]

    info = gl_info()
    print(f"GL_RENDERER: {info['GL_RENDERER']}  ({info['GL_VERSION']})")
    print(f"apartments: {args.houses} generated in {gen_s * 1000:.0f} ms each (incl. validation); "
          f"triangles min/median/max {min(tri)}/{int(np.median(tri))}/{max(tri)}")
    seed = scene.house["metadata"]["satEnv"]["seed"]
    print(f"{args.pick} apartment: seed {seed}, {len(scene.rooms)} rooms, {len(scene.objects)} objects, "
          f"{len(scene.solids)} solids, {n_tri} triangles")

    r = Renderer()
    t0 = time.perf_counter()
    for _ in range(10):
        r.load(scene.solids, scene.lights)
    print(f"load (tessellate + upload): {(time.perf_counter() - t0) / 10 * 1000:.2f} ms")

    rng = np.random.default_rng(0)
    pts = scene.navgrid.positions()
    poses = [(pts[i], float(rng.uniform(0, 360)), float(rng.uniform(0, 30)))
             for i in rng.integers(0, len(pts), args.poses)]
    print(f"{'size':>6} {'FPS (median)':>13} {'min':>7} {'max':>7} {'ms/frame':>9}")
    for size in args.sizes:
        cams = [Camera((p[0], CAMERA_HEIGHT, p[1]), yaw, pitch, 90.0, size, size) for p, yaw, pitch in poses]
        for c in cams[:3]:
            r.render(c)
        fps = []
        for _ in range(args.runs):
            t = time.perf_counter()
            for c in cams:
                r.render(c)
            fps.append(len(cams) / (time.perf_counter() - t))
        med = statistics.median(fps)
        print(f"{size:>6} {med:>13.0f} {min(fps):>7.0f} {max(fps):>7.0f} {1000 / med:>9.2f}")
    r.close()


if __name__ == "__main__":
    main()

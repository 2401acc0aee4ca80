"""Navigation grid: reachable positions at 0.25 m, connectivity and geodesic distances for a disc-shaped agent.

A grid point is free when a disc of the agent's radius centred on it touches no obstacle footprint (wall pieces,
doorway trims, floor furniture). Free points are joined to their 8 neighbours (a diagonal step only when both
orthogonal neighbours are free, so the agent never cuts a corner). Geodesic distances come from Dijkstra on that
graph followed by string pulling (line-of-sight shortcuts against the obstacles grown by the agent radius), which
removes the grid's zig-zag overestimate: the result is the length of a path the agent can really follow.
"""

from __future__ import annotations

import heapq

import numpy as np

GRID_SIZE = 0.25
AGENT_RADIUS = 0.2  # AI2-THOR's default agent capsule radius
REACH_DISTANCE = 1.0  # an object counts as reachable if a reachable point lies within this distance of its footprint
_SQ2 = float(np.sqrt(2.0))


def _run_labels(free: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """4-connected component labels (1, 2, ... in row-major order of each component's first cell; 0 = blocked) and
    the component sizes (index 0 unused). Union-find over the runs of free cells in each row: a run joins the runs
    of the row above that it overlaps; a few hundred runs instead of a Python step per cell."""
    h, w = free.shape
    pad = np.zeros((h, w + 2), dtype=np.int8)
    pad[:, 1:-1] = free
    d = np.diff(pad, axis=1)
    rows_s, cols_s = np.nonzero(d == 1)  # run starts (row-major)
    cols_e = np.nonzero(d == -1)[1]  # run ends (exclusive), same order
    n = len(rows_s)
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    row_start = np.searchsorted(rows_s, np.arange(h + 1))
    for r in range(1, h):
        lo, hi = row_start[r - 1], row_start[r]
        if lo == hi:
            continue
        for k in range(row_start[r], row_start[r + 1]):
            s, e = cols_s[k], cols_e[k]
            for m in range(lo, hi):
                if cols_s[m] < e and s < cols_e[m]:  # the runs share a column: 4-connected
                    ra, rb = find(k), find(m)
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)  # the earlier run stays the root
    labels = np.zeros((h, w), dtype=np.int32)
    sizes = [0]
    lab_of_root: dict[int, int] = {}
    for k in range(n):  # runs in row-major order, so labels follow each component's first cell
        root = find(k)
        lab = lab_of_root.get(root)
        if lab is None:
            lab = lab_of_root[root] = len(sizes)
            sizes.append(0)
        labels[rows_s[k], cols_s[k]:cols_e[k]] = lab
        sizes[lab] += int(cols_e[k] - cols_s[k])
    return labels, sizes


def grid_component(free: np.ndarray, seeds: list[tuple[int, int]] | None = None) -> np.ndarray | None:
    """4-connected component of a boolean grid that holds all seeds (None if a seed is blocked or the seeds are in
    different components); with no seeds, the largest component (the first in row-major order among equals; all
    False if nothing is free)."""
    labels, sizes = _run_labels(np.asarray(free, dtype=bool))
    if seeds:
        labs = {int(labels[s]) for s in seeds}
        if len(labs) != 1 or 0 in labs:
            return None
        return labels == labs.pop()
    if len(sizes) == 1:
        return np.zeros(free.shape, dtype=bool)
    return labels == int(np.argmax(sizes[1:]) + 1)


def points_in_polygon(pts: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Even-odd point-in-polygon for many points (N, 2) against one polygon (k, 2) in x-z."""
    inside = np.zeros(len(pts), dtype=bool)
    px, pz = pts[:, 0], pts[:, 1]
    for i in range(len(poly)):
        x1, z1 = poly[i]
        x2, z2 = poly[(i + 1) % len(poly)]
        if z1 == z2:
            continue
        cross = (z1 > pz) != (z2 > pz)
        xi = x1 + (pz - z1) * (x2 - x1) / (z2 - z1)
        inside ^= cross & (px < xi)
    return inside


def rect_distance(px: np.ndarray, pz: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """Distance from points (N,) to axis-aligned rectangles (K, 4) [x0, z0, x1, z1]: (N, K)."""
    dx = np.maximum(np.maximum(rects[None, :, 0] - px[:, None], px[:, None] - rects[None, :, 2]), 0.0)
    dz = np.maximum(np.maximum(rects[None, :, 1] - pz[:, None], pz[:, None] - rects[None, :, 3]), 0.0)
    return np.sqrt(dx * dx + dz * dz)


class NavGrid:
    """Grid of positions the agent can stand on, with geodesic distances.

    Args:
        obstacles: (K, 4) footprints [x0, z0, x1, z1] the agent's disc may not touch.
        polygons: room floor polygons (each (k, 2) x-z); only points inside the house count.
        radius: agent radius in metres.
        grid_size: spacing of the grid in metres (points at integer multiples of it).
        seeds: points (x, z) whose component defines "reachable"; default: the largest component.
    """

    def __init__(self, obstacles: np.ndarray, polygons: list[np.ndarray], radius: float = AGENT_RADIUS,
                 grid_size: float = GRID_SIZE, seeds: list[tuple[float, float]] | None = None):
        self.radius, self.grid = radius, grid_size
        self.obstacles = np.asarray(obstacles, dtype=np.float64).reshape(-1, 4)
        allpts = np.concatenate(polygons)
        lo, hi = allpts.min(axis=0), allpts.max(axis=0)
        self.xs = np.arange(np.ceil(lo[0] / grid_size), np.floor(hi[0] / grid_size) + 1) * grid_size
        self.zs = np.arange(np.ceil(lo[1] / grid_size), np.floor(hi[1] / grid_size) + 1) * grid_size
        gx, gz = np.meshgrid(self.xs, self.zs, indexing="ij")
        pts = np.stack([gx.ravel(), gz.ravel()], axis=1)
        inside = np.zeros(len(pts), dtype=bool)
        for poly in polygons:  # a point on a shared wall line (a doorway) counts if a nudge puts it in a room
            for off in ((1e-4, 1e-4), (-1e-4, -1e-4), (1e-4, -1e-4), (-1e-4, 1e-4)):
                inside |= points_in_polygon(pts + off, poly)
        free = inside.copy()
        if len(self.obstacles):
            idx = np.nonzero(inside)[0]
            d = rect_distance(pts[idx, 0], pts[idx, 1], self.obstacles).min(axis=1)
            free[idx] = d >= radius - 1e-9  # touching is not colliding
        self.free = free.reshape(gx.shape)
        seed_idx = None
        if seeds:
            seed_idx = [self.nearest_index(s, require_free=True) for s in seeds]
            seed_idx = [s for s in seed_idx if s is not None] or None
        comp = grid_component(self.free, seed_idx)
        self.reachable = comp if comp is not None else np.zeros_like(self.free)
        self._dist_cache: dict[tuple[int, int], np.ndarray] = {}

    # --- positions ----------------------------------------------------------------------------------------
    def positions(self) -> np.ndarray:
        """(N, 2) reachable grid positions (x, z), sorted by x then z."""
        i, j = np.nonzero(self.reachable)
        return np.stack([self.xs[i], self.zs[j]], axis=1)

    def index_of(self, x: float, z: float) -> tuple[int, int]:
        return int(round((x - self.xs[0]) / self.grid)), int(round((z - self.zs[0]) / self.grid))

    def nearest_index(self, p, require_free: bool = False, reachable: bool = False) -> tuple[int, int] | None:
        """Grid index of the nearest free (or reachable) point to p = (x, z) that p can see, or None."""
        mask = self.reachable if reachable else (self.free if require_free else np.ones_like(self.free))
        i, j = np.nonzero(mask)
        if len(i) == 0:
            return None
        d = (self.xs[i] - p[0]) ** 2 + (self.zs[j] - p[1]) ** 2
        for k in np.argsort(d, kind="stable")[:16]:
            q = (self.xs[i[k]], self.zs[j[k]])
            if not (reachable or require_free) or self.line_of_sight(p, q):
                return int(i[k]), int(j[k])
        return None

    def is_free_point(self, x: float, z: float) -> bool:
        if not len(self.obstacles):
            return True
        return bool(rect_distance(np.array([x]), np.array([z]), self.obstacles).min() >= self.radius - 1e-9)

    # --- geodesics -----------------------------------------------------------------------------------------
    def line_of_sight(self, a, b) -> bool:
        """True if the agent's disc can slide straight from a to b without touching an obstacle."""
        if not len(self.obstacles):
            return True
        r = self.radius - 1e-6  # grazing an obstacle at exactly the radius is allowed
        lo = self.obstacles[:, :2] - r
        hi = self.obstacles[:, 2:] + r
        p = np.asarray(a, dtype=np.float64)
        d = np.asarray(b, dtype=np.float64) - p
        with np.errstate(divide="ignore", invalid="ignore"):
            t0 = (lo - p) / d
            t1 = (hi - p) / d
        tmin = np.where(d == 0, np.where((p >= lo) & (p <= hi), -np.inf, np.inf), np.minimum(t0, t1))
        tmax = np.where(d == 0, np.where((p >= lo) & (p <= hi), np.inf, -np.inf), np.maximum(t0, t1))
        enter = tmin.max(axis=1)
        leave = tmax.min(axis=1)
        hit = (enter <= leave) & (leave >= 0.0) & (enter <= 1.0)
        return not bool(hit.any())

    def distance_field(self, target: tuple[int, int]) -> np.ndarray:
        """Dijkstra distances (m) over the 8-connected reachable grid from a target index (inf = unreachable)."""
        if target in self._dist_cache:
            return self._dist_cache[target]
        dist = self.distance_field_multi([target])
        if len(self._dist_cache) > 64:
            self._dist_cache.clear()
        self._dist_cache[target] = dist
        return dist

    def shortest_path(self, a, b) -> list[tuple[float, float]] | None:
        """Shortest path from a to b (x, z) as corner points, or None if b cannot be reached from a."""
        ia = self.nearest_index(a, reachable=True)
        ib = self.nearest_index(b, reachable=True)
        if ia is None or ib is None:
            return None
        dist = self.distance_field(ib)
        if not np.isfinite(dist[ia]):
            return None
        cells = [ia]
        i, j = ia
        h, w = dist.shape
        while (i, j) != ib:
            best = None
            for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)):
                a2, b2 = i + di, j + dj
                if not (0 <= a2 < h and 0 <= b2 < w) or not np.isfinite(dist[a2, b2]):
                    continue
                if di and dj and not (self.reachable[i + di, j] and self.reachable[i, j + dj]):
                    continue
                step = self.grid * (_SQ2 if di and dj else 1.0)
                if abs(dist[a2, b2] + step - dist[i, j]) < 1e-9 and (best is None or dist[a2, b2] < best[0]):
                    best = (dist[a2, b2], (a2, b2))
            if best is None:
                return None
            i, j = best[1]
            cells.append((i, j))
        pts = [tuple(map(float, a))] + [(float(self.xs[i]), float(self.zs[j])) for i, j in cells] + [tuple(map(float, b))]
        # String pulling: from each kept corner jump to the farthest point still in sight.
        out = [pts[0]]
        k = 0
        while k < len(pts) - 1:
            nxt = k + 1
            for m in range(len(pts) - 1, k + 1, -1):
                if self.line_of_sight(pts[k], pts[m]):
                    nxt = m
                    break
            out.append(pts[nxt])
            k = nxt
        dedup = [out[0]]
        for p in out[1:]:
            if np.hypot(p[0] - dedup[-1][0], p[1] - dedup[-1][1]) > 1e-9:
                dedup.append(p)
        return self._refine(dedup)

    def _refine(self, path: list[tuple[float, float]], radius: float = 0.6, passes: int = 3) -> list:
        """Slide each bend of a path onto the corner of a grown obstacle nearby when that shortens it.

        A shortest path around axis-aligned obstacles grown by the agent radius bends only at their corners, so
        moving bends from grid points to those corners removes the grid's rounding.
        """
        if len(path) < 3 or not len(self.obstacles):
            return path
        r = self.radius
        o = self.obstacles
        corners = np.concatenate([np.stack([o[:, 0] - r, o[:, 1] - r], 1), np.stack([o[:, 0] - r, o[:, 3] + r], 1),
                                  np.stack([o[:, 2] + r, o[:, 1] - r], 1), np.stack([o[:, 2] + r, o[:, 3] + r], 1)])
        pts = [np.asarray(p, dtype=np.float64) for p in path]
        for _ in range(passes):
            changed = False
            i = 1
            while i < len(pts) - 1:
                a, c, b = pts[i - 1], pts[i], pts[i + 1]
                if self.line_of_sight(a, b):
                    del pts[i]
                    changed = True
                    continue
                best = np.linalg.norm(c - a) + np.linalg.norm(b - c)
                near = corners[np.hypot(corners[:, 0] - c[0], corners[:, 1] - c[1]) <= radius]
                lengths = np.hypot(*(near - a).T) + np.hypot(*(b - near).T)
                for k in np.argsort(lengths):
                    if lengths[k] >= best - 1e-9:
                        break
                    if self.line_of_sight(a, near[k]) and self.line_of_sight(near[k], b):
                        pts[i] = near[k].copy()
                        changed = True
                        break
                i += 1
            if not changed:
                break
        return [(float(p[0]), float(p[1])) for p in pts]

    def geodesic_distance(self, a, b) -> float:
        """Length (m) of the shortest path from a to b (x, z); inf if unreachable."""
        path = self.shortest_path(a, b)
        if path is None:
            return float("inf")
        p = np.asarray(path)
        return float(np.sum(np.hypot(np.diff(p[:, 0]), np.diff(p[:, 1]))))

    def distance_field_multi(self, sources) -> np.ndarray:
        """Multi-source Dijkstra: distance (m) over the 8-connected reachable grid to the nearest of several source
        indices (i, j) (inf = unreachable). Not cached; unreachable or out-of-grid sources are ignored."""
        h, w = self.reachable.shape
        dist = np.full((h, w), np.inf)
        ok = self.reachable
        heap = []
        for s in sources:
            i, j = int(s[0]), int(s[1])
            if 0 <= i < h and 0 <= j < w and ok[i, j] and dist[i, j] > 0.0:
                dist[i, j] = 0.0
                heap.append((0.0, (i, j)))
        heapq.heapify(heap)
        g = self.grid
        gd = g * _SQ2
        while heap:
            d0, (i, j) = heapq.heappop(heap)
            if d0 > dist[i, j]:
                continue
            for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)):
                a, b = i + di, j + dj
                if not (0 <= a < h and 0 <= b < w) or not ok[a, b]:
                    continue
                if di and dj and not (ok[i + di, j] and ok[i, j + dj]):
                    continue
                nd = d0 + (gd if di and dj else g)
                if nd < dist[a, b]:
                    dist[a, b] = nd
                    heapq.heappush(heap, (nd, (a, b)))
        return dist

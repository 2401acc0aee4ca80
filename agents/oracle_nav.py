"""ObjectNav oracle: follows the geodesic shortest path using privileged ground truth, then looks at the target.

Uses only ``env.unwrapped.privileged()`` (navigation grid, goal points, target footprints, a ``success_at`` probe
that renders from a hypothetical pose); the observation is ignored.
"""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np

import sat_env  # noqa: F401
from sat_env.backends.base import AgentPose
from sat_env.scene.navgrid import rect_distance

MOVE, LEFT, RIGHT, UP, DOWN, DONE = range(6)
STEP = 0.25
YAWS = tuple(range(0, 360, 30))
HORIZONS = (30.0, 0.0, 60.0, -30.0)


def _angdiff(a: float, b: float) -> float:
    """Signed smallest difference b - a in degrees, in (-180, 180]."""
    d = (b - a + 180.0) % 360.0 - 180.0
    return 180.0 if d == -180.0 else d


class OracleNavAgent:
    """Shortest-path ObjectNav oracle (Agent protocol: ``reset(obs, info)``, ``act(obs, info)``).

    Each step: if the agent stands within the success distance of a target, it searches the 12 yaws x 4 horizons
    for a pose from which ``Done`` succeeds (cheapest in turns first; renders through ``success_at``), turns/looks
    there and calls Done. Otherwise it aims at the farthest corner of its planned path that it can see, picks the
    30-degree heading closest to that direction whose 0.25 m move is collision-free, rotates to it (the shorter way)
    and moves. A failed move, a blocked heading set, or a goal point without a view triggers a re-plan (to the next
    nearest untried goal point).

    Args:
        env: the ObjectNav env (wrapped or not).
    """

    def __init__(self, env):
        self.env = env

    # --- episode ------------------------------------------------------------------------------------------------
    def reset(self, obs, info: dict) -> None:
        self.priv = self.env.unwrapped.privileged()
        self.nav = self.priv["navgrid"]
        self.backend = self.priv["backend"]
        self.fps = self.priv["target_footprints"]
        self.goal_pts = self.priv["goal_points"]
        self.tried: list[tuple[float, float]] = []
        self.view_cache: dict = {}
        self.plan_target = None
        self.path = [tuple(p) for p in self.priv["shortest_path"]][1:]
        if self.path:
            self.plan_target = self.path[-1]
        self.visits: dict = {}
        self.last_pos = None
        self.need_replan = False
        self.field = self.priv["goal_distance_field"]

    # --- helpers ------------------------------------------------------------------------------------------------
    def _near(self, x: float, z: float) -> bool:
        d = rect_distance(np.array([x]), np.array([z]), self.fps)[0]
        return bool((d <= self.priv["success_distance"] - 1e-6).any())

    def _view_plan(self, pose: AgentPose):
        """(yaw, horizon) from which Done succeeds at this position, fewest turns first; None if there is none."""
        key = (round(pose.x, 4), round(pose.z, 4))
        if key not in self.view_cache:
            cands = []
            for yaw in YAWS:
                for h in HORIZONS:
                    cost = abs(_angdiff(pose.yaw, yaw)) / 30.0 + abs(h - pose.horizon) / 30.0
                    cands.append((cost, yaw, h))
            cands.sort()
            found = None
            for _, yaw, h in cands:
                if self.priv["success_at"](AgentPose(pose.x, pose.z, float(yaw), float(h))):
                    found = (float(yaw), float(h))
                    break
            self.view_cache[key] = found
        return self.view_cache[key]

    def _can_move(self, x: float, z: float, yaw: float) -> bool:
        t = math.radians(yaw)
        nx, nz = x + STEP * math.sin(t), z + STEP * math.cos(t)
        if not self.nav.is_free_point(nx, nz) or not self.nav.line_of_sight((x, z), (nx, nz)):
            return False
        i, j = self.nav.index_of(nx, nz)
        h, w = self.nav.free.shape
        # Stay inside the house: the point must be near some free grid point (walls bound the outside anyway).
        return any(0 <= a < h and 0 <= b < w and self.nav.free[a, b]
                   for a in (i - 1, i, i + 1) for b in (j - 1, j, j + 1))

    def _replan(self, x: float, z: float) -> None:
        """Path to the nearest goal point not yet tried (by grid distance from here)."""
        si = self.nav.nearest_index((x, z), reachable=True)
        self.path = []
        if si is None:
            return
        field = self.nav.distance_field(si)
        gi = self.priv["goal_indices"]
        d = field[gi[:, 0], gi[:, 1]].copy()
        for tx, tz in self.tried:
            d[np.hypot(self.goal_pts[:, 0] - tx, self.goal_pts[:, 1] - tz) < 0.3] = np.inf
        for k in np.argsort(d, kind="stable")[:5]:
            if not np.isfinite(d[k]):
                break
            g = (float(self.goal_pts[k, 0]), float(self.goal_pts[k, 1]))
            path = self.nav.shortest_path((x, z), g)
            if path:
                self.path = [tuple(p) for p in path[1:]] or [g]
                self.plan_target = g
                return

    def _field_at(self, x: float, z: float) -> float:
        """Grid distance to the goal region from an off-grid point: min over nearby grid points in sight."""
        nav, f = self.nav, self.field
        i0, j0 = nav.index_of(x, z)
        best = math.inf
        for i in range(max(i0 - 2, 0), min(i0 + 3, f.shape[0])):
            for j in range(max(j0 - 2, 0), min(j0 + 3, f.shape[1])):
                if np.isfinite(f[i, j]):
                    q = (float(nav.xs[i]), float(nav.zs[j]))
                    v = f[i, j] + math.hypot(q[0] - x, q[1] - z)
                    if v < best and nav.line_of_sight((x, z), q):
                        best = v
        return best

    def _greedy(self, pose) -> int:
        """Fallback: the free heading whose move lowers the goal distance most (avoiding revisited spots)."""
        best = None
        for yaw, nx, nz in self._free_moves(pose):
            v = self._field_at(nx, nz) + 0.5 * self.visits.get((round(nx, 2), round(nz, 2)), 0)
            if best is None or v < best[0]:
                best = (v, yaw)
        if best is None:
            return RIGHT
        return self._head(pose, best[1])

    def _approach(self, pose, force: bool = False) -> int | None:
        """Turn to / take the free move that brings the agent closest to a target footprint; None if no move gets
        closer (unless force)."""
        here = float(rect_distance(np.array([pose.x]), np.array([pose.z]), self.fps).min())
        best = None
        for yaw, nx, nz in self._free_moves(pose):
            d = float(rect_distance(np.array([nx]), np.array([nz]), self.fps).min())
            cost = (d, abs(_angdiff(pose.yaw, yaw)))
            if best is None or cost < best[0]:
                best = (cost, yaw)
        if best is None or (not force and best[0][0] > here - 0.02):
            return RIGHT if force else None
        return self._head(pose, best[1])

    def _free_moves(self, pose):
        """(yaw, x, z) for every heading in YAWS whose STEP move from the pose is free."""
        for yaw in YAWS:
            if self._can_move(pose.x, pose.z, yaw):
                t = math.radians(yaw)
                yield yaw, pose.x + STEP * math.sin(t), pose.z + STEP * math.cos(t)

    def _head(self, pose, yaw: float) -> int:
        """MoveAhead when already facing `yaw`, else the turn towards it."""
        return MOVE if abs(_angdiff(pose.yaw, yaw)) < 1e-6 else self._turn(pose.yaw, yaw)

    def _turn(self, yaw: float, want: float) -> int:
        return RIGHT if _angdiff(yaw, want) > 0 else LEFT

    # --- act ----------------------------------------------------------------------------------------------------
    def act(self, obs, info: dict) -> int:
        pose = self.backend.pose
        x, z = pose.x, pose.z
        if info.get("collided"):
            self._replan(x, z)
        if self._near(x, z):
            vp = self._view_plan(pose)
            if vp is not None:
                yaw, h = vp
                if abs(_angdiff(pose.yaw, yaw)) > 1e-6:
                    return self._turn(pose.yaw, yaw)
                if abs(h - pose.horizon) > 1e-6:
                    return DOWN if h > pose.horizon else UP
                return DONE
        key = (round(x, 2), round(z, 2))
        if self.last_pos != key:
            self.visits[key] = self.visits.get(key, 0) + 1
            self.last_pos = key
        if self.visits[key] >= 2:  # going in circles: descend the goal field instead, then re-plan
            a = self._greedy(pose)
            if a == MOVE:
                self.need_replan = True
            return a
        if self.need_replan:
            self.need_replan = False
            self._replan(x, z)
        # Drop reached corners; aim at the farthest corner in sight.
        while self.path and math.hypot(self.path[0][0] - x, self.path[0][1] - z) < 0.13:
            self.path.pop(0)
        if not self.path:
            if self.plan_target is not None and not self._near(x, z):
                a = self._approach(pose)  # at the goal point but a few cm short of reach: step closer
                if a is not None:
                    return a
                self.tried.append(self.plan_target)  # cannot get closer here: try another goal point
            # Within reach but no view of the target from here: try the next goal point.
            if self.plan_target is not None:
                self.tried.append(self.plan_target)
            self.tried.append((x, z))
            self._replan(x, z)
            if not self.path:
                self.tried = []  # everything tried: start over
                self._replan(x, z)
            if not self.path:
                return self._approach(pose, force=True)
        aim = self.path[0]
        for k in range(len(self.path) - 1, 0, -1):
            if self.nav.line_of_sight((x, z), self.path[k]):
                aim = self.path[k]
                del self.path[:k]
                break
        want = math.degrees(math.atan2(aim[0] - x, aim[1] - z)) % 360.0
        dist = math.hypot(aim[0] - x, aim[1] - z)
        # Best collision-free heading: closest to the wanted direction; for the last short hop, the one that ends
        # closest to the aim point.
        options = []
        for yaw in YAWS:
            err = abs(_angdiff(yaw, want))
            if err > 75.0 or not self._can_move(x, z, yaw):
                continue
            t = math.radians(yaw)
            end = math.hypot(x + STEP * math.sin(t) - aim[0], z + STEP * math.cos(t) - aim[1])
            options.append((end if dist < STEP * 1.5 else err, err, yaw))
        if not options:
            a = self._greedy(pose)
            if a == MOVE:
                self.need_replan = True
            return a
        options.sort()
        yaw = options[0][2]
        if abs(_angdiff(pose.yaw, yaw)) < 1e-6:
            return MOVE
        return self._turn(pose.yaw, yaw)


def evaluate(env_id: str = "SAT-ObjectNav-v0", n: int = 100, **kwargs) -> dict:
    """Run the oracle on the first n episodes of the fixed eval set; mean success, SPL and episode length."""
    env = gym.make(env_id, episodes="eval", **kwargs)
    agent = OracleNavAgent(env)
    rows = []
    for k in range(n):
        obs, info = env.reset(options={"episode": k})
        agent.reset(obs, info)
        while True:
            obs, _, te, tr, info = env.step(agent.act(obs, info))
            if te or tr:
                break
        rows.append((info["success"], info["spl"], info["steps"], info["episode_id"]))
    env.close()
    return {
        "episodes": n,
        "success": float(np.mean([r[0] for r in rows])),
        "spl": float(np.mean([r[1] for r in rows])),
        "mean_steps": float(np.mean([r[2] for r in rows])),
        "failures": [r[3] for r in rows if not r[0]],
    }


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser(description="ObjectNav oracle on the fixed eval set")
    ap.add_argument("--easy", action="store_true", help="SAT-ObjectNav-Easy-v0 (default: SAT-ObjectNav-v0)")
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("--size", type=int, default=None)
    a = ap.parse_args()
    kw = {"size": a.size} if a.size else {}
    print(json.dumps(evaluate("SAT-ObjectNav-Easy-v0" if a.easy else "SAT-ObjectNav-v0", a.n, **kw)))

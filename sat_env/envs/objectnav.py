"""ObjectNav: find an object of a target category in a procedurally generated apartment and call Done next to it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from sat_env.backends.base import AgentPose
from sat_env.envs.base import SatEnv
from sat_env.envs.spaces import SharedText
from sat_env.errors import ConfigError, SatEnvError
from sat_env.scene.config import HouseConfig
from sat_env.scene.navgrid import rect_distance
from sat_env.tasks.objectnav import (  # the task's rules: one place, below qa and the envs
    ACTIONS,
    GOAL_CORE_DISTANCE,
    LOOK_DEGREES,
    MOVE_MAGNITUDE,
    REACH_TOLERANCE,
    ROTATE_DEGREES,
    START_HORIZON,
    SUCCESS_DISTANCE,
    TARGET_TYPES,
    visible_pixel_threshold,
)

STEP_PENALTY = -0.01
SUCCESS_REWARD = 10.0
TRAIN_SEED_RANGE = (0, 1_000_000)  # house seeds of procedurally sampled (training) episodes
EVAL_HOUSE_SEED_BASE = {False: 1_000_000, True: 1_500_000}  # eval house seeds: disjoint from training
EVAL_SEED = 20240601
EVAL_SIZE = 100
RENDER_HEIGHT = 384  # pixels: render()'s frames are RENDER_HEIGHT high, the same size all episode and every episode
TARGET_CHARSET = "".join(sorted(set(spaces.text.alphanumeric) | {" "}))  # ordered (see qa_env.CHARSET)
_EASY_CONFIG = HouseConfig(min_rooms=1, max_rooms=2)
_LRU_HOUSES = 256  # generated houses kept (~100 KB each): a training pool of seeds stays in memory


# --------------------------------------------------------------------------------------------------------------
# Episode construction (shared by training sampling and the fixed evaluation set)
# --------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EpisodeSpec:
    """One ObjectNav episode: the house seed, target category and start pose (on the 0.25 m grid)."""

    episode_id: str
    house_seed: int
    target: str
    x: float
    z: float
    yaw: float
    horizon: float
    shortest_path_length: float


def _target_records(scene, target: str) -> list:
    return [o for o in scene.objects.values() if o.object_type == target]


def _segments_blocked(P: np.ndarray, Q: np.ndarray, rects: np.ndarray, eps: float = 1e-4) -> np.ndarray:
    """(N,) True where segment P[n] -> Q[n] passes through the interior of any rectangle (K, 4) [x0, z0, x1, z1]."""
    if len(rects) == 0 or len(P) == 0:
        return np.zeros(len(P), dtype=bool)
    lo = rects[None, :, :2] + eps
    hi = rects[None, :, 2:] - eps
    p = P[:, None, :]
    d = (Q - P)[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        t0 = (lo - p) / d
        t1 = (hi - p) / d
    inside = (p > lo) & (p < hi)
    tmin = np.where(d == 0, np.where(inside, -np.inf, np.inf), np.minimum(t0, t1))
    tmax = np.where(d == 0, np.where(inside, np.inf, -np.inf), np.maximum(t0, t1))
    enter = tmin.max(axis=2)
    leave = tmax.min(axis=2)
    return ((enter < leave) & (leave > 0.0) & (enter < 1.0)).any(axis=1)


def _goal(scene, target: str):
    """Goal grid indices (reachable points within SUCCESS_DISTANCE of some target footprint, with no wall between the
    point and that footprint) and the multi-source distance field to them; (None, None) when there is none."""
    nav = scene.navgrid
    recs = _target_records(scene, target)
    if not recs:
        return None, None
    ii, jj = np.nonzero(nav.reachable)
    if len(ii) == 0:
        return None, None
    fps = np.array([o.footprint for o in recs], dtype=np.float64)
    px, pz = nav.xs[ii], nav.zs[jj]
    near = rect_distance(px, pz, fps) <= SUCCESS_DISTANCE + REACH_TOLERANCE  # (N, K)
    pi, ok = np.nonzero(near)
    if len(pi):  # no wall between the point and the closest point of that object's footprint
        P = np.stack([px[pi], pz[pi]], axis=1)
        Q = np.stack([np.clip(P[:, 0], fps[ok, 0], fps[ok, 2]), np.clip(P[:, 1], fps[ok, 1], fps[ok, 3])], axis=1)
        walls = np.asarray(scene.structure_obstacles, dtype=np.float64)[:, :4]
        clear = ~_segments_blocked(P, Q, walls)
        pi = pi[clear]
    sel = np.zeros(len(ii), dtype=bool)
    sel[pi] = True
    if not sel.any():
        return None, None
    goal = np.stack([ii[sel], jj[sel]], axis=1)
    return goal, nav.distance_field_multi([tuple(g) for g in goal])


def _shortest(nav, start_xz, goal_idx, k: int = 4):
    """Length and corners of the shortest (string-pulled) path from start_xz to the goal set: the best of the k goal
    points nearest by grid Dijkstra."""
    si = nav.nearest_index(start_xz, reachable=True)
    if si is None:
        return math.inf, None
    field = nav.distance_field(si)
    gd = field[goal_idx[:, 0], goal_idx[:, 1]]
    order = np.argsort(gd, kind="stable")[:k]
    best = (math.inf, None)
    for o in order:
        if not np.isfinite(gd[o]):
            break
        g = (float(nav.xs[goal_idx[o, 0]]), float(nav.zs[goal_idx[o, 1]]))
        path = nav.shortest_path(start_xz, g)
        if path is None:
            continue
        p = np.asarray(path)
        length = float(np.sum(np.hypot(np.diff(p[:, 0]), np.diff(p[:, 1]))))
        if length < best[0]:
            best = (length, path)
    return best


def _sample_episode(scene, rng: np.random.Generator, target: str | None = None, tries: int = 8):
    """(target, (x, z, yaw, horizon), shortest length, (goal indices, goal field, path)) for a scene, or None if no
    target type works."""
    present = sorted({o.object_type for o in scene.objects.values()} & set(TARGET_TYPES), key=TARGET_TYPES.index)
    if target is not None:
        present = [target] if target in present else []
    order = [present[i] for i in rng.permutation(len(present))]
    nav = scene.navgrid
    for t in order:
        goal, field = _goal(scene, t)
        if goal is None:
            continue
        fps = np.array([o.footprint for o in _target_records(scene, t)], dtype=np.float64)
        if rect_distance(nav.xs[goal[:, 0]], nav.zs[goal[:, 1]], fps).min() > GOAL_CORE_DISTANCE:
            continue  # only reachable at the very edge of the 1 m reach: skip (30-degree moves rarely land there)
        ci, cj = np.nonzero(np.isfinite(field) & (field > SUCCESS_DISTANCE))
        if len(ci) == 0:
            continue
        for _ in range(tries):
            k = int(rng.integers(len(ci)))
            x, z = float(nav.xs[ci[k]]), float(nav.zs[cj[k]])
            length, path = _shortest(nav, (x, z), goal)
            if np.isfinite(length) and length > SUCCESS_DISTANCE:
                yaw = float(ROTATE_DEGREES * int(rng.integers(round(360 / ROTATE_DEGREES))))
                return t, (x, z, yaw, START_HORIZON), length, (goal, field, path)
    return None


@lru_cache(maxsize=1024)
def eval_episode(k: int, easy: bool = False) -> EpisodeSpec:
    """Episode k of the fixed evaluation set (deterministic; house seeds 1_000_000+ (full) / 1_500_000+ (easy),
    disjoint from training seeds [0, 1_000_000))."""
    from sat_env.scene.generate import generate_scene

    if k < 0:
        raise ConfigError(f"eval episode index must be >= 0, got {k}")
    config = _EASY_CONFIG if easy else HouseConfig()
    rng = np.random.default_rng([EVAL_SEED, int(k), int(bool(easy))])
    seed = EVAL_HOUSE_SEED_BASE[bool(easy)] + int(k)
    for attempt in range(100):  # a house without any usable target is skipped, deterministically
        ep = _sample_episode(generate_scene(seed + 10_000 * attempt, config), rng)
        if ep is not None:
            t, (x, z, yaw, h), length, _ = ep
            return EpisodeSpec(f"eval{'-easy' if easy else ''}-{k:04d}", seed + 10_000 * attempt, t, x, z, yaw, h,
                               round(length, 6))
    raise SatEnvError(f"no usable eval episode {k}")  # pragma: no cover


def eval_episodes(n: int = EVAL_SIZE, easy: bool = False) -> list[EpisodeSpec]:
    """The first n episodes of the fixed, seeded evaluation set (same list on every machine and call)."""
    return [eval_episode(k, easy) for k in range(n)]




# --------------------------------------------------------------------------------------------------------------
class ObjectNavEnv(SatEnv):
    """ObjectNav in procedurally generated apartments (embedded renderer, no download).

    ## Description
    The agent starts somewhere in an apartment and is told a target category (e.g. ``"Bed"``). It must walk to an
    object of that category and call ``Done`` while the object is in view and within 1.0 m. This follows the
    RoboTHOR / ProcTHOR ObjectNav definition (success, SPL; Anderson et al. 2018).

    ## Action Space
    ``Discrete(6)`` (names in :data:`ACTIONS`):

    | index | action | effect |
    |---|---|---|
    | 0 | MoveAhead | move 0.25 m forward; fails (no motion, ``info["collided"]``) if the 0.2 m disc hits something |
    | 1 | RotateLeft | turn 30 degrees left |
    | 2 | RotateRight | turn 30 degrees right |
    | 3 | LookUp | tilt the camera 30 degrees up (horizon limit -30) |
    | 4 | LookDown | tilt the camera 30 degrees down (horizon limit 60) |
    | 5 | Done | end the episode; success is judged now |

    An action outside ``[0, 5]`` raises ``ValueError``.

    ## Observation Space
    ``Dict``:

    - ``"rgb"``: ``Box(0, 255, (H, W, 3), uint8)``, the egocentric camera (camera 1.5756 m high, vertical FOV ``fov``).
    - ``"target"``: ``Text(max_length=32, charset=letters, digits and space)``, the target category, e.g. ``"Bed"``.
    - ``"target_index"``: ``Discrete(len(TARGET_TYPES))``, the index of the target in :data:`TARGET_TYPES`.
    - ``"depth"`` (only with ``depth=True``): ``Box(0, 100, (H, W, 1), float32)`` planar depth in metres (0 = nothing).

    No privileged data is in the observation; oracles use :meth:`privileged`. Note (gymnasium 1.4): with
    ``AsyncVectorEnv`` pass ``shared_memory=False`` (``vector_kwargs``), otherwise the ``Text`` part comes back stale.
    For stable-baselines3 drop ``"target"`` (``FilterObservation``) and keep ``"target_index"``.

    ## Rewards
    Per step: ``-0.01 + shaping_weight * (d_prev - d_now)`` where ``d`` is the geodesic distance (m) from the agent to
    the goal region (ProcTHOR's shaping, weight 1 by default; set ``shaping_weight=0`` for sparse reward), plus
    ``+10`` when ``Done`` succeeds. A failed ``Done`` costs ``failed_done_penalty`` (0 by default, as ProcTHOR; 1 in
    the easy variant). With ``auto_done`` (the easy variant's default) the episode succeeds as soon as a target is
    visible within reach after a move or turn, without ``Done``.

    ``d`` comes from a multi-source Dijkstra over the 8-connected 0.25 m reachable grid, computed once per episode;
    for an off-grid position it is ``min(field[c] + |p - c|)`` over the 2x2 surrounding reachable grid points (wider
    if none is reachable). The octile grid metric overestimates the free-space geodesic (about 8 % on open diagonals,
    more around furniture); it is used for shaping and ``info["distance_to_goal"]`` only, not for SPL.

    ## Success and SPL
    Success: action ``Done`` while some object of the target type (a) covers at least ``max(4, 0.5 %)`` of the
    pixels of the current instance-id image (e.g. 20 px at 64x64, 82 px at 128x128, 251 px at 224x224) and (b) is
    within 1.0 m horizontal distance from the agent's position (its vertical axis) to the object's footprint (the
    world-axis-aligned box of its rotated base). Objects close to the floor usually need ``LookDown`` to be seen.

    SPL = success * L / max(P, L) with L the shortest path length from the start to the goal region and P the metres
    actually moved (0.25 m per successful MoveAhead). The goal region is the set of reachable 0.25 m grid points
    within 1.0 m of a target footprint with no wall between the point and that footprint (so a point behind a wall
    does not count); L is the string-pulled shortest path to the best of the 4 goal points nearest by grid
    Dijkstra. Goal points are a proximity notion: from a few of them the target may be hidden by furniture (the
    oracle then walks on), and an agent can succeed slightly off-grid, so SPL is an estimate in the usual sense.

    ## Starting State
    A house (generated from a seed in [0, 1_000_000) drawn from ``np_random``, or one of ``houses``; the last 6
    generated houses are cached), a target type drawn uniformly from the :data:`TARGET_TYPES` present in it with a
    reachable goal (some goal point within 0.85 m of a target, so that the 1 m reach is not only attainable on
    the exact edge, which 30-degree moves rarely hit), and a reachable grid point whose shortest path to the goal
    region exceeds 1 m, yaw a multiple of 30 degrees, horizon 30 degrees down. Only ``self.np_random`` is used, so ``reset(seed=s)`` is reproducible.
    Reset takes ~0.05-0.1 s on one core, mostly house generation (a cached house: ~0.02 s).

    ## Episode End
    Terminated on ``Done`` (success or not). Truncated after ``max_steps`` steps (500; 200 for ``easy``).

    ## Info
    ``success``, ``spl`` (on the final step; 0 otherwise), ``path_length``, ``distance_to_goal``,
    ``shortest_path_length``, ``target``, ``episode_id``, ``house_seed``, ``collided`` (the last MoveAhead failed),
    ``last_action_success``, ``steps``.

    ## Arguments
    - ``size``: image size, int (square) or ``(W, H)``; default 224 (64 for ``easy``).
    - ``fov``: vertical field of view in degrees (90).
    - ``max_steps``: step limit (500; 200 for ``easy``).
    - ``depth``: add the ``"depth"`` observation.
    - ``easy``: 1-2 room apartments, 64 px, 200 steps (defaults only; explicit arguments win).
    - ``house_config``: :class:`~sat_env.scene.config.HouseConfig` or dict of its fields for generated houses.
    - ``houses``: list of house dicts, int seeds and/or ProcTHOR-10K sources ``"procthor:FILE.jsonl.gz#N"``
      (``#A-B``, ``#0-9,42``) to draw from instead of fresh seeds.
    - ``episodes``: ``"train"`` (sampled per reset) or ``"eval"`` (the fixed set :func:`eval_episodes`, episode 0, 1,
      2, ... on successive resets whatever the seed; ``reset(options={"episode": k})`` picks episode k and does not
      move the sequence). In eval mode the seed does not choose the episode.
    - ``n_eval``: size of the evaluation set cycled through (100).
    - ``shaping_weight``: weight of the distance shaping (1.0).
    - ``auto_done``: succeed automatically when a target is visible within reach (default: True for ``easy``).
    - ``failed_done_penalty``: reward subtracted for a wrong ``Done`` (default: 1.0 for ``easy``, else 0).
    - ``render_mode``: ``None`` or ``"rgb_array"`` (egocentric view beside a top-down map with the agent, its path and
      the target objects in green).
    - ``backend``: ``"embedded"`` (default) or ``"thor"`` (AI2-THOR; ``pip install -e ".[thor]"`` and a Unity build).

    ``reset(options=...)`` also accepts ``"target"`` (a type name) and, in train mode, ``"house_seed"``.

    ## Version History
    - v0: first version.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 5}
    ACTIONS = ACTIONS
    TARGET_TYPES = TARGET_TYPES

    def __init__(self, size: int | tuple[int, int] | None = None, fov: float = 90.0, max_steps: int | None = None,
                 depth: bool = False, easy: bool = False, house_config: HouseConfig | dict | None = None,
                 houses: list | None = None, episodes: str = "train", n_eval: int = EVAL_SIZE,
                 shaping_weight: float = 1.0, render_mode: str | None = None, auto_done: bool | None = None,
                 failed_done_penalty: float | None = None, backend: str = "embedded"):
        super().__init__()
        self.easy = bool(easy)
        w, h = self.check_size((64 if self.easy else 224) if size is None else size)
        if not isinstance(fov, (int, float)) or not (1.0 <= float(fov) <= 170.0):
            raise ConfigError(f"fov must be a number of degrees in [1, 170], got {fov!r}")
        max_steps = self.check_positive_int("max_steps", (200 if self.easy else 500) if max_steps is None
                                            else max_steps)
        if episodes not in ("train", "eval"):
            raise ConfigError(f"episodes must be 'train' or 'eval', got {episodes!r}")
        self.check_backend(backend)
        self.check_render_mode(render_mode)
        if not isinstance(shaping_weight, (int, float)) or not math.isfinite(shaping_weight):
            raise ConfigError(f"shaping_weight must be a finite number, got {shaping_weight!r}")
        self.check_positive_int("n_eval", n_eval)
        config = self.check_house_config(house_config, _EASY_CONFIG if self.easy else None)
        houses = self.check_houses(houses)
        if episodes == "eval" and (houses is not None or house_config is not None):
            raise ConfigError("episodes='eval' uses the fixed evaluation set; do not pass houses or house_config")

        self.width, self.height, self.fov = w, h, float(fov)
        self.max_steps = int(max_steps)
        self.depth = bool(depth)
        self.house_config = config
        self.houses = list(houses) if houses is not None else None
        self.episodes = episodes
        self.n_eval = int(n_eval)
        self.shaping_weight = float(shaping_weight)
        # The easy variant is for RL sanity on a laptop: success is granted as soon as a target is visible within
        # reach (no stop decision to learn) and a wrong Done costs 1, so that "Done at once" is no longer the
        # best thing an untrained policy can do (with a free Done, PPO collapses onto it in a few thousand steps).
        self.auto_done = self.easy if auto_done is None else bool(auto_done)
        self.failed_done_penalty = (1.0 if self.easy else 0.0) if failed_done_penalty is None \
            else float(failed_done_penalty)
        self.render_mode = render_mode
        self.visible_pixels = visible_pixel_threshold(w, h)

        obs = {
            "rgb": spaces.Box(0, 255, (h, w, 3), np.uint8),
            "target": SharedText(max_length=32, min_length=1, charset=TARGET_CHARSET),
            "target_index": spaces.Discrete(len(TARGET_TYPES)),
        }
        if self.depth:
            obs["depth"] = spaces.Box(np.float32(0.0), np.float32(100.0), (h, w, 1), np.float32)
        self.observation_space = spaces.Dict(obs)
        self.action_space = spaces.Discrete(len(ACTIONS))

        self._backend = self.make_env_backend(backend, width=w, height=h, fov=self.fov)
        self._eval_cursor = 0
        self._ep: dict | None = None
        self._view = None

    # --- houses -------------------------------------------------------------------------------------------------
    def _house(self, key):
        """(house dict, its freshly built scene or None when the house was cached or given)."""
        if isinstance(key, tuple) and key[0] == "dict":
            return self.houses[key[1]], None
        config = (_EASY_CONFIG if self.easy else HouseConfig()) if self.episodes == "eval" else self.house_config
        return self.house(int(key[1]), config, keep=_LRU_HOUSES)

    def _load(self, key) -> None:
        if key != self._loaded_key:
            # a fresh scene is taken over, not rebuilt; a house the user gave has its geometry checked
            self.load_house(key, *self._house(key), given=isinstance(key, tuple) and key[0] == "dict")

    # --- reset --------------------------------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        self.check_open()
        super().reset(seed=seed)
        options = dict(options or {})
        unknown = set(options) - {"episode", "target", "house_seed"}
        if unknown:
            raise ConfigError(f"unknown reset option(s) {sorted(unknown)}; valid: ['episode', 'house_seed', 'target']")
        target = options.get("target")
        if target is not None and target not in TARGET_TYPES:
            raise ConfigError(f"target {target!r} is not in TARGET_TYPES {TARGET_TYPES}")
        be = self._backend
        if self.episodes == "eval":
            if "house_seed" in options:
                raise ConfigError("option 'house_seed' is for episodes='train'; use 'episode' in eval mode")
            k = options.get("episode")
            if k is None:
                k = self._eval_cursor % self.n_eval
                self._eval_cursor += 1
            spec = eval_episode(int(k), self.easy)
            if target is not None and target != spec.target:
                raise ConfigError(f"eval episode {k} has target {spec.target!r}; do not override it")
            key = ("seed", spec.house_seed)
            self._load(key)
            t, start = spec.target, (spec.x, spec.z, spec.yaw, spec.horizon)
            ep_id, house_seed = spec.episode_id, spec.house_seed
            pre = None
        else:
            forced_seed = options.get("house_seed")
            for attempt in range(50):
                if self.houses is not None:
                    i = int(self.np_random.integers(len(self.houses)))
                    hh = self.houses[i]
                    key = ("dict", i) if isinstance(hh, dict) else ("seed", int(hh))
                elif forced_seed is not None:
                    key = ("seed", int(forced_seed))
                else:
                    key = ("seed", int(self.np_random.integers(*TRAIN_SEED_RANGE)))
                self._load(key)
                ep = _sample_episode(be.scene, self.np_random, target)
                if ep is not None:
                    break
                if forced_seed is not None:
                    raise ConfigError(f"house seed {forced_seed} has no usable target"
                                      + (f" {target!r}" if target else ""))
            else:
                raise SatEnvError("no house with a usable ObjectNav target after 50 draws; check houses / house_config"
                                  + (f" / target {target!r}" if target else ""))
            t, start, _, pre = ep
            house_seed = key[1] if key[0] == "seed" else -1  # -1: a house dict from `houses`
            src = key[1] if key[0] == "seed" else f"house{key[1]}"
            ep_id = f"train-{src}-{t}-{start[0]:.2f}_{start[1]:.2f}_{int(start[2])}"
        self._setup_episode(t, start, ep_id, house_seed, pre)
        return self._observation(self._render_view()), self._info()

    def _setup_episode(self, target: str, start, ep_id: str, house_seed: int, pre=None) -> None:
        be = self._backend
        scene = be.scene
        nav = be.navgrid
        res = be.teleport(start[0], start[1], start[2], start[3])
        if not res.success:  # pragma: no cover - starts are reachable grid points
            raise SatEnvError(f"could not place the agent at the start pose: {res.error}")
        if pre is None:
            goal, field = _goal(scene, target)
            length, path = _shortest(nav, (start[0], start[1]), goal)
        else:
            goal, field, path = pre
            p = np.asarray(path)
            length = float(np.sum(np.hypot(np.diff(p[:, 0]), np.diff(p[:, 1]))))
        recs = _target_records(scene, target)
        self._ep = {
            "target": target,
            "target_index": TARGET_TYPES.index(target),
            "episode_id": ep_id,
            "house_seed": int(house_seed),
            "goal_idx": goal,
            "field": field,
            "target_ids": [o.object_id for o in recs],
            "target_inst": np.array([o.instance for o in recs], dtype=np.int64),
            "target_fps": np.array([o.footprint for o in recs], dtype=np.float64),
            "shortest": float(length),
            "shortest_path": path,
            "start": AgentPose(*map(float, start)),
        }
        self._steps = 0
        self._path_length = 0.0
        self._success = False
        self._collided = False
        self._last_ok = True
        self._done = False
        self._trajectory = [(float(start[0]), float(start[1]))]
        self._dist = self._geodesic(start[0], start[1])

    # --- geometry -----------------------------------------------------------------------------------------------
    def _geodesic(self, x: float, z: float) -> float:
        """Approximate geodesic distance (m) from (x, z) to the goal region (see the class docstring)."""
        nav = self._backend.navgrid
        field = self._ep["field"]
        g = nav.grid
        fi, fj = (x - nav.xs[0]) / g, (z - nav.zs[0]) / g
        h, w = field.shape
        for lo, hi in ((0, 2), (-1, 3), (-3, 5)):
            i0, j0 = int(math.floor(fi)) + lo, int(math.floor(fj)) + lo
            best = math.inf
            for i in range(max(i0, 0), min(i0 + hi - lo, h)):
                for j in range(max(j0, 0), min(j0 + hi - lo, w)):
                    v = field[i, j]
                    if v < math.inf:
                        v = v + math.hypot(x - nav.xs[i], z - nav.zs[j])
                        if v < best:
                            best = v
            if best < math.inf:
                return float(best)
        return math.inf

    def _target_near(self, x: float, z: float) -> np.ndarray:
        """Per target object: within SUCCESS_DISTANCE of (x, z)?"""
        d = rect_distance(np.array([x]), np.array([z]), self._ep["target_fps"])[0]
        return d <= SUCCESS_DISTANCE + REACH_TOLERANCE

    def _success_in(self, ids: np.ndarray, x: float, z: float) -> bool:
        inst = self._ep["target_inst"]
        counts = np.bincount(ids.ravel(), minlength=int(inst.max()) + 1)[inst]
        return bool(np.any((counts >= self.visible_pixels) & self._target_near(x, z)))

    def success_at(self, pose: AgentPose) -> bool:
        """Would ``Done`` succeed at this pose? (renders from the pose; privileged, for oracles and tests)"""
        v = self._backend.view(pose)
        return self._success_in(v.ids, pose.x, pose.z)

    # --- step ---------------------------------------------------------------------------------------------------
    def step(self, action):
        self.check_open()
        if self._ep is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        if self._done:
            raise gym.error.ResetNeeded("the episode has ended (Done or max_steps); call reset()")
        try:
            a = int(action)
            ok_type = np.ndim(action) == 0 and a == action
        except (TypeError, ValueError):
            ok_type = False
        if not ok_type or not (0 <= a < len(ACTIONS)):
            raise ValueError(f"invalid action {action!r}: valid actions are integers in [0, {len(ACTIONS) - 1}] "
                             f"({', '.join(f'{i}={n}' for i, n in enumerate(ACTIONS))})")
        be = self._backend
        self._steps += 1
        name = ACTIONS[a]
        reward = STEP_PENALTY
        terminated = False
        self._collided = False
        view = self._view
        if name == "Done":
            p = be.pose
            self._success = self._success_in(view.ids, p.x, p.z)
            self._last_ok = True
            terminated = True
            reward += SUCCESS_REWARD if self._success else -self.failed_done_penalty
        else:
            if name == "MoveAhead":
                res = be.step(name, moveMagnitude=MOVE_MAGNITUDE)
                self._collided = not res.success
            elif name in ("RotateLeft", "RotateRight"):
                res = be.step(name, degrees=ROTATE_DEGREES)
            else:
                res = be.step(name, degrees=LOOK_DEGREES)
            self._last_ok = res.success
            if res.success:
                view = self._render_view()
                if name == "MoveAhead":
                    p = be.pose
                    self._path_length += MOVE_MAGNITUDE
                    self._trajectory.append((p.x, p.z))
                    d = self._geodesic(p.x, p.z)
                    if math.isfinite(d) and math.isfinite(self._dist):
                        reward += self.shaping_weight * (self._dist - d)
                    self._dist = d
                if self.auto_done:
                    p = be.pose
                    if self._success_in(view.ids, p.x, p.z):
                        self._success = True
                        terminated = True
                        reward += SUCCESS_REWARD
        truncated = not terminated and self._steps >= self.max_steps
        self._done = terminated or truncated
        return self._observation(view), float(reward), terminated, truncated, self._info()

    # --- observations -------------------------------------------------------------------------------------------
    def _render_view(self):
        self._view = self._backend.view()
        return self._view

    def _observation(self, view) -> dict:
        obs = {
            "rgb": np.array(view.rgb, dtype=np.uint8, copy=True),
            "target": self._ep["target"],
            "target_index": int(self._ep["target_index"]),
        }
        if self.depth:
            obs["depth"] = np.clip(view.depth, 0.0, 100.0).astype(np.float32)[..., None]
        return obs

    def _info(self) -> dict:
        ep = self._ep
        final = self._done
        spl = 0.0
        if final and self._success:
            spl = ep["shortest"] / max(self._path_length, ep["shortest"])
        return {
            "success": bool(self._success) if final else False,
            "spl": float(spl),
            "path_length": float(self._path_length),
            "distance_to_goal": float(self._dist),
            "shortest_path_length": float(ep["shortest"]),
            "target": ep["target"],
            "episode_id": ep["episode_id"],
            "house_seed": ep["house_seed"],
            "collided": bool(self._collided),
            "last_action_success": bool(self._last_ok),
            "steps": int(self._steps),
        }

    # --- privileged ---------------------------------------------------------------------------------------------
    def privileged(self) -> dict[str, Any]:
        """The one accessor for ground truth (oracles, export, tests); never part of the observation.

        Returns a dict with: ``backend`` (the live :class:`EmbeddedBackend`; ``backend.pose`` is the agent pose),
        ``scene``, ``navgrid``, ``target``, ``target_object_ids``, ``target_footprints`` ((K, 4) x0, z0, x1, z1),
        ``goal_indices`` ((N, 2) grid indices), ``goal_points`` ((N, 2) x, z), ``goal_distance_field`` (grid Dijkstra
        distance to the goal region), ``shortest_path`` (corners (x, z) from the start to the nearest goal point),
        ``shortest_path_length``, ``start_pose``, ``pose``, ``view`` (the current frame's View: rgb, ids, depth),
        ``success_distance``, ``visible_pixels``,
        ``success_at`` (callable(AgentPose) -> bool: would Done succeed there; renders) and ``actions``.
        """
        if self._ep is None:
            raise gym.error.ResetNeeded("call reset() before privileged()")
        ep = self._ep
        nav = self._backend.navgrid
        gi = ep["goal_idx"]
        return {
            "backend": self._backend,
            "scene": self._backend.scene,
            "navgrid": nav,
            "target": ep["target"],
            "target_object_ids": list(ep["target_ids"]),
            "target_footprints": ep["target_fps"].copy(),
            "goal_indices": gi.copy(),
            "goal_points": np.stack([nav.xs[gi[:, 0]], nav.zs[gi[:, 1]]], axis=1),
            "goal_distance_field": ep["field"],
            "shortest_path": list(ep["shortest_path"] or []),
            "shortest_path_length": ep["shortest"],
            "start_pose": ep["start"],
            "pose": self._backend.pose,
            "view": self._view,
            "success_distance": SUCCESS_DISTANCE,
            "visible_pixels": self.visible_pixels,
            "success_at": self.success_at,
            "actions": ACTIONS,
        }

    # --- render / close -----------------------------------------------------------------------------------------
    def render(self):
        if self.render_mode is None:
            gym.logger.warn("render() called without render_mode; pass render_mode='rgb_array' to the constructor")
            return None
        if self._ep is None or self._view is None:
            raise gym.error.ResetNeeded("call reset() before render()")
        from PIL import Image, ImageDraw

        from sat_env.viz import _footprint_corners, letterbox, topdown

        scene = self._backend.scene
        p = self._backend.pose
        ppm = 50
        margin = 0.6
        img = topdown(scene, agent=(p.x, p.z, p.yaw), fov=self.fov, path=self._trajectory, px_per_m=ppm, margin=margin)
        allp = np.concatenate([r.polygon for r in scene.rooms])
        lo, hi = allp.min(axis=0) - margin, allp.max(axis=0) + margin
        d = ImageDraw.Draw(img)
        for oid in self._ep["target_ids"]:
            corners = _footprint_corners(scene.objects[oid])
            d.polygon([((x - lo[0]) * ppm, (hi[1] - z) * ppm) for x, z in corners], outline=(20, 170, 60), width=4)
        d.text((6, 6), f"target: {self._ep['target']}  step {self._steps}", fill=(0, 0, 0))
        # One frame size for the whole env (video recorders need it): the view scaled to RENDER_HEIGHT and the floor
        # plan letterboxed into a 4:3 box beside it, whatever the apartment's shape
        ego = Image.fromarray(self._view.rgb)
        hgt = RENDER_HEIGHT
        ego = ego.resize((max(1, round(ego.width * hgt / ego.height)), hgt), Image.NEAREST)
        plan_w = round(hgt * 4 / 3)
        out = Image.new("RGB", (ego.width + 4 + plan_w, hgt), (255, 255, 255))
        out.paste(ego, (0, 0))
        out.paste(letterbox(img, (plan_w, hgt)), (ego.width + 4, 0))
        return np.asarray(out, dtype=np.uint8).copy()

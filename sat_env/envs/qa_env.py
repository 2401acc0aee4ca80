"""Question-answering environments: an apartment per episode and a sequence of spatial questions."""

from __future__ import annotations

import json
import string
import zlib

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from qa.balance import CategoryBalancer
from qa.mixes import resolve_mix
from qa.sampler import load_families, sample_qa
from sat_env.backends.views import sample_views
from sat_env.envs.base import SatEnv
from sat_env.errors import ConfigError
from sat_env.scene.config import HouseConfig

CHARSET = frozenset(string.printable)
MAX_QUESTION_CHARS = 512
MAX_CHOICE_CHARS = 96
MAX_IMAGES = 2
# Child random streams, one per purpose (numbers fixed forever: renumbering would change every seeded run). Houses and
# viewpoints come from streams keyed by the episode alone; family picks from a stream per question slot; each
# family's view choices and question draws, and its target labels, from streams of its own keyed by its name. So
# adding, removing or changing a family never changes a house or a viewpoint, and a family's draws never move
# another family's (see reset and _next_question for the exact guarantee).
STREAM_HOUSE, STREAM_VIEWS, STREAM_FAMILY, STREAM_LABEL, STREAM_QUESTION = 1, 2, 3, 4, 5
# Bumped whenever a seeded run's questions change for the same arguments (the streams above; a family added to a
# named mix). Exports record it, so that one is never resumed by code that would sample differently.
# 1: one shared stream (until 2026-12-02); 2: child streams per purpose, nav_visible in the nav mix.
SAMPLING_SCHEME = 2
HOUSE_CACHE = 8  # fresh generated houses kept (a seeded reset may come back to one)
POOL_CACHE = 256  # houses kept when drawing from a pool of seeds (~100 KB each)
MAX_OWED = 10  # questions a family can be owed (a family the houses rarely allow does not stall the others for long)
TARGET_PATIENCE = 10  # a family's target label is kept through this many houses that could not ask it, then redrawn
MAX_LABEL_LAG = 10  # a label asked this many times fewer than a family's most asked one is drawn 1 + this often


class SATQAEnv(SatEnv):
    """## Description

    Spatial question answering in procedurally generated apartments (SAT, arXiv 2412.07755; SpatialVLM,
    arXiv 2401.12168). An episode is one apartment and a sequence of ``num_questions`` questions. Each observation
    holds the image(s) the current question refers to (before/after frames for motion families, a marked frame
    where marks are used), the question and the choices as strings. The agent answers with the index of a choice.
    After each answer the env moves on: a new viewpoint, and for dynamic families it executes the motion (the camera
    rotates or moves, an object is displaced) and renders the new frames.

    ## Action Space

    ``Discrete(max_choices)``: the index of the chosen answer. Indices at or beyond ``info["num_choices"]`` are
    valid actions but wrong answers.

    ## Observation Space

    ``Dict``:

    - ``images``: ``Box(0, 255, (2, H, W, 3), uint8)``: the question's images in order; unused slots are zero.
    - ``num_images``: ``Discrete(3)``: how many of ``images`` are used (1 or 2).
    - ``question``: ``Text(512)``: the question.
    - ``choices``: ``Tuple(Text(96) x max_choices)``: the choices, empty strings after ``num_choices``.
    - ``num_choices``: ``Discrete(max_choices + 1)``.

    Strings do not suit stable-baselines3: wrap with :class:`sat_env.envs.wrappers.SB3ObsWrapper`.

    ## Rewards

    1 for a correct answer, 0 otherwise.

    ## Starting State

    A house (generated from a seed drawn from the env's RNG, or one of ``houses``), good viewpoints (reachable poses
    that see many objects) and the first question.

    ## Episode End

    Terminated after ``num_questions`` answers. No truncation.

    ## Arguments

    - ``families``: tuple of family names (default: all families of ``mix``).
    - ``mix``: ``"sat"`` (SAT's static/dynamic proportions), ``"static"``, ``"dynamic"`` or a dict of weights.
    - ``size``: image size, int or (width, height) (default 224).
    - ``num_questions``: questions per episode (default 10).
    - ``max_choices``: size of the action space (default 6).
    - ``backend``: ``"embedded"`` (default) or ``"thor"`` (AI2-THOR; ``pip install -e ".[thor]"`` and a Unity build).
    - ``houses``: optional list of house dicts, paths to house JSON files, int seeds (generated on first use and
      cached, up to 256) and/or ProcTHOR-10K sources ``"procthor:FILE.jsonl.gz#N"`` (``#A-B``, ``#0-9,42``) to draw
      from instead of fresh generated houses: a fixed pool makes resets cheap.
    - ``house_config``: dict or :class:`~sat_env.scene.HouseConfig` for generated houses.
    - ``render_mode``: ``"rgb_array"``: the question's images beside a top-down map with the agent.
    - ``balance_categories``: make the answer independent of the object categories a question names, in order, by
      acceptance sampling against measured label priors (default True; see :mod:`qa.balance`).

    ``info`` carries ``family``, ``sat_type``, ``scene_id`` and ``num_choices`` of the current question, and after a
    step ``answered`` = {family, correct}. Privileged ground truth (the correct index) is available only through
    :meth:`privileged`, for oracles and export.

    ## Version History

    - v0: initial version.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 2}

    def __init__(self, families=None, mix="sat", size=224, num_questions: int = 10, max_choices: int = 6,
                 backend: str = "embedded", houses=None, house_config=None, render_mode: str | None = None,
                 balance_categories: bool = True):
        super().__init__()
        fams = load_families()
        self.mix = resolve_mix(mix, families, available=fams)
        self.families = tuple(self.mix)
        self.width, self.height = self.check_size(size)
        self.num_questions = self.check_positive_int("num_questions", num_questions)
        if not (2 <= max_choices <= 26):
            raise ConfigError(f"max_choices must be in 2..26, got {max_choices}")
        self.max_choices = int(max_choices)
        self.render_mode = self.check_render_mode(render_mode)
        self.backend = self.check_backend(backend)
        self.house_config = self.check_house_config(house_config, HouseConfig())
        self.houses = self.check_houses(houses)
        self.action_space = spaces.Discrete(self.max_choices)
        text = spaces.Text(MAX_QUESTION_CHARS, min_length=1, charset=CHARSET)
        self.observation_space = spaces.Dict({
            "images": spaces.Box(0, 255, (MAX_IMAGES, self.height, self.width, 3), np.uint8),
            "num_images": spaces.Discrete(MAX_IMAGES + 1),
            "question": text,
            "choices": spaces.Tuple([spaces.Text(MAX_CHOICE_CHARS, min_length=0, charset=CHARSET)] * self.max_choices),
            "num_choices": spaces.Discrete(self.max_choices + 1),
        })
        # Answers independent of the categories named (see qa.balance): a model cannot learn answers from object
        # names. Off with balance_categories=False.
        self._balancer = CategoryBalancer() if balance_categories else None
        # Answer labels hold to what was drawn, whatever each one's yield: a family's target label stays drawn until a
        # question with it is asked (some labels are rarer in the world than others). A family that found no question
        # in a house is owed one later, so low-yield families keep more of their mix weight, though not all of it
        # (the lowest-yield ones end up with 40-80 % of their share: see README, "What a question shows").
        self._targets: dict[str, str | None] = {}
        self._target_fails: dict[str, int] = {}
        # Questions asked per family and label: a target label is drawn with weight 1 + how far it lags the family's
        # most asked label (up to MAX_LABEL_LAG), so that a label given up (TARGET_PATIENCE houses, or houses without
        # any question) or simply drawn less often by chance catches up.
        self._asked_labels: dict[str, dict[str, int]] = {}
        self._owed: dict[str, int] = {}
        self._root: int | None = None  # entropy of the seeded run's streams (see _stream)
        self._episode = 0  # resets since the seeded one: keys the house, view and question streams
        self._attempt = 0  # house attempt within this reset
        self._label_rngs: dict[str, np.random.Generator] = {}
        self._question_rngs: dict[str, np.random.Generator] = {}
        self._qa = None
        self._scene_id = None
        self._views: list = []
        self._view_cache: dict = {}  # index into _views -> rendered View (the scene is restored after every QA)
        self._asked = 0
        self._seen: set = set()  # (family, pose, answer, truth) asked in this house: no question twice
        self._failed_here: set = set()  # families that found no question in this house (not tried again here)

    def _house(self, rng):
        """(scene id, house dict, its freshly built scene or None when the house was cached or given)."""
        if self.houses:
            k = int(rng.integers(len(self.houses)))
            if not isinstance(self.houses[k], int):
                return f"house:{k}", self.houses[k], None
            seed, limit = self.houses[k], POOL_CACHE
        else:
            seed, limit = int(rng.integers(2**31 - 1)), HOUSE_CACHE
        return (f"seed:{seed}", *self.house(seed, self.house_config, keep=limit))

    def _stream(self, purpose: int, *keys: int) -> np.random.Generator:
        """The child stream of one purpose (STREAM_*) and keys, from the seeded run's root."""
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence([self._root, purpose, *keys])))

    @staticmethod
    def _family_key(family: str) -> int:
        """A family's stream key: from its name, so adding or removing families renumbers nothing."""
        return zlib.crc32(family.encode())

    def _label_rng(self, family: str) -> np.random.Generator:
        if family not in self._label_rngs:
            self._label_rngs[family] = self._stream(STREAM_LABEL, self._family_key(family))
        return self._label_rngs[family]

    def _question_rng(self, family: str) -> np.random.Generator:
        if family not in self._question_rngs:
            self._question_rngs[family] = self._stream(STREAM_QUESTION, self._episode, self._attempt,
                                                       self._family_key(family))
        return self._question_rngs[family]

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if seed is not None:  # a seeded reset starts afresh: same seed, same episode
            self._targets.clear()
            self._target_fails.clear()
            self._owed.clear()
            self._asked_labels.clear()
            self._label_rngs.clear()
            self._root, self._episode = int(seed), 0
        elif self._root is None:  # never seeded: a root from Gymnasium's own (randomly seeded) generator
            self._root, self._episode = int(self.np_random.integers(2**63 - 1)), 0
        else:
            self._episode += 1
        if self._backend is None:
            self._backend = self.make_env_backend(self.backend, width=self.width, height=self.height)
        for tries in range(10):
            if tries >= 2:  # two houses without a single question: the pending target labels are too rare here
                self._targets.clear()
            self._attempt = tries
            self._question_rngs = {}
            scene_id, house, fresh = self._house(self._stream(STREAM_HOUSE, self._episode, tries))
            # Families restore the scene after every QA, so the same house need not be rebuilt (a seeded reset
            # always rebuilds: same seed, same bytes, whatever ran before).
            self.load_house(scene_id, house, fresh, force=seed is not None)
            self._scene_id = scene_id
            self._views = self._new_views()
            self._asked = 0
            self._seen = set()
            self._failed_here = set()
            if self._views and self._next_question():
                return self._obs(), self._info()
        raise ConfigError(f"could not sample any question of {list(self.families)} in 10 houses; "
                          "check the families and house_config")

    def _new_views(self):
        self._view_cache = {}
        return sample_views(self._backend, self._stream(STREAM_VIEWS, self._episode, self._attempt),
                            max(4, min(self.num_questions, 8)))

    def _next_question(self) -> bool:
        fams = load_families()
        names = list(self.mix)
        p = np.array([self.mix[f] for f in names])
        rng = self._stream(STREAM_FAMILY, self._episode, self._attempt, self._asked)  # this slot's family picks
        fam, owed = None, False
        tried: set[str] = set()
        # The house's views stay (a family that finds nothing in them is tried in the next house: see _slot_failed).
        for attempt in range(48):
            if attempt % 12 == 0:  # keep the family across views, redraw rarely
                if fam is not None:
                    self._slot_failed(fam, owed)
                fam, owed = self._pick_family(rng, names, p, tried)
                tried.add(fam)
            labels = fams[fam].labels
            if labels and self._targets.get(fam) is None:
                self._targets[fam] = self._draw_target(fam, labels, self._label_rng(fam))
            qrng = self._question_rng(fam)
            k = int(qrng.integers(len(self._views)))
            pose = self._views[k]
            self._backend.teleport(pose.x, pose.z, pose.yaw, pose.horizon)
            if k not in self._view_cache:
                self._view_cache[k] = self._backend.view()
            qa = sample_qa(fam, self._backend, qrng, view=self._view_cache[k], target_label=self._targets.get(fam),
                           balancer=self._balancer)
            if qa is None or len(qa.choices) > self.max_choices or len(qa.question) > MAX_QUESTION_CHARS:
                continue
            key = (fam, pose, qa.answer, json.dumps(qa.truth, sort_keys=True, default=str))
            if key in self._seen:  # the same view, facts and answer in other words: not a new question
                continue
            self._seen.add(key)
            asked = self._asked_labels.setdefault(fam, {})
            asked[qa.label] = asked.get(qa.label, 0) + 1
            self._targets[fam] = None
            self._target_fails[fam] = 0
            if self._owed.get(fam):
                self._owed[fam] -= 1
            self._qa = qa
            return True
        if fam is not None:
            self._slot_failed(fam, owed)
        return False

    def _slot_failed(self, fam: str, was_owed: bool) -> None:
        """A family found no question in its attempts: one drawn by the mix is owed one (one that was already owed
        stays owed as much as before), and it is not tried again in this house; a target label that failed in
        TARGET_PATIENCE houses running is given up (a label the houses almost never allow must not stall the
        family); it is then drawn more often until it catches up (see _draw_target)."""
        if not was_owed:
            self._owed[fam] = min(self._owed.get(fam, 0) + 1, MAX_OWED)
        if fam not in self._failed_here:
            self._failed_here.add(fam)
            self._target_fails[fam] = self._target_fails.get(fam, 0) + 1
            if self._target_fails[fam] >= TARGET_PATIENCE:
                self._targets[fam], self._target_fails[fam] = None, 0

    def _draw_target(self, fam: str, labels, rng) -> str:
        """A target label for `fam`, drawn with weight 1 + how many questions it lags the family's most asked label
        (at most MAX_LABEL_LAG): uniform while the labels are level, and a label the houses allow less often (one
        given up after TARGET_PATIENCE houses) or drawn less often by chance catches up without stalling the family
        on a label the houses never allow."""
        asked = self._asked_labels.get(fam, {})
        top = max((asked.get(lab, 0) for lab in labels), default=0)
        w = np.array([1.0 + min(top - asked.get(lab, 0), MAX_LABEL_LAG) for lab in labels])
        return labels[int(rng.choice(len(labels), p=w / w.sum()))]

    def _pick_family(self, rng, names: list[str], p: np.ndarray, tried: set[str]) -> tuple[str, bool]:
        """(family, owed) of the next attempts: the one owed the most questions (ties by mix order) among those neither
        tried for this question nor failed in this house; else one drawn by the mix weights among those not tried,
        where a draw of a family that failed in this house is owed to the next house and drawn again among the rest
        (so that a family that is rare in houses keeps more of its share of the mix)."""
        fresh = [f not in tried and f not in self._failed_here for f in names]
        owed = [f for f, ok in zip(names, fresh) if ok and self._owed.get(f)]
        if owed:
            return max(owed, key=lambda f: self._owed[f]), True
        untried = np.where([f not in tried for f in names], p, 0.0)
        pick = names[int(rng.choice(len(names), p=untried / untried.sum()))] if untried.sum() > 0 else \
            names[int(rng.choice(len(names), p=p))]
        if pick in self._failed_here:
            self._owed[pick] = min(self._owed.get(pick, 0) + 1, MAX_OWED)
            w = np.where(fresh, p, 0.0)
            if w.sum() > 0:
                pick = names[int(rng.choice(len(names), p=w / w.sum()))]
        return pick, False

    def step(self, action):
        if self._qa is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        if not self.action_space.contains(action):
            raise ValueError(f"action {action!r} is not a valid answer index: use an int in [0, {self.max_choices})")
        qa = self._qa
        correct = int(action) == qa.correct
        answered = {"family": qa.family, "sat_type": qa.sat_type, "correct": correct}
        terminated = not self.next_question()
        info = self._info()
        info["answered"] = answered
        return self._obs(), 1.0 if correct else 0.0, terminated, False, info

    def next_question(self) -> bool:
        """Move on to the episode's next question without answering or building an observation (what ``step`` does
        after scoring; exporters read each QA from :meth:`privileged` and call this). Returns False when the episode
        is over: its questions are asked, or no further one could be sampled in this house."""
        if self._qa is None:
            raise gym.error.ResetNeeded("call reset() before next_question()")
        self._asked += 1
        if self._asked >= self.num_questions:
            return False
        return self._next_question()  # False: nothing more in this house, the episode ends early

    # --- observation ------------------------------------------------------------------------------------------
    def _obs(self):
        qa = self._qa
        imgs = np.zeros((MAX_IMAGES, self.height, self.width, 3), np.uint8)
        for k, role in enumerate(qa.images[:MAX_IMAGES]):
            imgs[k] = qa.frames[role]
        choices = tuple(qa.choices[k][:MAX_CHOICE_CHARS] if k < len(qa.choices) else ""
                        for k in range(self.max_choices))
        return {"images": imgs, "num_images": min(len(qa.images), MAX_IMAGES), "question": qa.question,
                "choices": choices, "num_choices": len(qa.choices)}

    def _info(self) -> dict:
        qa = self._qa
        return {"family": qa.family, "sat_type": qa.sat_type, "scene_id": self._scene_id,
                "num_choices": len(qa.choices), "question_index": self._asked}

    def privileged(self) -> dict:
        """Ground truth for oracles and export: the current QA record (with ``correct``) and the backend."""
        return {"qa": self._qa, "backend": self._backend, "scene_id": self._scene_id}

    def render(self):
        if self.render_mode != "rgb_array" or self._qa is None:
            return None
        from PIL import Image

        from sat_env.viz import topdown

        p = self._backend.pose
        plan = topdown(self._backend.scene, agent=(p.x, p.z, p.yaw), fov=self._backend.camera().hfov,
                       px_per_m=40)
        plan = plan.resize((max(1, int(plan.width * self.height / plan.height)), self.height))
        parts = [Image.fromarray(self._qa.frames[r]) for r in self._qa.images] + [plan]
        out = Image.new("RGB", (sum(i.width for i in parts), self.height), "white")
        x = 0
        for im in parts:
            out.paste(im, (x, 0))
            x += im.width
        return np.asarray(out)

"""Question-answering environments: an apartment per episode and a sequence of spatial questions."""

from __future__ import annotations

import string

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from qa.mixes import resolve_mix
from qa.sampler import load_families
from sat_env.envs.base import SatEnv
from sat_env.envs.spaces import SharedText
from sat_env.errors import ConfigError
from sat_env.scene.config import HouseConfig
from sat_env.tasks.questions import MAX_CHOICES, MAX_QUESTION_CHARS, QuestionStream
from sat_env.viz import letterbox, topdown

# An ordered string, not a set: Gymnasium maps characters to indices by charset order, and a set of str iterates in
# a per-process (hash-seeded) order, which garbled every question in shared-memory (async) vector envs.
CHARSET = "".join(sorted(string.printable))
MAX_CHOICE_CHARS = 96
MAX_IMAGES = 2


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

    def __init__(self, families=None, mix="sat", size=224, num_questions: int = 10, max_choices: int = MAX_CHOICES,
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
        text = SharedText(MAX_QUESTION_CHARS, min_length=1, charset=CHARSET)
        self.observation_space = spaces.Dict({
            "images": spaces.Box(0, 255, (MAX_IMAGES, self.height, self.width, 3), np.uint8),
            "num_images": spaces.Discrete(MAX_IMAGES + 1),
            "question": text,
            "choices": spaces.Tuple([SharedText(MAX_CHOICE_CHARS, min_length=0, charset=CHARSET)] * self.max_choices),
            "num_choices": spaces.Discrete(self.max_choices + 1),
        })
        # The question loop (houses, views, family and label draws, balancing) is the task layer's
        self._stream = QuestionStream(None, self.mix, questions_per_house=self.num_questions, houses=self.houses,
                                      house_config=self.house_config, max_choices=self.max_choices,
                                      max_question_chars=MAX_QUESTION_CHARS, balance=balance_categories,
                                      cache=self._house_cache)
        self._qa = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        self.check_open()
        super().reset(seed=seed)
        stream = self._stream
        if seed is not None:  # a seeded reset starts afresh: same seed, same episode
            stream.restart(seed)
        elif stream.root is None:  # never seeded: a root from Gymnasium's own (randomly seeded) generator
            stream.restart(int(self.np_random.integers(2**63 - 1)))
        else:
            stream.advance()
        if self._backend is None:
            self._backend = self.make_env_backend(self.backend, width=self.width, height=self.height)
        stream.backend = self._backend
        self._qa = stream.begin(force=seed is not None)
        return self._obs(), self._info()

    def step(self, action):
        self.check_open()
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
        after scoring). Returns False when the episode is over: its questions are asked, or no further one could be
        sampled in this house."""
        if self._qa is None:
            raise gym.error.ResetNeeded("call reset() before next_question()")
        self.check_open()
        more = self._stream.next()
        self._qa = self._stream.qa
        return more

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
        return {"family": qa.family, "sat_type": qa.sat_type, "scene_id": self._stream.scene_id,
                "num_choices": len(qa.choices), "question_index": self._stream.asked}

    def privileged(self) -> dict:
        """Ground truth for oracles and export: the current QA record (with ``correct``) and the backend."""
        return {"qa": self._qa, "backend": self._backend, "scene_id": self._stream.scene_id}

    def render(self):
        if self.render_mode != "rgb_array" or self._qa is None:
            return None
        from PIL import Image

        # One frame size for the whole env (video recorders need it): MAX_IMAGES image slots (a one-image question
        # leaves the second blank) and the floor plan letterboxed into a square
        p = self._backend.pose
        plan = topdown(self._backend.scene, agent=(p.x, p.z, p.yaw), fov=self._backend.camera().hfov,
                       px_per_m=40)
        out = Image.new("RGB", (MAX_IMAGES * self.width + self.height, self.height), "white")
        for k, r in enumerate(self._qa.images[:MAX_IMAGES]):
            out.paste(Image.fromarray(self._qa.frames[r]), (k * self.width, 0))
        out.paste(letterbox(plan, (self.height, self.height)), (MAX_IMAGES * self.width, 0))
        return np.asarray(out)

"""The question stream: the one loop that turns apartments into spatial questions. It picks a house (from a pool or
freshly generated), samples good viewpoints, draws a family by the mix and a target answer label, asks the family's
sampler on one of the views through the category balancer, and rejects repeats. The QA envs (sat_env/envs/qa_env.py)
wrap it as Gymnasium envs; the exporter (sat_env/export/job.py), the streaming training source (finetune/stream.py),
``sat ask`` and ``sat audit`` (sat_env/tasks/audit.py) read it directly.

    stream = QuestionStream(make_backend("embedded", width=224, height=224), resolve_mix("sat"), houses=[0, 1, 2])
    stream.restart(seed=0)
    for scene_id, qa in itertools.islice(stream, 100):
        ...

Randomness: a seeded run's root feeds one child stream per purpose (numbers fixed forever: renumbering would change
every seeded run). Houses and viewpoints come from streams keyed by the episode alone; family picks from a stream per
question slot; each family's view choices and question draws, and its target labels, from streams of its own keyed
by its name. So adding, removing or changing a family never changes a house or a viewpoint, and a family's draws
never move another family's (tests/envs/test_streams.py).
"""

from __future__ import annotations

import json
import zlib
from collections import OrderedDict
from typing import Callable, Iterator

import numpy as np
from PIL import Image

from qa.balance import CategoryBalancer
from qa.core import QA
from qa.mixes import resolve_mix
from qa.sampler import load_families, sample_qa
from sat_env.backends import load_into, make_backend
from sat_env.backends.views import sample_views
from sat_env.errors import ConfigError
from sat_env.files import ensure_dir
from sat_env.scene.config import HouseConfig
from sat_env.scene.generate import generate_scene
from sat_env.scene.validate import warn_geometry

STREAM_HOUSE, STREAM_VIEWS, STREAM_FAMILY, STREAM_LABEL, STREAM_QUESTION = 1, 2, 3, 4, 5
# Bumped whenever a seeded run's questions change for the same arguments (the streams above; a family added to a
# named mix). Exports record it, so that one is never resumed by code that would sample differently.
# 1: one shared stream (until 2026-12-02); 2: child streams per purpose, nav_visible in the nav mix.
SAMPLING_SCHEME = 2
MAX_CHOICES = 6  # questions with more choices are skipped (the QA envs' default action space)
MAX_QUESTION_CHARS = 512  # longer questions are skipped (the QA envs' Text space)
HOUSE_CACHE = 8  # fresh generated houses kept (a seeded restart may come back to one)
POOL_CACHE = 256  # houses kept when drawing from a pool of seeds (~100 KB each)
HOUSE_TRIES = 10  # houses tried for an episode's first question before giving up
MAX_OWED = 10  # questions a family can be owed (a family the houses rarely allow does not stall the others for long)
TARGET_PATIENCE = 10  # a family's target label is kept through this many houses that could not ask it, then redrawn
MAX_LABEL_LAG = 10  # a label asked this many times fewer than a family's most asked one is drawn 1 + this often
ATTEMPTS_PER_SLOT = 48  # sampler calls for one question before the house is given up
ATTEMPTS_PER_FAMILY = 12  # of those, calls a drawn family keeps (over random views) before another is drawn

Attempt = Callable[[str, object, "str | None", "QA | None"], None]
"""``on_attempt(family, view, target_label, qa)``: called after every sampler call, with the backend still at the
view's pose and the scene restored; ``qa`` is the accepted question or None."""


class HouseCache:
    """The most recently used generated houses, keyed by (seed, config)."""

    def __init__(self, size: int = HOUSE_CACHE):
        self.size = size
        self._houses: OrderedDict = OrderedDict()

    def get(self, seed: int, config: HouseConfig | None, keep: int | None = None):
        """(house dict, its freshly built scene or None when it came from the cache); keeps the `keep` (default
        ``size``) most recently used."""
        key = (int(seed), repr(config))  # HouseConfig holds dicts (unhashable); its repr names every field
        if key in self._houses:
            self._houses.move_to_end(key)
            return self._houses[key], None
        scene = generate_scene(int(seed), config)
        self._houses[key] = scene.house
        while len(self._houses) > (keep or self.size):
            self._houses.popitem(last=False)
        return scene.house, scene


class QuestionStream:
    """Spatial questions from a backend's houses (see the module docstring).

    Args:
        backend: a :class:`~sat_env.backends.base.Backend` (may be set later, before :meth:`begin`).
        mix: {family: weight}, as :func:`qa.mixes.resolve_mix` gives it.
        questions_per_house: questions asked in one house before the next (an episode of the QA envs).
        houses: None (fresh generated houses) or a checked pool of house dicts and int seeds
            (:meth:`sat_env.envs.base.SatEnv.check_houses`).
        house_config: the :class:`~sat_env.scene.HouseConfig` of generated houses.
        max_choices: questions with more choices are skipped (None: no limit).
        max_question_chars: longer questions are skipped (None: no limit).
        balance: make answers independent of the categories named (:class:`qa.balance.CategoryBalancer`).
        on_attempt: an observer of every sampler call (see ``Attempt``), for audits.
        cache: where generated houses are kept (default: a cache of its own).
    """

    def __init__(self, backend, mix: dict[str, float], questions_per_house: int = 10, houses: list | None = None,
                 house_config: HouseConfig | None = None, max_choices: int | None = MAX_CHOICES,
                 max_question_chars: int | None = MAX_QUESTION_CHARS, balance: bool = True,
                 on_attempt: Attempt | None = None, cache: HouseCache | None = None):
        self.backend = backend
        self.mix = dict(mix)
        self.questions_per_house = int(questions_per_house)
        self.houses = houses
        self.house_config = house_config if house_config is not None else HouseConfig()
        self.max_choices = max_choices
        self.max_question_chars = max_question_chars
        self.on_attempt = on_attempt
        self.cache = cache if cache is not None else HouseCache()
        self._families = load_families()
        # Answers independent of the categories named (see qa.balance): a model cannot learn answers from object
        # names.
        self._balancer = CategoryBalancer() if balance else None
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
        self.root: int | None = None  # entropy of the seeded run's streams (see _stream)
        self.episode = 0  # houses since the restart: keys the house, view and question streams
        self._attempt = 0  # house attempt within this episode
        self._label_rngs: dict[str, np.random.Generator] = {}
        self._question_rngs: dict[str, np.random.Generator] = {}
        self._loaded_key = None
        self._checked: set = set()  # given houses whose geometry was checked (HouseGeometryWarning)
        self.qa: QA | None = None
        self.scene_id: str | None = None
        self.asked = 0  # questions asked in this house
        self._views: list = []
        self._view_cache: dict = {}  # index into _views -> rendered View (the scene is restored after every QA)
        self._seen: set = set()  # (family, pose, answer, truth) asked in this house: no question twice
        self._failed_here: set = set()  # families that found no question in this house (not tried again here)

    @classmethod
    def open(cls, seed: int, mix="sat", families=None, size=224, backend: str = "embedded",
             **kwargs) -> "QuestionStream":
        """A stream on a new backend (`size` an int or (width, height)), restarted with `seed`; `mix` and
        `families` as :func:`qa.mixes.resolve_mix` takes them; `kwargs` as the constructor's. Close it (or use
        ``with``) to release the backend."""
        w, h = (size, size) if isinstance(size, int) else size
        resolved = resolve_mix(mix, families, available=load_families())
        stream = cls(make_backend(backend, width=w, height=h), resolved, **kwargs)
        stream.restart(seed)
        return stream

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
            self.backend = None

    def __enter__(self) -> "QuestionStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the run ---------------------------------------------------------------------------------------------------
    def restart(self, seed: int) -> None:
        """Start the seeded run `seed` afresh: same seed, same questions, whatever ran before."""
        self._targets.clear()
        self._target_fails.clear()
        self._owed.clear()
        self._asked_labels.clear()
        self._label_rngs.clear()
        self.root, self.episode = int(seed), 0

    def advance(self) -> None:
        """Move on to the run's next episode (the next house)."""
        if self.root is None:
            raise RuntimeError("call restart(seed) before advance()")
        self.episode += 1

    def begin(self, force: bool = False) -> QA:
        """Load the episode's house and ask its first question; a house that yields none is replaced (up to
        HOUSE_TRIES). `force` rebuilds the house even when it is loaded already (a seeded reset: same bytes whatever
        ran before)."""
        if self.root is None:
            raise RuntimeError("call restart(seed) before begin()")
        for tries in range(HOUSE_TRIES):
            if tries >= 2:  # two houses without a single question: the pending target labels are too rare here
                self._targets.clear()
            self._attempt = tries
            self._question_rngs = {}
            scene_id, house, fresh = self._house(self._stream(STREAM_HOUSE, self.episode, tries))
            # Families restore the scene after every QA, so the same house need not be rebuilt.
            if force or scene_id != self._loaded_key or self.backend.scene is None:
                load_into(self.backend, house, fresh)
                self._loaded_key = scene_id
                if scene_id.startswith("house:") and scene_id not in self._checked:  # given, not generated
                    self._checked.add(scene_id)
                    warn_geometry(self.backend.scene, f"houses entry {scene_id[6:]}")
            self.scene_id = scene_id
            self._view_cache = {}
            self._views = sample_views(self.backend, self._stream(STREAM_VIEWS, self.episode, tries),
                                       max(4, min(self.questions_per_house, 8)))
            self.asked = 0
            self._seen = set()
            self._failed_here = set()
            if self._views and self._next_question():
                return self.qa
        raise ConfigError(f"could not sample any question of {list(self.mix)} in {HOUSE_TRIES} houses; "
                          "check the families and house_config")

    def next(self) -> bool:
        """Ask the house's next question (:attr:`qa`). False when the house is done: its ``questions_per_house``
        are asked, or no further one could be sampled in it."""
        if self.qa is None:
            raise RuntimeError("call begin() before next()")
        self.asked += 1
        if self.asked >= self.questions_per_house:
            return False
        return self._next_question()

    def __iter__(self) -> Iterator[tuple[str, QA]]:
        """(scene id, QA) pairs without end, house after house, from the current question on (begun if need be)."""
        if self.qa is None:
            self.begin()
        while True:
            yield self.scene_id, self.qa
            if not self.next():
                self.advance()
                self.begin()

    # --- streams ---------------------------------------------------------------------------------------------------
    def _stream(self, purpose: int, *keys: int) -> np.random.Generator:
        """The child stream of one purpose (STREAM_*) and keys, from the seeded run's root."""
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.root, purpose, *keys])))

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
            self._question_rngs[family] = self._stream(STREAM_QUESTION, self.episode, self._attempt,
                                                       self._family_key(family))
        return self._question_rngs[family]

    # --- houses ----------------------------------------------------------------------------------------------------
    def _house(self, rng):
        """(scene id, house dict, its freshly built scene or None when the house was cached or given)."""
        if self.houses:
            k = int(rng.integers(len(self.houses)))
            if not isinstance(self.houses[k], int):
                return f"house:{k}", self.houses[k], None
            seed, limit = self.houses[k], POOL_CACHE
        else:
            seed, limit = int(rng.integers(2**31 - 1)), HOUSE_CACHE
        return (f"seed:{seed}", *self.cache.get(seed, self.house_config, keep=limit))

    # --- one question ----------------------------------------------------------------------------------------------
    def _next_question(self) -> bool:
        names = list(self.mix)
        p = np.array([self.mix[f] for f in names])
        rng = self._stream(STREAM_FAMILY, self.episode, self._attempt, self.asked)  # this slot's family picks
        fam, owed = None, False
        tried: set[str] = set()
        # The house's views stay (a family that finds nothing in them is tried in the next house: see _slot_failed).
        for attempt in range(ATTEMPTS_PER_SLOT):
            if attempt % ATTEMPTS_PER_FAMILY == 0:  # keep the family across views, redraw rarely
                if fam is not None:
                    self._slot_failed(fam, owed)
                fam, owed = self._pick_family(rng, names, p, tried)
                tried.add(fam)
            labels = self._families[fam].labels
            if labels and self._targets.get(fam) is None:
                self._targets[fam] = self._draw_target(fam, labels, self._label_rng(fam))
            qrng = self._question_rng(fam)
            k = int(qrng.integers(len(self._views)))
            pose = self._views[k]
            self.backend.teleport(pose.x, pose.z, pose.yaw, pose.horizon)
            if k not in self._view_cache:
                self._view_cache[k] = self.backend.view()
            target = self._targets.get(fam)
            qa = sample_qa(fam, self.backend, qrng, view=self._view_cache[k], target_label=target,
                           balancer=self._balancer)
            if qa is not None and not self._acceptable(qa, pose):
                qa = None
            if self.on_attempt is not None:
                self.on_attempt(fam, self._view_cache[k], target, qa)
            if qa is None:
                continue
            asked = self._asked_labels.setdefault(fam, {})
            asked[qa.label] = asked.get(qa.label, 0) + 1
            self._targets[fam] = None
            self._target_fails[fam] = 0
            if self._owed.get(fam):
                self._owed[fam] -= 1
            self.qa = qa
            return True
        if fam is not None:
            self._slot_failed(fam, owed)
        return False

    def _acceptable(self, qa: QA, pose) -> bool:
        """Within the limits, and not asked in this house already (the same view, facts and answer in other words
        are not a new question); an accepted one is remembered."""
        if self.max_choices is not None and len(qa.choices) > self.max_choices:
            return False
        if self.max_question_chars is not None and len(qa.question) > self.max_question_chars:
            return False
        key = (qa.family, pose, qa.answer, json.dumps(qa.truth, sort_keys=True, default=str))
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

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


def ask(seed: int = 0, family: str | None = None, size=512) -> QA | None:
    """One question (of `family`, or of any family by SAT's mix) from good views of generated house `seed`, drawn by
    the question stream seeded with `seed`; None when the house's views yield none.

    Args:
        seed: house seed (and the stream's seed).
        family: question family (default: any).
        size: image size: N or WxH pixels (an int or a (width, height) pair).
    """
    fams = load_families()
    if family and family not in fams:
        raise ConfigError(f"unknown family {family!r}; available: {', '.join(sorted(fams))}")
    with QuestionStream.open(seed, families=[family] if family else sorted(fams), size=size, questions_per_house=1,
                             houses=[int(seed)]) as stream:
        try:
            return stream.begin(force=True)
        except ConfigError:
            return None


def save_question(qa: QA, out, **extra) -> dict:
    """Write a QA's images (ROLE.png) and qa.json (its record, `extra` and the image files) to the folder `out`;
    return the record."""
    out = ensure_dir(out)
    for role, img in qa.frames.items():
        Image.fromarray(img).save(out / f"{role}.png")
    record = {**qa.to_json(), **extra, "image_files": [f"{r}.png" for r in qa.images]}
    (out / "qa.json").write_text(json.dumps(record, indent=2) + "\n")
    return record

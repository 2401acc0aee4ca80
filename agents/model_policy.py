"""A fine-tuned vision-language model as an agent: it answers QA envs' questions, and drives ObjectNav by asking
itself the two navigation questions of qa/nav.py at every step.

    from agents.model_policy import ModelPolicyAgent
    agent = ModelPolicyAgent("runs/nav", env)           # or make_agent("model:runs/nav", env)
    agent.reset(obs, info); action = agent.act(obs, info)

QA envs: the prompt is SAT's (``finetune.export.sat_prompt``) over the observation's images, question and choices;
the generated text is matched to a choice with ``finetune.scoring.match_choice``. ObjectNav: each step the model
sees the raw egocentric frame and is asked, in one batch of two,

1. ``nav_stop``: "I need to go to the {target}. Am I close enough to it to stop?" -> "yes" -> Done;
2. ``nav_direction``: "... Which direction should I turn to face it?" -> left / right / straight ->
   RotateLeft / RotateRight / MoveAhead,

with the first template of each family, i.e. exactly the training questions (the target named by its category).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from sat_env.errors import ConfigError

MAX_NEW_TOKENS = 8  # every answer is one short word or phrase; more tokens only cost time


class ModelPolicyAgent:
    """Agent protocol (``reset(obs, info)``, ``act(obs, info) -> int``) around a ``finetune.infer.Predictor``.

    Unparsable answers (``match_choice`` gives None) never crash an episode: in QA envs a choice is drawn with the
    agent's seeded RNG; in ObjectNav an unparsable stop answer counts as "no" (a wrong Done ends the episode, a
    missed stop costs one step) and an unparsable direction as a random one of left / right / straight.

    Bumping: if the previous action was MoveAhead and it failed (``info["last_action_success"]`` False), a
    "straight" answer is replaced by a turn, so the agent does not push into the same obstacle until the step limit.
    The side is drawn once per blocked stretch and kept until a MoveAhead succeeds (alternating sides would turn the
    agent back into the obstacle).

    Args:
        path: the model directory (a checkpoint or a `sat finetune` output; see ``finetune.infer.resolve``).
        env: the env it acts in (wrapped or not): ObjectNav, or a QA env (observations with "question").
        adapter: optional peft adapter directory.
        device: "cpu", "cuda", ... (default: cuda when available).
        seed: seed of the RNG for unparsable answers and bump turns.
        predictor: an object with ``generate(samples, max_new_tokens=..., batch_size=...)`` to use instead of
            loading ``path`` (tests, or sharing one loaded model between agents).

    Attributes:
        stats: this episode's counters: ``questions`` asked, ``unparsable`` answers, ``steps``, ``bump_turns``
            and per-action counts (``action:NAME``) for ObjectNav.
        totals: the same counters summed over every episode since construction.
    """

    def __init__(self, path, env, adapter=None, device: str | None = None, seed: int = 0, predictor=None):
        from finetune.export import sat_prompt
        from finetune.scoring import match_choice

        self._prompt, self._match = sat_prompt, match_choice
        self.env = env
        self.rng = np.random.default_rng(seed)
        self.nav = "ObjectNav" in type(env.unwrapped).__name__
        if self.nav:
            actions = tuple(getattr(env.unwrapped, "ACTIONS", ()))
            missing = [a for a in ("MoveAhead", "RotateLeft", "RotateRight", "Done") if a not in actions]
            if missing:
                raise ConfigError(f"the ObjectNav env has no actions {missing} (ACTIONS = {actions}); the model "
                                  "policy needs MoveAhead, RotateLeft, RotateRight and Done")
            self.actions = actions
            self._act_of = {"left": actions.index("RotateLeft"), "right": actions.index("RotateRight"),
                            "straight": actions.index("MoveAhead")}
            self._done = actions.index("Done")
        elif "question" not in getattr(env.observation_space, "spaces", {}):
            raise ConfigError(f"the model policy acts in ObjectNav or QA envs (observations with 'question'); got "
                              f"{type(env.unwrapped).__name__}")
        if predictor is None:
            from finetune.infer import Predictor

            predictor = Predictor(path, adapter=adapter, device=device)
        self.predictor = predictor
        self.stats: Counter = Counter()
        self.totals: Counter = Counter()
        self._last_action: int | None = None
        self._escape: str | None = None

    # --- protocol ---------------------------------------------------------------------------------------------
    def reset(self, obs, info: dict) -> None:
        self.stats = Counter()
        self._last_action = None
        self._escape = None

    def act(self, obs, info: dict) -> int:
        action = self._act_nav(obs, info) if self.nav else self._act_qa(obs, info)
        self._count("steps")
        return action

    # --- QA envs ----------------------------------------------------------------------------------------------
    def _act_qa(self, obs, info: dict) -> int:
        from PIL import Image

        images = [Image.fromarray(np.asarray(im, dtype=np.uint8)) for im in obs["images"][: int(obs["num_images"])]]
        choices = [str(c) for c in obs["choices"][: int(obs["num_choices"])]]
        (answer,) = self._ask([(images, self._prompt(str(obs["question"]), choices))])
        k = self._match(answer, choices)
        if k is None:
            self._count("unparsable")
            k = int(self.rng.integers(len(choices)))
        return int(k)

    # --- ObjectNav --------------------------------------------------------------------------------------------
    def _target(self, obs) -> str:
        if "target" in obs:
            return str(obs["target"])
        from sat_env.envs.objectnav import TARGET_TYPES

        return TARGET_TYPES[int(obs["target_index"])]  # a FilterObservation wrapper may have dropped the text

    def _act_nav(self, obs, info: dict) -> int:
        from PIL import Image

        from qa.nav import nav_question

        target = self._target(obs)
        image = Image.fromarray(np.asarray(obs["rgb"], dtype=np.uint8))
        q_stop, c_stop = nav_question("stop", target)
        q_dir, c_dir = nav_question("direction", target)
        stop_text, dir_text = self._ask([([image], self._prompt(q_stop, c_stop)),
                                         ([image], self._prompt(q_dir, c_dir))])
        stop = self._match(stop_text, c_stop)
        if stop is None:
            self._count("unparsable")
        if stop is not None and c_stop[stop] == "yes":
            return self._choose(self._done)
        k = self._match(dir_text, c_dir)
        if k is None:
            self._count("unparsable")
            k = int(self.rng.integers(len(c_dir)))
        direction = c_dir[k]
        moved = self._last_action == self._act_of["straight"]
        ok = bool(info.get("last_action_success", True))
        if moved and ok:
            self._escape = None  # the blocked stretch is over
        if moved and not ok and direction == "straight":
            if self._escape is None:
                self._escape = "left" if self.rng.random() < 0.5 else "right"
            direction = self._escape
            self._count("bump_turns")
        return self._choose(self._act_of[direction])

    def _choose(self, action: int) -> int:
        self._last_action = action
        self._count(f"action:{self.actions[action]}")
        return int(action)

    # --- helpers ----------------------------------------------------------------------------------------------
    def _ask(self, samples: list[tuple[list, str]]) -> list[str]:
        out = self.predictor.generate(samples, max_new_tokens=MAX_NEW_TOKENS, batch_size=len(samples))
        self._count("questions", len(samples))
        return [str(t) for t in out]

    def _count(self, key: str, n: int = 1) -> None:
        self.stats[key] += n
        self.totals[key] += n


class _Constant:
    """A stand-in model that answers every nav_stop question "no" and every nav_direction question "straight"."""

    def generate(self, samples, max_new_tokens: int = 8, batch_size: int = 8) -> list[str]:
        return ["no", "straight"][:len(samples)]  # the policy asks (stop, direction) in one batch


def forward_walker(env, seed: int = 0) -> ModelPolicyAgent:
    """The model policy with no model: always MoveAhead, turning to a seeded side while blocked, never Done. The
    control for a model policy: what its movement rule achieves without looking (on ObjectNav-Easy, reaching a
    visible target within 1 m ends the episode by itself)."""
    return ModelPolicyAgent(None, env, seed=seed, predictor=_Constant())

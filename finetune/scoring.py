"""Scoring for `sat evaluate`, pure Python (no torch): answer normalisation, choice matching, number parsing with
units, VSI-Bench's mean relative accuracy, SpatialVLM's factor-of-two band, circular evaluation and the official
CV-Bench / VSI-Bench averages.

    from finetune.scoring import match_choice, mra, rotations, circular_correct
    match_choice("(B) right", ["left", "right"])        # 1
    mra(12, 10)                                         # 0.7
    [c for c, _ in rotations(["a", "b", "c"], 0)]       # [['a','b','c'], ['b','c','a'], ['c','a','b']]
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Iterable

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LETTER_INSTRUCTION = "Answer with the option's letter from the given choices directly."

# "answer:", "the answer is", "final answer:", "the correct option is", "my answer is" ... at the very start
_ANSWER_PREFIX = re.compile(r"^(?:(?:the|my)\s+)?(?:final\s+|correct\s+)?(?:answer|option|choice)\s*(?:is\s*:?|:)\s*")
_PAIRS = {'"': '"', "'": "'", "`": "`", "\u201c": "\u201d", "\u2018": "\u2019", "(": ")", "[": "]", "{": "}",
          "<": ">"}
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.S | re.I)


def normalize(text: str) -> str:
    """Canonical form of an answer for comparison.

    Lower-cases, collapses whitespace, removes a leading "answer:" / "the answer is" / "final answer:" /
    "the correct option is", then repeatedly strips trailing ``.,;:!?`` and one surrounding pair of quotes or
    brackets (``"x"``, ``'x'``, ``(x)``, ``[x]``) until nothing changes.
    """
    s = re.sub(r"\s+", " ", str(text).lower()).strip()
    s = _ANSWER_PREFIX.sub("", s)
    while True:
        prev = s
        s = s.rstrip(".,;:!?").strip()
        if len(s) >= 2 and _PAIRS.get(s[0]) == s[-1]:
            s = s[1:-1].strip()
        s = _ANSWER_PREFIX.sub("", s)
        if s == prev:
            return s


def lettered_prompt(question: str, choices: list[str]) -> str:
    """The "lettered multiple choice" prompt: the question, one ``(A) option`` line per choice, and the instruction
    to answer with the letter (VSI-Bench's / lmms-eval's wording)."""
    if len(choices) > len(LETTERS):
        raise ValueError(f"at most {len(LETTERS)} choices can be lettered, got {len(choices)}")
    lines = [question] + [f"({LETTERS[i]}) {c}" for i, c in enumerate(choices)] + [LETTER_INSTRUCTION]
    return "\n".join(lines)


_LETTER_BARE = re.compile(r"^(?:option |choice )?\(?([a-z])\)?$")
_LETTER_PUNCT = re.compile(r"^(?:option |choice )?\(?([a-z])\s*[).:\]]\s*(.+)$")
_LETTER_SPACE = re.compile(r"^\(?([a-z]) (.+)$")
# "The answer is B because ...", "Option (C) fits": a capital letter right after answer/option/choice, anywhere
_LETTER_STATED = re.compile(r"\b(?i:answer|option|choice)\b(?:\s+(?i:is))?\s*:?\s*\(?([A-Z])\)?(?=[\s.,;:!?)]|$)")


def _letter(pred: str, opts: list[str]) -> tuple[bool, int | None]:
    """(is a letter form, index it names or None when it contradicts itself) for the normalised prediction."""
    n = len(opts)
    m = _LETTER_BARE.match(pred)
    if m and ord(m.group(1)) - ord("a") < n:
        return True, ord(m.group(1)) - ord("a")
    m = _LETTER_PUNCT.match(pred)
    if m and ord(m.group(1)) - ord("a") < n:
        i, rest = ord(m.group(1)) - ord("a"), normalize(m.group(2))
        # "B. left" when B is "right" contradicts itself: trust neither half
        return True, (None if rest != opts[i] and rest in opts else i)
    m = _LETTER_SPACE.match(pred)  # "b right": only when the text is that letter's option ("a table" is not A)
    if m and ord(m.group(1)) - ord("a") < n and normalize(m.group(2)) == opts[ord(m.group(1)) - ord("a")]:
        return True, ord(m.group(1)) - ord("a")
    return False, None


def _phrase(opt: str) -> re.Pattern:
    # whole word / phrase: not inside a longer word or number ("1" is not in "10" nor in "1.25")
    return re.compile(r"(?<![\w.])" + re.escape(opt) + r"(?![\w]|\.\d)")


def match_choice(prediction: str, choices: list[str]) -> int | None:
    """Index of the option a free-text prediction chose, or None when it names none or several.

    The rule, applied to ``normalize``-d prediction and options (an ``<answer>...</answer>`` span, when present,
    replaces the prediction first; the last one wins):

    1. the prediction equals one option's text exactly -> that option;
    2. it is a letter form within range: ``B``, ``(B)``, ``B.``, ``B)``, ``option B``, ``answer is (B)``,
       ``B) text`` / ``B. text`` (unless the text is exactly a *different* option: contradictory -> None), or
       ``B text`` when the text is option B's -> that option; or, anywhere in the text, a capital letter right
       after "answer" / "option" / "choice" ("The answer is B because ...", "Option (C) fits"), one letter only;
    3. exactly one option's text appears in it as a whole word or phrase (BLINK's "exactly one choice appears");
       an option found only inside a longer found option (``left`` inside ``front-left``) does not count.
       Two or more -> None ("not left but right" names both);
    4. no option appears and every option is a number (with or without a unit: ``"1.25 m"``, ``"3"``): the
       first number of the prediction (``parse_quantity``; lengths compared in metres when both state a unit)
       equals exactly one option's number -> that option.

    Otherwise None: a miss, never a guess.
    """
    if not choices:
        return None
    tags = _ANSWER_TAG.findall(str(prediction))
    pred = normalize(tags[-1] if tags else prediction)
    opts = [normalize(c) for c in choices]
    exact = [i for i, o in enumerate(opts) if o == pred]
    if len(exact) == 1:
        return exact[0]
    if not pred or len(exact) > 1:
        return None
    is_letter, i = _letter(pred, opts)
    if is_letter:
        return i
    stated = {ord(m) - ord("A") for m in _LETTER_STATED.findall(tags[-1] if tags else str(prediction))}
    if len(stated) == 1 and min(stated) < len(opts):
        return min(stated)
    spans = {}
    for i, o in enumerate(opts):
        if o and opts.index(o) == i:
            spans[i] = [m.span() for m in _phrase(o).finditer(pred)]
    found = {i: s for i, s in spans.items() if s}
    # drop an option whose every occurrence lies inside an occurrence of a longer found option
    inner = {i for i, s in found.items()
             if all(any(j != i and len(opts[j]) > len(opts[i]) and a <= x and y <= b for j, t in found.items()
                        for a, b in t) for x, y in s)}
    hits = [i for i in found if i not in inner]
    if len(hits) == 1:
        return hits[0]
    if hits:
        return None
    return _numeric_choice(pred, opts)


def _numeric_choice(pred: str, opts: list[str]) -> int | None:
    values = [_quantity(o) for o in opts]
    if any(v is None or _NUMBER.fullmatch(o.split(" ")[0]) is None for v, o in zip(values, opts)):
        return None
    p = _quantity(pred)
    if p is None:
        return None
    same = [i for i, v in enumerate(values) if _same_quantity(p, v)]
    return same[0] if len(same) == 1 else None


def _same_quantity(a: tuple[float, str | None], b: tuple[float, str | None]) -> bool:
    (x, u), (y, w) = a, b
    if u in _LENGTH and w in _LENGTH:
        x, y = to_metres(x, u), to_metres(y, w)
    return math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9)


# --- numbers and units ------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+")
_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                     "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split())}
_LENGTH = {"m": 1.0, "cm": 0.01, "mm": 0.001, "km": 1000.0, "ft": 0.3048, "in": 0.0254}
_UNIT_ALIASES = {
    "m": "m", "meter": "m", "meters": "m", "metre": "m", "metres": "m",
    "cm": "cm", "centimeter": "cm", "centimeters": "cm", "centimetre": "cm", "centimetres": "cm",
    "mm": "mm", "millimeter": "mm", "millimeters": "mm", "millimetre": "mm", "millimetres": "mm",
    "km": "km", "kilometer": "km", "kilometers": "km", "kilometre": "km", "kilometres": "km",
    "ft": "ft", "feet": "ft", "foot": "ft", "in": "in", "inch": "in", "inches": "in",
}
# longest alias first so "meters" wins over "m"; bare "in" only as a last word ("3 in the room" is no length)
_UNIT = re.compile(r"\s*(" + "|".join(sorted((a for a in _UNIT_ALIASES if a != "in"), key=len, reverse=True))
                   + r"|in(?=\s*[.,;:!?)]*\s*$))\b")


def to_metres(value: float, unit: str) -> float:
    """``value`` in ``unit`` (m, cm, mm, km, ft, in, or a spelled-out alias such as "meters", "feet", "inches")
    expressed in metres."""
    u = _UNIT_ALIASES.get(str(unit).lower().strip())
    if u is None:
        raise ValueError(f"unknown length unit {unit!r}: use one of {sorted(_UNIT_ALIASES)}")
    return value * _LENGTH[u]


def _quantity(text: str) -> tuple[float, str | None] | None:
    """First number of the text and the canonical length unit right after it (None when there is none)."""
    s = str(text).lower()
    m = _NUMBER.search(s)
    if m is None:
        w = re.search(r"\b(" + "|".join(_WORDS) + r")\b", s)
        if w is None:
            return None
        value, end = float(_WORDS[w.group(1)]), w.end()
    else:
        value, end = float(m.group(0).replace(",", "")), m.end()
    u = _UNIT.match(s, end)
    return value, (_UNIT_ALIASES[u.group(1)] if u else None)


def parse_number(text: str) -> float | None:
    """First number in the text, in the unit the text states ("1.25 m" -> 1.25, "125 cm" -> 125.0,
    "about three meters" -> 3.0; thousands commas allowed), or None when there is none."""
    q = _quantity(text)
    return None if q is None else q[0]


def parse_quantity(text: str, default_unit: str | None = "m") -> float | None:
    """First number in the text, in metres when it is a length: converted from the unit the text states ("125 cm"
    -> 1.25, "3 ft" -> 0.9144), else from ``default_unit`` when that is a length unit ("5" with "cm" -> 0.05);
    returned as is when neither is a length (counts, degrees, square metres). None when there is no number."""
    q = _quantity(text)
    if q is None:
        return None
    value, unit = q
    if unit is not None:
        return to_metres(value, unit)
    if default_unit is not None and str(default_unit).lower() in _UNIT_ALIASES:
        return to_metres(value, default_unit)
    return value


def parse_in_unit(text: str, unit: str | None) -> float | None:
    """The prediction's first number expressed in ``unit`` (the ground truth's unit): a stated length unit is
    converted ("1.5 m" with unit "cm" -> 150.0); a number without a unit, or a non-length ``unit`` ("count",
    "m2"), is taken as already in ``unit``."""
    q = _quantity(text)
    if q is None:
        return None
    value, stated = q
    if stated is not None and unit is not None and str(unit).lower() in _UNIT_ALIASES:
        return to_metres(value, stated) / to_metres(1.0, unit)
    return value


# --- numeric metrics ----------------------------------------------------------------------------------------------

MRA_THRESHOLDS = tuple(k / 20 for k in range(10, 20))  # 0.50, 0.55, ..., 0.95


def mra(pred: float | None, truth: float) -> float:
    """VSI-Bench's mean relative accuracy: the mean over θ in {0.50, 0.55, ..., 0.95} of
    1[|pred - truth| / |truth| <= 1 - θ]. None (unparsable) scores 0. A boundary case counts as inside
    (|12 - 10| / 10 = 0.2 <= 1 - 0.80): lmms-eval's float ``linspace`` puts 1 - 0.8 at 0.19999999999999996 and
    would drop it; we compare with a 1e-9 tolerance so the score follows the formula. A zero truth scores 1 only
    for an exact 0."""
    if pred is None or (isinstance(pred, float) and math.isnan(pred)):
        return 0.0
    if truth == 0:
        return 1.0 if pred == 0 else 0.0
    rel = abs(pred - truth) / abs(truth)
    return sum(rel <= 1 - t + 1e-9 for t in MRA_THRESHOLDS) / len(MRA_THRESHOLDS)


def within_factor(pred: float | None, truth: float, factor: float = 2.0) -> bool:
    """SpatialVLM's success band: truth / factor <= pred <= truth * factor, both ends inclusive (0.5·GT to 2·GT
    with the default). None is a miss."""
    if pred is None or truth <= 0:
        return pred is not None and pred == truth
    eps = 1e-12 * truth
    return truth / factor - eps <= pred <= truth * factor + eps


# --- circular evaluation ------------------------------------------------------------------------------------------

def rotations(choices: list[str], correct: int) -> list[tuple[list[str], int]]:
    """Every cyclic rotation of the options with the correct index moved along: n options give n variants, the
    first the original order, so the correct answer sits once at every position. With two options this is SAT's
    "both orders" evaluation (the released test split is scored this way, 150 QAs -> 300 prompts)."""
    n = len(choices)
    if not 0 <= correct < n:
        raise ValueError(f"correct index {correct} is outside the {n} choices")
    return [(list(choices[k:]) + list(choices[:k]), (correct - k) % n) for k in range(n)]


def circular_correct(per_rotation_correct: list[bool]) -> bool:
    """An item counts as right under circular evaluation only when every rotation was answered right (an empty
    list is not right)."""
    return bool(per_rotation_correct) and all(per_rotation_correct)


# --- official averages --------------------------------------------------------------------------------------------

def cvbench_score(results: Iterable[tuple[object, bool]]) -> dict:
    """CV-Bench's accuracy per source and its official score ½·[(acc_ADE20K + acc_COCO) / 2 + acc_Omni3D] (the
    Cambrian-1 formula, also lmms-eval's). ``results`` are (item, correct) pairs whose item has
    ``meta["source"]``. Returns ``{"ADE20K": .., "COCO": .., "Omni3D": .., "accuracy": micro average,
    "cvbench": official score or None when a source is missing}``."""
    per: dict[str, list[bool]] = defaultdict(list)
    for item, ok in results:
        per[item.meta["source"]].append(bool(ok))
    out: dict = {src: sum(v) / len(v) for src, v in sorted(per.items())}
    n = sum(len(v) for v in per.values())
    out["accuracy"] = sum(sum(v) for v in per.values()) / n if n else None
    have = all(s in per for s in ("ADE20K", "COCO", "Omni3D"))
    out["cvbench"] = ((out["ADE20K"] + out["COCO"]) / 2 + out["Omni3D"]) / 2 if have else None
    return out


VSI_REL_DIRECTION = ("object_rel_direction_easy", "object_rel_direction_medium", "object_rel_direction_hard")


def vsi_overall(task_scores: dict[str, float]) -> dict[str, float]:
    """VSI-Bench's aggregation (lmms-eval ``vsibench_aggregate_results``): the three relative-direction tasks merge
    into ``object_rel_direction`` (their mean), then ``overall`` is the unweighted mean of the task scores
    (accuracy for multiple choice, MRA for numeric)."""
    out = {k: v for k, v in task_scores.items() if k not in VSI_REL_DIRECTION}
    dirs = [task_scores[k] for k in VSI_REL_DIRECTION if k in task_scores]
    if dirs:
        out["object_rel_direction"] = sum(dirs) / len(dirs)
    out["overall"] = sum(out.values()) / len(out) if out else float("nan")
    return out

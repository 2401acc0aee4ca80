"""``sat audit``: sample each family from the question stream (sat_env/tasks/questions.py, the very loop that makes
exports and feeds the QA envs) and measure what a model would be trained on: sampling yields, answer balance, the two
blind baselines and the picture rules (the statistics are qa/audit.py's)."""

from __future__ import annotations

import csv

import numpy as np

from qa.audit import FamilyStats
from qa.balance import category_key
from qa.rulecheck import RULES, check
from qa.sampler import load_families, sample_qa
from sat_env.backends import make_backend
from sat_env.errors import ConfigError
from sat_env.files import ensure_dir
from sat_env.tasks.questions import HouseCache, QuestionStream
from sat_env.viz import grouped_bars

COLUMNS = ["family", "count", "attempts", "success_rate", "view_rate", "label_balance", "label_max_dev_pts",
           "position_max_dev_pts", "multiple_choice", "text_only_acc", "text_only_se", "blind_acc", "chance",
           "break_any", *[f"break_{r}" for r in RULES]]
QUESTIONS_PER_HOUSE = 4  # of one family: few enough that the two-fold baselines do not learn a house's facts
SHARED_HOUSES = 64  # generated houses kept across the families' streams (each family meets the same houses first)
# A family that needs more sampler calls than this per QA is reported short, not waited for (the stream makes up to
# 48 calls for one question in a house, over its views, while a target label the house rarely allows stays drawn).
MAX_ATTEMPTS_PER_QA = 50


def run_audit(n: int = 5000, families: list[str] | None = None, size: int = 224, seed: int = 0, progress=None,
              balance: bool = True, check_rules: bool = True) -> list[dict]:
    """Sample about `n` QAs spread evenly over `families` and return one stats row per family.

    Each family is sampled alone by a question stream seeded with `seed` (the data of its ``SAT-<Family>-v0`` env;
    every family meets the same generated houses first), through the category balancer unless `balance` is off.
    ``success_rate`` is accepted QAs per sampler call (the target label is drawn first, for balance);
    ``view_rate`` the share of calls whose view had a valid instance for some answer label. With `check_rules`,
    every accepted QA is checked against the picture rules (qa.rulecheck) while its view is at hand. A family that
    needs more than MAX_ATTEMPTS_PER_QA calls per QA is reported short rather than waited for.

    Args:
        n: total QAs, split evenly over the families.
        families: families to audit (default: all).
        size: image size in pixels.
        seed: the streams' seed.
        progress: ``progress(done, total, houses)`` after every QA.
        balance: sample through the category balancer, as exports do.
        check_rules: check each QA against the picture rules.
    """
    fams = load_families()
    families = list(families or sorted(fams))
    bad = [f for f in families if f not in fams]
    if bad:
        raise ConfigError(f"unknown families {bad}; available: {', '.join(sorted(fams))}")
    if n < 1:
        raise ConfigError(f"n must be >= 1, got {n}")
    per_family = max(1, n // len(families))
    max_attempts = MAX_ATTEMPTS_PER_QA * per_family
    stats = {f: FamilyStats(f) for f in families}
    done, houses = 0, 0
    backend = make_backend("embedded", width=size, height=size)
    cache = HouseCache(SHARED_HOUSES)
    try:
        for fam in families:
            st = stats[fam]
            probe_rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))  # view_rate probes only
            check_rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))  # the rule checker's points
            labels = fams[fam].labels

            def attempt(f, view, target, qa, st=st, labels=labels, probe_rng=probe_rng, check_rng=check_rng):
                st.attempts += 1
                if qa is not None or any(sample_qa(f, backend, probe_rng, view=view, target_label=t) is not None
                                         for t in (labels or ()) if t != target):
                    st.valid_views += 1
                if qa is not None:
                    st.categories.append(category_key(qa, backend.scene.objects))
                    if check_rules:
                        st.breaks.append(check(qa, view, backend, check_rng))

            fs = QuestionStream(backend, {fam: 1.0}, questions_per_house=QUESTIONS_PER_HOUSE, balance=balance,
                                on_attempt=attempt, cache=cache)
            fs.restart(seed)
            try:
                for scene_id, qa in fs:
                    qa.frames = {}  # keep memory flat: the audit needs text and labels only
                    st.qas.append(qa)
                    st.houses.append(scene_id)
                    done += 1
                    if progress:
                        progress(done, per_family * len(families), houses + fs.episode + 1)
                    if len(st.qas) >= per_family or st.attempts >= max_attempts:
                        break
            except ConfigError:  # ten houses running without a single question: report what there is
                pass
            houses += fs.episode + 1
    finally:
        backend.close()
    return [stats[f].row(fams[f].labels) for f in families]


def write_audit(rows: list[dict], out) -> None:
    """audit.csv (one row per family, COLUMNS) and audit.png (write_chart) in the folder `out`."""
    out = ensure_dir(out)
    with open(out / "audit.csv", "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=COLUMNS)
        wr.writeheader()
        wr.writerows(rows)
    write_chart(rows, out / "audit.png")


def write_chart(rows: list[dict], path) -> None:
    """Bar chart PNG: the two baselines' accuracy next to chance and the sampling success rate, per family."""
    grouped_bars(rows, "family", [("text_only_acc", (40, 90, 200)), ("blind_acc", (150, 60, 190)),
                                  ("chance", (160, 160, 160)), ("success_rate", (40, 160, 60))],
                 "bag-of-words (blue) and blind (purple) accuracy, chance (grey), sampling success rate (green)", path)


def format_table(rows: list[dict]) -> str:
    """The audit as a text table, with a legend."""
    lines = [f"{'family':<20}{'n':>6}{'success':>9}{'views':>7}{'label dev':>11}{'pos dev':>9}{'mc':>6}"
             f"{'text-only':>11}{'blind':>7}{'(se)':>7}{'chance':>8}{'breaks':>8}"]
    def num(v, width: int, digits: int, unit: str = "") -> str:
        """A number, or "-" where there is none (NaN: no labels, no multiple choice, too few QAs)."""
        text = "-" if v is None or v != v else f"{v:.{digits}f}{unit}"
        return f"{text:>{width}}"

    for r in rows:
        lines.append(f"{r['family']:<20}{r['count']:>6}{num(r['success_rate'], 9, 2)}{num(r['view_rate'], 7, 2)}"
                     f"{num(r['label_max_dev_pts'], 11, 1, 'p')}{num(r['position_max_dev_pts'], 9, 1, 'p')}"
                     f"{r['multiple_choice']:>6}{num(r['text_only_acc'], 11, 3)}{num(r['blind_acc'], 7, 3)}"
                     f"{num(r['text_only_se'], 7, 3)}{num(r['chance'], 8, 3)}{num(r['break_any'], 8, 3)}")
    lines.append("success: accepted QAs per sampler call (target label drawn first, balancer applied); views: share "
                 "of calls whose view had a valid instance for some label; mc: multiple-choice QAs (the baselines' "
                 "test set); text-only: bag-of-words baseline; blind: ordered categories + wording baseline; breaks: "
                 "share of QAs breaking any picture rule (per rule in audit.csv)")
    return "\n".join(lines)

"""Family mixes: how often each family is drawn.

``sat`` approximates the SAT training set (arXiv 2412.07755): 127K static and ~45K dynamic QAs out of 172K, i.e.
74 % static (its seven static types, equally) and 26 % dynamic. SAT does not publish the split among dynamic types;
we weight them by the sizes of its generators' outputs as far as they are known (ego movement and object movement
from every agent-move episode, camera translation from a separate, smaller generator, perspective kept with
p = 0.05) and document it here rather than claim more precision.

The navigation families (``NAV``: the model policy's three questions, qa/nav.py) are not part of SAT and stay out of
``sat``, ``static`` and ``dynamic``; ``nav`` draws them alone (``sat export --mix nav``), and a dict of weights
mixes them with anything else.
"""

from __future__ import annotations

import math

from sat_env.errors import ConfigError

SAT_STATIC = ("count", "closer_to_camera", "front_behind", "left_right", "above_below", "taller_height",
              "relative_distance")
SPATIALVLM = ("size_compare", "metric_distance", "metric_size", "direction_clock")
DYNAMIC = ("ego_movement", "camera_translation", "object_movement", "action_consequence", "goal_aiming",
           "perspective")
NAV = ("nav_direction", "nav_stop", "nav_visible")

SAT_MIX = {
    **{f: 0.74 / len(SAT_STATIC) for f in SAT_STATIC},
    "ego_movement": 0.07,
    "object_movement": 0.06,
    "action_consequence": 0.05,
    "goal_aiming": 0.04,
    "camera_translation": 0.03,
    "perspective": 0.01,
}
STATIC_MIX = {f: 1.0 for f in (*SAT_STATIC, *SPATIALVLM)}
DYNAMIC_MIX = {f: 1.0 for f in DYNAMIC}
NAV_MIX = {f: 1.0 for f in NAV}

NAMED = {"sat": SAT_MIX, "static": STATIC_MIX, "dynamic": DYNAMIC_MIX, "nav": NAV_MIX}


def resolve_mix(mix=None, families=None, available=None) -> dict[str, float]:
    """Normalised {family: weight} from a named mix, a dict of weights, or a list of families (equal weights).

    Raises ConfigError naming unknown families or mixes. Families missing from `available` are dropped from named
    mixes (so a mix still works while a family is not installed) but are an error when asked for explicitly.
    """
    if families:
        weights = {f: 1.0 for f in families}
        explicit = True
    elif isinstance(mix, dict):
        weights, explicit = dict(mix), True
    else:
        name = mix or "sat"
        if name not in NAMED:
            raise ConfigError(f"unknown mix {name!r}; named mixes: {sorted(NAMED)}, or pass a dict of family weights")
        weights, explicit = dict(NAMED[name]), False
    if available is not None:
        unknown = sorted(f for f in weights if f not in available)
        if unknown and explicit:
            raise ConfigError(f"unknown question families {unknown}; available: {sorted(available)}")
        weights = {f: w for f, w in weights.items() if f in available}
    bad = {f: w for f, w in weights.items()
           if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0}
    if bad:
        raise ConfigError(f"mix weights must be finite non-negative numbers; got {bad}")
    if not weights or sum(weights.values()) <= 0:
        raise ConfigError(f"a mix needs at least one positive weight, got {weights}")
    total = sum(weights.values())
    return {f: w / total for f, w in sorted(weights.items())}

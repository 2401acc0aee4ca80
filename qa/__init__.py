"""Spatial questions from ground truth: SAT's static and dynamic families and SpatialVLM's predicates.

    from qa import FAMILIES, sample_qa
    qa = sample_qa("left_right", backend, rng)      # or None when the view has no valid instance

Each family lives in its own module and registers itself in :data:`qa.core.FAMILIES` on import.
"""

from __future__ import annotations

from qa.core import FAMILIES, QA, Family, register
from qa.sampler import load_families, sample_qa

__all__ = ["FAMILIES", "QA", "Family", "load_families", "register", "sample_qa"]

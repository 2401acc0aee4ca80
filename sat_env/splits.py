"""Dataset splits: disjoint house seed ranges, so that no house of one split appears in another (nor among ObjectNav's
evaluation houses at 1,000,000+ and 1,500,000+). Used by the exporter and the streaming training source."""

from __future__ import annotations

SPLITS = ("train", "val", "test")
SPLIT_HOUSE_BASE = {"train": 0, "val": 2_000_000, "test": 3_000_000}
SPLIT_CODE = {"train": 0, "val": 1, "test": 2}  # a split's key in seed sequences
SPLIT_RANGE = 1_000_000  # house seeds per split
QUESTIONS_PER_HOUSE = 16  # SAT: 175K QAs from ~10K houses, about 17 per house; views per house stay 8

"""`sat export --engine ray` on a local Ray instance writes the same shards, byte for byte, as the local engine."""

from __future__ import annotations

import json

import pytest

from sat_env.export import ExportConfig, run_export

pytestmark = pytest.mark.slow


def test_ray_engine_matches_local_engine(tmp_path):
    ray = pytest.importorskip("ray", reason='the slow tier installs it: pip install -e ".[ray]"')
    cfg = dict(num_qa=24, size=64, shard_size=8, formats=["sat", "llava"])
    local = run_export(ExportConfig(out=str(tmp_path / "local"), **cfg), progress=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = run_export(ExportConfig(out=str(tmp_path / "ray"), **cfg), engine="ray", progress=False)
    finally:
        ray.shutdown()
    assert len(remote["shards"]) == 3
    assert [s["sha256"] for s in remote["shards"]] == [s["sha256"] for s in local["shards"]]
    assert remote["families"] == local["families"]
    a = json.loads((tmp_path / "local" / "llava" / "train.json").read_text())
    b = json.loads((tmp_path / "ray" / "llava" / "train.json").read_text())
    assert a == b

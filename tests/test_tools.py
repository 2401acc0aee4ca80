"""tools/export_baselines.py: the blind baselines on questions sampled the way `sat export` samples them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "export_baselines.py"


def _tool():
    spec = importlib.util.spec_from_file_location("export_baselines", TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_export_baselines_prints_a_row_per_family(capsys):
    assert _tool().main(["--mix", '{"left_right": 1, "ego_movement": 1}', "--shards", "2", "--per-shard", "12",
                         "--size", "64"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:5] == ["family", "n", "bow", "blind", "chance"]
    rows = {line.split()[0]: line.split() for line in out[1:]}
    assert set(rows) == {"left_right", "ego_movement"}
    assert sum(int(r[1]) for r in rows.values()) == 24  # every question has choices
    assert float(rows["left_right"][4]) == pytest.approx(0.5) and float(rows["ego_movement"][4]) == pytest.approx(1 / 3, abs=1e-3)


def test_export_baselines_needs_two_shards():
    with pytest.raises(SystemExit) as e:
        _tool().main(["--shards", "1"])
    assert e.value.code == 2

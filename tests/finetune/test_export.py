"""Dataset export: formats round-trip, `datasets` reads the parquet, resume after SIGKILL gives the same bytes,
workers do not change the bytes, refusals leave nothing half-written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from sat_env.cli import main
from sat_env.errors import ConfigError
from sat_env.export import ExportConfig, iter_records, run_export

SMALL = dict(size=64, shard_size=10)


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    out = tmp_path_factory.mktemp("exp") / "e"
    m = run_export(ExportConfig(num_qa=25, out=str(out), **SMALL), progress=False)
    return out, m


def _shard_sums(manifest):
    return [(s["shard"], s["records"], s["sha256"]) for s in manifest["shards"]]


def test_formats_round_trip_to_the_same_records(export):
    out, m = export
    recs = {f: list(iter_records(out, f)) for f in ("sat", "llava", "messages")}
    assert [len(r) for r in recs.values()] == [25, 25, 25]
    assert sum(m["families"].values()) == 25 and m["splits"]["train"]["records"] == 25
    keys = ("id", "family", "question_type", "question", "answers", "correct_index", "correct_answer", "truth")
    for f in ("llava", "messages"):
        for a, b in zip(recs["sat"], recs[f]):
            assert {k: a[k] for k in keys} == {k: b[k] for k in keys}
            assert len(a["images"]) == len(b["images"]) >= 1
            assert all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(a["images"], b["images"]))
    for r in recs["sat"]:
        assert r["answers"][r["correct_index"]] == r["correct_answer"]
        assert r["images"][0].size == (64, 64)
        assert "truth" in r["truth"] and r["truth"]["image_roles"]
    # the merged files hold every shard's records in order
    merged = json.loads((out / "llava" / "train.json").read_text())
    assert [r["id"] for r in merged] == [r["id"] for r in recs["llava"]]
    assert len((out / "messages" / "train.jsonl").read_text().splitlines()) == 25


def test_llava_placeholders_match_images_and_prompt_wording(export):
    out, _ = export
    for rec in json.loads((out / "llava" / "train.json").read_text()):
        paths = rec["image"] if isinstance(rec["image"], list) else [rec["image"]]
        human = rec["conversations"][0]["value"]
        assert human.count("<image>") == len(paths)
        assert all((out / p).is_file() for p in paths)
        assert "Answer the question using a single word or phrase." in human
        if len(rec["answers"]) > 1:
            assert all(f'"{c}"' in human for c in rec["answers"])
        assert rec["conversations"][1]["value"] == rec["answers"][rec["correct_index"]]


def test_datasets_loads_the_parquet_in_sats_schema(export):
    datasets = pytest.importorskip("datasets")
    import io

    from PIL import Image

    out, _ = export
    ds = datasets.load_dataset("parquet", data_dir=str(out / "sat" / "train"), split="train")
    assert len(ds) == 25
    assert ["image_bytes", "question", "answers", "question_type", "correct_answer"] == ds.column_names[:5]
    assert ds.features["image_bytes"].feature.dtype == "binary"  # SAT's list of encoded images
    row = ds[0]
    assert Image.open(io.BytesIO(row["image_bytes"][0])).size == (64, 64) and row["correct_answer"] in row["answers"]


def test_workers_and_resume_after_sigkill_give_the_same_bytes(tmp_path, export):
    _, clean = export
    # two worker processes: same shards, same bytes (a shard depends on the seed, split and its index only)
    m2 = run_export(ExportConfig(num_qa=80, out=str(tmp_path / "w2"), **SMALL), workers=2, progress=False)
    assert _shard_sums(m2)[:2] == _shard_sums(clean)[:2]
    # kill an export (SIGKILL) once its first shard is done, then resume
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sat_env", "export", "--out", str(out), "--num-qa", "80", "--size", "64",
           "--shard-size", "10", "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    while not (out / "shards" / "train-00000.json").exists() and time.monotonic() - t0 < 120:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list((out / "shards").glob("*.json")))
    assert 1 <= done < 8 and not (out / "manifest.json").exists()
    with pytest.raises(ConfigError, match="--resume"):
        run_export(ExportConfig(num_qa=80, out=str(out), **SMALL), progress=False)
    m3 = run_export(ExportConfig(num_qa=80, out=str(out), **SMALL), resume=True, progress=False)
    assert _shard_sums(m3) == _shard_sums(m2)
    assert not (out / ".partial").exists()
    for f in ("llava/train.json", "messages/train.jsonl"):
        assert (out / f).read_bytes() == (tmp_path / "w2" / f).read_bytes()
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "w2").as_posix() for p in (tmp_path / "w2").rglob("*")
                           if p.is_file())


def test_refusals_name_the_fix_and_write_nothing(tmp_path, export, capsys):
    out, _ = export
    with pytest.raises(ConfigError, match="already holds a finished export"):
        run_export(ExportConfig(num_qa=25, out=str(out), **SMALL), progress=False)
    with pytest.raises(ConfigError, match="num_qa"):
        run_export(ExportConfig(num_qa=30, out=str(out), **SMALL), resume=True, progress=False)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main(["export", "--out", str(other), "--num-qa", "5", "--size", "64"]) == 2
    assert "not a SAT-Env export" in capsys.readouterr().err
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]
    fresh = tmp_path / "fresh"
    for bad, msg in [(["--format", "sat,tfrecord"], "unknown --format"), (["--size", "4"], "--size"),
                     (["--size", "5000"], "--size"), (["--mix", "everything"], "unknown mix"),
                     (["--families", "telepathy"], "unknown question")]:
        assert main(["export", "--out", str(fresh), "--num-qa", "5", *bad]) == 2
        assert msg in capsys.readouterr().err
        assert not fresh.exists()


def test_chroma_option_and_encoder_pinned_for_resume(tmp_path, export, capsys):
    """--chroma 444 keeps full colour resolution (same records, bigger images that still decode); an export whose
    images came from another encoder version does not resume (its bytes would differ)."""
    import json

    from PIL import Image

    out, m = export
    full = tmp_path / "full"
    m444 = run_export(ExportConfig(num_qa=25, out=str(full), chroma="444", **SMALL), progress=False)
    assert m444["config"]["chroma"] == "444" and m["config"]["chroma"] == "420"
    assert m444["config"]["image_encoder"].startswith("simplejpeg ")
    a = sorted((out / "images").rglob("*.jpg"))
    b = sorted((full / "images").rglob("*.jpg"))
    assert [p.name for p in a] == [p.name for p in b]
    assert sum(p.stat().st_size for p in b) > sum(p.stat().st_size for p in a)
    assert Image.open(b[0]).size == (64, 64)
    with pytest.raises(SystemExit) as e:
        main(["export", "--out", str(tmp_path / "x"), "--num-qa", "5", "--chroma", "422"])
    assert e.value.code == 2 and "--chroma" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="--chroma must be 420 or 444"):
        ExportConfig(num_qa=5, out=str(tmp_path / "y"), chroma="422").check()
    conf = full / "export_config.json"
    old = json.loads(conf.read_text())
    conf.write_text(json.dumps({**old, "image_encoder": "simplejpeg 0.1"}))
    (full / "manifest.json").unlink()
    with pytest.raises(ConfigError, match="encoded by simplejpeg 0.1"):
        run_export(ExportConfig(num_qa=25, out=str(full), chroma="444", **SMALL), resume=True, progress=False)
    # an export of the one-stream sampling (before the child streams) does not resume either: its seed meant
    # other questions
    conf.write_text(json.dumps({k: v for k, v in old.items() if k not in ("sampling_scheme", "resolved_mix")}))
    with pytest.raises(ConfigError, match="older question scheme"):
        run_export(ExportConfig(num_qa=25, out=str(full), chroma="444", **SMALL), resume=True, progress=False)
    assert old["sampling_scheme"] >= 2 and abs(sum(old["resolved_mix"].values()) - 1) < 1e-9


def test_sat_stats(export, tmp_path, capsys):
    out, _ = export
    assert main(["stats", str(out), "--chart", str(tmp_path / "s.png")]) == 0
    text = capsys.readouterr().out
    assert "split train: 25 QAs" in text and "64x64" in text
    st = json.loads((tmp_path / "s.json").read_text())
    assert sum(st["splits"]["train"].values()) == 25
    assert (tmp_path / "s.png").stat().st_size > 500
    assert main(["stats", str(tmp_path)]) == 2

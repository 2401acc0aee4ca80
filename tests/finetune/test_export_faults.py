"""Exports under faults (issue 17): corrupt files are found and redone by --resume and reported by
`sat stats --verify`; a second writer is refused; a dead worker fails the run at once; Ctrl-C and a full disk end
with one line naming --resume; bad mix weights and leftovers of a run that never started are handled."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sat_env.cli import main
from sat_env.errors import ConfigError
from sat_env.export import ExportConfig, run_export

SMALL = dict(size=32, shard_size=10)
SAT = [sys.executable, "-m", "sat_env"]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    out = tmp_path_factory.mktemp("faults") / "e"
    m = run_export(ExportConfig(num_qa=60, out=str(out), **SMALL), progress=False)
    return out, m


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and p.name != ".lock"}


def _truncate(p: Path, keep: float = 0.5) -> None:
    data = p.read_bytes()
    p.write_bytes(data[: int(len(data) * keep)])


def _children(pid: int) -> list[int]:
    """Direct child processes of `pid` (from /proc)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def test_resume_finds_every_corruption_redoes_those_shards_and_verify_reports_them(pristine, tmp_path, capsys):
    src, m = pristine
    out = tmp_path / "e"
    shutil.copytree(src, out)
    _truncate(out / "sat/train/shard-00000.parquet")  # a truncated parquet
    img = sorted((out / "images/train/00001").iterdir())[0]  # a flipped byte in an image
    data = bytearray(img.read_bytes())
    data[len(data) // 2] ^= 0xFF
    img.write_bytes(bytes(data))
    sorted((out / "images/train/00002").iterdir())[-1].unlink()  # a deleted image
    _truncate(out / "messages/train/shard-00003.jsonl")  # a truncated messages shard
    _truncate(out / "shards/train-00004.json")  # a truncated marker
    _truncate(out / "llava/train/shard-00005.json")  # a truncated llava shard
    # sat stats --verify names every fault and exits 1
    assert main(["stats", str(out), "--verify"]) == 1
    o = capsys.readouterr().out
    for shard in range(6):
        assert f"shard {shard}:" in o, o
    # --resume makes exactly those shards again, says which, and ends with the pristine bytes
    assert main(["export", "--out", str(out), "--num-qa", "60", "--size", "32", "--shard-size", "10", "--resume",
                 "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert sum(f"resume: shard {k}:" in err for k in range(6)) == 6, err
    assert "marker is unreadable" in err and "does not match its sha256" in err and "recorded" in err
    got, want = _files(out), _files(src)
    want.pop("manifest.json"), got.pop("manifest.json")
    assert got == want  # messages/train.jsonl merged from the redone shard, not the truncated one
    m2 = json.loads((out / "manifest.json").read_text())
    assert m2["shards"] == m["shards"] and m2["merged"] == m["merged"]
    assert main(["stats", str(out), "--verify"]) == 0
    assert "every file" in capsys.readouterr().out


def test_a_finished_export_resumes_to_itself_and_keeps_its_manifest_until_replaced(pristine, tmp_path):
    src, m = pristine
    out = tmp_path / "e"
    shutil.copytree(src, out)
    m2 = run_export(ExportConfig(num_qa=60, out=str(out), **SMALL), resume=True, progress=False)
    assert m2["shards"] == m["shards"] and _files(out).keys() == _files(src).keys()


def test_a_second_writer_is_refused_while_the_first_holds_the_folder(pristine, tmp_path, capsys):
    src, _ = pristine
    out = tmp_path / "e"
    shutil.copytree(src, out)
    _truncate(out / "sat/train/shard-00000.parquet")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom sat_env.export.integrity import "
                               "ExportLock\nwith ExportLock(sys.argv[1]):\n    print('held', flush=True)\n"
                               "    time.sleep(120)\n", str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        argv = ["export", "--out", str(out), "--num-qa", "60", "--size", "32", "--shard-size", "10", "--resume",
                "--no-progress"]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "being written by another run" in err and f"pid {holder.pid}" in err
        assert (out / "manifest.json").is_file()  # the refused run changed nothing
        holder.kill()  # the kernel releases a killed holder's lock
        holder.wait()
        assert main(argv) == 0
    finally:
        holder.kill()
    assert _files(out).keys() == _files(src).keys()


def test_a_dead_worker_fails_the_run_within_seconds_and_resume_completes_it(tmp_path):
    out = tmp_path / "e"
    cmd = SAT + ["export", "--out", str(out), "--num-qa", "200", "--size", "64", "--shard-size", "10",
                 "--workers", "2", "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    workers = []
    while time.monotonic() - t0 < 120 and not workers:  # the pool's processes, not its resource tracker
        workers = [c for c in _children(proc.pid)
                   if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
        time.sleep(0.05)
    assert workers, "no worker process appeared"
    while not (out / "shards").is_dir() and time.monotonic() - t0 < 120:  # a shard done: the pool is busy
        time.sleep(0.05)
    os.kill(workers[0], signal.SIGKILL)  # as the out-of-memory killer would
    t_kill = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - t_kill < 30 and proc.returncode == 2
    assert "worker process died" in err and "--resume" in err and "Traceback" not in err
    assert not (out / "manifest.json").exists()
    r = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert main(["stats", str(out), "--verify"]) == 0


def test_ctrl_c_ends_with_one_line_naming_resume(tmp_path):
    out = tmp_path / "e"
    cmd = SAT + ["export", "--out", str(out), "--num-qa", "80", "--size", "64", "--shard-size", "10", "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    while not (out / "shards").is_dir() and time.monotonic() - t0 < 120:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err and "--resume" in err and "Traceback" not in err
    assert subprocess.run(cmd + ["--resume"], capture_output=True, timeout=600).returncode == 0


def test_a_full_disk_leaves_no_half_written_config_and_says_so(tmp_path, monkeypatch, capsys):
    import sat_env.export.job as job

    real = job.atomic_text

    def full(path, text):
        Path(str(path) + ".tmp").write_text(text[:10])  # what a disk that fills up mid-write leaves
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path) + ".tmp")

    monkeypatch.setattr(job, "atomic_text", full)
    out = tmp_path / "e"
    assert main(["export", "--out", str(out), "--num-qa", "5", "--size", "32", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "--resume" in err and "Traceback" not in err
    assert not (out / "export_config.tmp").exists() and not (out / "export_config.json").exists()
    # the folder (holding only a lock file now) is still taken as a fresh one
    (out / "export_config.tmp").write_text("{")  # a leftover from an older version
    monkeypatch.setattr(job, "atomic_text", real)
    assert main(["export", "--out", str(out), "--num-qa", "5", "--size", "32", "--no-progress"]) == 0


@pytest.mark.parametrize("mix", ['{"left_right": NaN}', '{"left_right": Infinity}', '{"left_right": "heavy"}',
                                 '{"left_right": -1}', '{"left_right": 0}'])
def test_bad_mix_weights_are_refused_before_anything_is_written(tmp_path, mix, capsys):
    out = tmp_path / "e"
    assert main(["export", "--out", str(out), "--num-qa", "5", "--size", "32", "--mix", mix]) == 2
    assert "weight" in capsys.readouterr().err and not out.exists()
    with pytest.raises(ConfigError, match="weight"):
        run_export(ExportConfig(num_qa=5, out=str(out), mix=json.loads(mix), size=32), progress=False)


@pytest.mark.parametrize("fmt,victim", [("sat", "sat/train/shard-00001.parquet"),
                                        ("messages", "messages/train/shard-00001.jsonl"),
                                        ("llava", "llava/train/shard-00001.json")])
def test_reading_a_corrupt_export_is_one_line_naming_verify(pristine, tmp_path, capsys, fmt, victim):
    src, _ = pristine
    out = tmp_path / "e"
    shutil.copytree(src, out)
    _truncate(out / victim, 0.6)
    assert main(["browse", str(out), "--format", fmt, "--out", str(tmp_path / "g.html"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "cannot be read" in err and "--verify" in err and "Traceback" not in err
    assert not (tmp_path / "g.html").exists()


def test_a_resume_reports_the_rate_of_what_it_made(pristine, tmp_path, capsys):
    src, _ = pristine
    out = tmp_path / "e"
    shutil.copytree(src, out)
    argv = ["export", "--out", str(out), "--num-qa", "60", "--size", "32", "--shard-size", "10", "--resume",
            "--no-progress"]
    assert main(argv) == 0
    assert ": 0 made in" in (o := capsys.readouterr().out) and "nothing left to make" in o
    shutil.rmtree(out / "images/train/00002")  # one shard to make again: the rate is of its 10 QAs
    assert main(argv) == 0
    assert "exported 60 QAs" in (o := capsys.readouterr().out) and ": 10 made in" in o


def test_a_missing_extra_is_one_line_before_anything_is_written(tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    out = tmp_path / "e"
    assert main(["export", "--out", str(out), "--num-qa", "5", "--size", "32", "--engine", "ray"]) == 2
    assert 'pip install -e ".[ray]"' in capsys.readouterr().err and not out.exists()

"""The `sat` command line: help, scene, render, and clear errors with a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
from PIL import Image

from sat_env.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "sat_env", *args], capture_output=True, text=True)


def test_help():
    r = run("--help")
    assert r.returncode == 0 and "scene" in r.stdout and "render" in r.stdout
    r = run("scene", "--help")
    assert r.returncode == 0 and "--seed" in r.stdout and "--size" in r.stdout


def test_scene_and_render(tmp_path, capsys):
    out = tmp_path / "s"
    assert main(["scene", "--seed", "2", "--out", str(out), "--size", "64", "--views", "2"]) == 0
    for name in ("house.json", "topdown.png", "rgb.png", "depth.png", "ids.png", "views.json", "rgb_1.png"):
        assert (out / name).is_file(), name
    assert Image.open(out / "rgb.png").size == (64, 64)
    depth = np.array(Image.open(out / "depth.png"))
    assert depth.dtype == np.uint16 and depth.max() > 0
    views = json.loads((out / "views.json").read_text())
    pose = views["views"][0]["pose"]
    view_png = tmp_path / "v.png"
    assert main(["render", "--house", str(out / "house.json"), "--pose",
                 f"{pose['x']},{pose['z']},{pose['yaw']},{pose['pitch']}", "--out", str(view_png), "--size", "64"]) == 0
    # The same pose renders the same image as `sat scene` wrote.
    assert np.array_equal(np.array(Image.open(view_png)), np.array(Image.open(out / "rgb.png")))


def test_errors_exit_nonzero(tmp_path):
    r = run("render", "--house", str(tmp_path / "nope.json"), "--pose", "1,1,0", "--out", str(tmp_path / "x.png"))
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert not (tmp_path / "x.png").exists()
    r = run("render", "--house", "h.json", "--pose", "1,a", "--out", "x.png")
    assert r.returncode == 2 and "pose" in r.stderr
    r = run("scene", "--out", str(tmp_path / "s"), "--size", "3")
    assert r.returncode == 2 and "size" in r.stderr
    (tmp_path / "bad.json").write_text('{"unknown_key": 1}')
    r = run("scene", "--out", str(tmp_path / "s2"), "--config", str(tmp_path / "bad.json"))
    assert r.returncode == 2 and "unknown HouseConfig key" in r.stderr
    assert not (tmp_path / "s2").exists()


def test_demo_runs_the_main_job_end_to_end(tmp_path, capsys):
    from sat_env.cli import main as sat_main

    assert sat_main(["demo", "--out", str(tmp_path), "--num-qa", "20"]) == 0
    text = capsys.readouterr().out
    assert "oracle accuracy 1.00" in text
    assert (tmp_path / "scene" / "topdown.png").is_file()
    assert (tmp_path / "export" / "manifest.json").is_file() and (tmp_path / "export" / "stats.png").is_file()
    assert len((tmp_path / "export" / "messages" / "train.jsonl").read_text().splitlines()) == 20
    assert (tmp_path / "rollout" / "summary.csv").is_file()
    assert (tmp_path / "gallery.html").read_text().count('class="card"') == 20  # all 20 QAs in the gallery

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


def test_render_refuses_poses_outside_the_house_or_in_a_wall(tmp_path, capsys):
    from sat_env.scene import generate_house, save_house
    from sat_env.scene.build import build_scene

    house = generate_house(0)
    save_house(house, tmp_path / "h.json")
    wall = build_scene(house).structure_obstacles[0]
    for pose, msg in [("-20,-20,0", "outside the house"),
                      (f"{(wall[0] + wall[2]) / 2},{(wall[1] + wall[3]) / 2},0", "inside a wall")]:
        assert main(["render", "--house", str(tmp_path / "h.json"), f"--pose={pose}", "--out", str(tmp_path / "v.png"),
                     "--size", "32"]) == 2
        assert msg in capsys.readouterr().err and not (tmp_path / "v.png").exists()


def test_an_out_that_is_a_file_is_one_line(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    for argv in (["scene", "--out", str(f), "--size", "32", "--views", "1"],
                 ["ask", "--out", str(f), "--size", "32", "--family", "left_right", "--seed", "1"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "is a file: pass a folder" in err and "Traceback" not in err
    assert f.read_text() == "x"


def test_audit_table_shows_missing_numbers_as_a_dash():
    from sat_env.tasks.audit import format_table

    nan = float("nan")
    row = {"family": "metric_distance", "count": 5, "success_rate": 0.5, "view_rate": 0.9, "label_max_dev_pts": nan,
           "position_max_dev_pts": nan, "multiple_choice": 0, "text_only_acc": nan, "blind_acc": nan,
           "text_only_se": nan, "chance": nan, "break_any": 0.0}
    line = format_table([row]).splitlines()[1]
    assert "nan" not in line and line.split()[4:6] == ["-", "-"]


def test_floor_plan_labels_never_overlap():
    from sat_env.viz import place_labels

    boxes = [(0, 0, 40, 10), (30, 5, 70, 15), (80, 0, 120, 10), (0, 20, 40, 30), (35, 8, 60, 25)]
    assert place_labels(boxes) == [0, 2, 3]
    kept = [boxes[k] for k in place_labels(boxes, pad=0)]
    assert all(not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]) for a in kept for b in kept
               if a is not b)


def test_floor_plan_labels_keep_clear_of_room_names():
    from sat_env.viz import place_labels

    room = (0, 0, 100, 20)
    assert place_labels([room, (10, 5, 30, 12), (10, 40, 30, 50)], reserved=1) == [2]

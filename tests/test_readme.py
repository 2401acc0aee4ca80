"""The README cannot drift from the code (issue 18): every Python block runs as written (in order, in one namespace,
in a scratch folder); every command of every bash block is checked against the real parsers (each `sat` line parses
with the command's own options, `make` targets exist, `pip install -e ".[X]"` extras exist, files named exist), and
the quick ones (`sat --help`, `info`, `scene`, `render`, `ask`) run. The long ones (175K-QA exports, fine-tuning
real checkpoints, PPO for 200K steps) are parsed, not run: their code paths run in their own tests."""

from __future__ import annotations

import math
import re
import shlex
from pathlib import Path

import pytest

from sat_env.cli import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
RUN = {"--help", "info", "scene", "render", "ask"}  # quick enough to run for real (seconds)


def blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, re.S)


def commands() -> list[str]:
    """Every command line of the bash blocks, continuation lines joined and comments dropped."""
    out = []
    for block in blocks("bash"):
        text = re.sub(r"\\\n\s*", " ", block)
        for line in text.splitlines():
            line = line.split(" #")[0].strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def test_python_blocks_run_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = "\n\n".join(blocks("python"))
    assert code.count("import") >= 3
    ns: dict = {}
    exec(compile(code, "README.md", "exec"), ns)  # noqa: S102  (the README's own code)
    # what the blocks promise: a finite walk between two reachable points, a question with its answer
    assert math.isfinite(ns["sim"].geodesic_distance(*map(tuple, ns["sim"].scene.navgrid.positions()[[0, -1]])))
    assert ns["qa"] is not None and ns["qa"].answer in ns["qa"].choices


def _sat_argv(line: str) -> list[str] | None:
    words = shlex.split(line)
    for prefix in (["sat"], [".venv/bin/sat"], ["python", "-m", "sat_env"]):
        if words[: len(prefix)] == prefix:
            return words[len(prefix):]
    return None


def test_every_command_line_is_valid(tmp_path):
    makefile = (ROOT / "Makefile").read_text()
    setup = (ROOT / "setup.py").read_text()
    seen = set()
    for line in commands():
        if "..." in line:  # "sat finetune ... --resume": a shorthand for the line above
            continue
        argv = _sat_argv(line)
        words = shlex.split(line)
        if argv is not None:
            if argv and argv[0] in COMMANDS:
                seen.add(argv[0])
                build_parser(argv[0]).parse_args(argv)  # SystemExit (exit 2) on any unknown option or bad value
            else:
                assert argv[:1] in (["--help"], []), line
        elif words[0] == "make":
            for target in words[1:]:
                if "=" not in target:
                    assert re.search(rf"^{re.escape(target)}:", makefile, re.M), f"no make target {target}"
        elif words[:3] == ["pip", "install", "-e"]:
            extras = re.findall(r"\[(.*?)\]", words[3])[0].split(",")
            assert all(f'"{e}":' in setup for e in extras), line
        elif words[:2] == ["python", "-m"] and words[2].startswith(("experiments.", "benchmarks.", "tools.")):
            assert (ROOT / (words[2].replace(".", "/") + ".py")).is_file(), line
            assert all((ROOT / w).is_file() for w in words[3:] if w.endswith((".json", ".py"))), line
        elif words[0] == "python" and words[1].endswith(".py"):  # python benchmarks/x.py --flags
            assert (ROOT / words[1]).is_file(), line
        else:
            pytest.fail(f"README command not checked by this test: {line}")
    assert {"export", "finetune", "evaluate", "scene", "audit", "train-ppo", "evaluate-agent"} <= seen


def test_the_quick_commands_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    ran = set()
    for line in commands():
        argv = _sat_argv(line)
        if argv is None or "..." in line or not argv or argv[0] not in RUN:
            continue
        if argv[0] == "--help":
            with pytest.raises(SystemExit) as e:
                main(argv)
            assert e.value.code == 0
        elif argv[0] == "scene" and "--procthor" in argv:
            continue  # needs a local ProcTHOR-10K file: tests/scene/test_procthor.py runs it on a recorded one
        else:
            assert main(argv) == 0, line
        ran.add(argv[0])
    assert ran == RUN, ran
    assert (tmp_path / "view.png").is_file() and (tmp_path / "q" / "qa.json").is_file()

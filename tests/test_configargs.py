"""Command lines generated from config dataclasses (sat_env/configargs.py): names, defaults, help and choices come
from the dataclass alone, and `sat finetune` exposes every SFTConfig field."""

from __future__ import annotations

import argparse
import dataclasses
import re
from dataclasses import dataclass, field
from typing import Literal

import pytest

from finetune.sft import SFTConfig
from sat_env.cli import build_parser, finetune_config
from sat_env.configargs import add_config_arguments, config_from_args, field_docs, flag


@dataclass(frozen=True)
class Demo:
    out: str
    """where it goes"""
    rate: float = 0.5
    """how fast, in 100 % units"""
    names: list[str] | None = None
    """which ones"""
    mode: str = field(default="a", metadata={"choices": ("a", "b")})
    """the mode"""
    dry: bool = False
    """do nothing"""


def as_options(doc: str, names) -> str:
    """A docstring as help text: underscored field names written as their options, % doubled for argparse."""
    for n in names:
        if "_" in n:
            doc = re.sub(rf"\b{n}\b", flag(n), doc)
    return doc.replace("%", "%%")


def parser_for(cls):
    p = argparse.ArgumentParser()
    add_config_arguments(p, cls)
    return p


def test_fields_become_options_with_types_defaults_choices_and_help():
    p = parser_for(Demo)
    cfg = config_from_args(Demo, p.parse_args(["--out", "x", "--rate", "2", "--names", "u", "v", "--dry"]))
    assert cfg == Demo(out="x", rate=2.0, names=["u", "v"], mode="a", dry=True)
    assert config_from_args(Demo, p.parse_args(["--out", "y"])) == Demo(out="y")
    helps = {a.dest: a.help for a in p._actions}
    assert helps["rate"] == "how fast, in 100 %% units (default: 0.5)"  # argparse renders %% as %
    assert helps["out"] == "where it goes" and helps["dry"] == "do nothing"
    with pytest.raises(SystemExit):
        p.parse_args(["--out", "x", "--mode", "c"])  # not a choice
    with pytest.raises(SystemExit):
        p.parse_args([])  # --out is required


def test_sat_finetune_exposes_every_sftconfig_field_with_its_docstring():
    ft = build_parser()._subparsers._group_actions[0].choices["finetune"]
    actions = {a.dest: a for a in ft._actions}
    docs = field_docs(SFTConfig)
    names = [f.name for f in dataclasses.fields(SFTConfig)]
    for f in dataclasses.fields(SFTConfig):
        a = actions[f.name]
        assert flag(f.name) in a.option_strings
        # the docstring is the help, with the fields it names written as options
        assert docs[f.name] and a.help.startswith(as_options(docs[f.name], names)), f.name
        assert not any(n in a.help for n in names if "_" in n), a.help
        if f.default is not dataclasses.MISSING:
            assert a.default == f.default, f.name
        if "choices" in f.metadata:
            assert list(a.choices) == list(f.metadata["choices"])


@pytest.mark.parametrize("argv,method,precision", [
    ([], "auto", "auto"), (["--lora"], "lora", "auto"), (["--method", "full"], "full", "auto"),
    (["--full", "--bf16"], "full", "bf16"), (["--precision", "fp32"], "auto", "fp32"),
])
def test_finetune_shortcuts(argv, method, precision):
    cfg = finetune_config(build_parser().parse_args(["finetune", "--model", "small", "--data", "d", "--out", "o",
                                                      *argv]))
    assert (cfg.model, cfg.data, cfg.out, cfg.method, cfg.precision) == ("small", "d", "o", method, precision)


@pytest.mark.parametrize("argv", [["--lora", "--method", "full"], ["--fp16", "--precision", "bf16"]])
def test_finetune_shortcuts_that_contradict_the_option_are_refused(argv):
    from sat_env.errors import ConfigError

    with pytest.raises(ConfigError, match="contradicts"):
        finetune_config(build_parser().parse_args(["finetune", "--model", "small", "--data", "d", "--out", "o",
                                                   *argv]))


def test_help_names_options_and_bool_defaults_true_can_be_turned_off():
    @dataclass(frozen=True)
    class Flags:
        warm_start: bool = True
        """keep warm_start on unless told otherwise"""

    p = parser_for(Flags)
    assert config_from_args(Flags, p.parse_args([])).warm_start is True
    assert config_from_args(Flags, p.parse_args(["--no-warm-start"])).warm_start is False
    assert "--warm-start on" in {a.dest: a.help for a in p._actions}["warm_start"]


def test_sat_export_options_come_from_exportconfig():
    from sat_env.export import ExportConfig

    x = build_parser()._subparsers._group_actions[0].choices["export"]
    actions = {a.dest: a for a in x._actions}
    docs = field_docs(ExportConfig)
    for f in dataclasses.fields(ExportConfig):
        if f.name in ("mix", "formats"):  # parsed from text (a JSON mix; a comma list)
            continue
        names = [g.name for g in dataclasses.fields(ExportConfig)]
        assert actions[f.name].help.startswith(as_options(docs[f.name], names)), f.name
    assert "(default: 0)" in actions["seed"].help


def _documented(path: str, size: int = 512, mode: Literal["rgb", "depth"] = "rgb", strict: bool = True,
                tags: list[str] | None = None, note: str | None = None):
    """Draw something.

    Args:
        path: the house file.
        size: image size in pixels; the longer side when
            the picture is not square.
        mode: what to draw (default: `size` decides nothing here).
        strict: refuse a house with problems.
        tags: labels to attach.

    Returns:
        the arguments.
    """
    return dict(path=path, size=size, mode=mode, strict=strict, tags=tags, note=note)


def test_function_parameters_become_options_from_signature_and_args_docstring():
    from sat_env.configargs import add_function_arguments, arg_docs, call_with_args

    assert arg_docs(_documented)["size"] == "image size in pixels; the longer side when the picture is not square."
    assert "Returns" not in " ".join(arg_docs(_documented).values())
    p = argparse.ArgumentParser()
    add_function_arguments(p, _documented, positional=("path",), aliases={"mode": ("--draw",)})
    assert call_with_args(_documented, p.parse_args(["h.json"])) == _documented("h.json")
    out = call_with_args(_documented, p.parse_args(["h.json", "--size", "64", "--draw", "depth", "--no-strict",
                                                    "--tags", "a", "b"]), note="x")
    assert out == dict(path="h.json", size=64, mode="depth", strict=False, tags=["a", "b"], note="x")
    helps = {a.dest: a for a in p._actions}
    assert helps["size"].help == ("image size in pixels; the longer side when the picture is not square "
                                  "(default: 512)")
    assert helps["mode"].choices == ["rgb", "depth"] and "--size decides" in helps["mode"].help
    assert helps["note"].help == ""  # not in Args: no help, but still an option
    with pytest.raises(SystemExit):
        p.parse_args(["h.json", "--mode", "ids"])  # not a Literal choice
    with pytest.raises(SystemExit):
        p.parse_args([])  # the positional is required


def test_every_command_option_has_help():
    # the options come from the library's docstrings: an undocumented parameter shows up here
    for name, sp in build_parser()._subparsers._group_actions[0].choices.items():
        for a in sp._actions:
            if a.dest != "help":
                assert a.help and a.help.strip(), f"sat {name} {a.option_strings or a.dest} has no help"


def test_a_command_builds_only_its_own_options():
    from sat_env.cli import COMMANDS

    p = build_parser("scene")
    subs = p._subparsers._group_actions[0].choices
    assert set(subs) == set(COMMANDS)
    assert "--views" in subs["scene"]._option_string_actions
    assert "--learning-rate" not in subs["finetune"]._option_string_actions  # not built: finetune not imported

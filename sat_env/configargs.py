"""Command-line options generated from one documented source: a config dataclass (the way cleanrl turns one
documented dataclass into its command line) or, for libraries that take keyword arguments, the function itself.
Names, defaults, help and choices are written once, where the library defines them.

From a dataclass, each field becomes ``--field-name``; its help is the string literal written under the field (an
attribute docstring). From a function, each parameter becomes ``--param-name`` and its help is the parameter's line
in the docstring's ``Args:`` section (Google style). Either way, field or parameter names in the help (underscored
ones, and any written in backquotes) are written as options, the default is appended unless the help names one, choices come from a ``Literal[...]`` annotation (or a
dataclass field's ``field(metadata={"choices": (...)})``), ``bool`` ones are flags (``--no-...`` for those that
default to True), ``list[...]`` ones take one or more values and those without a default are required.

    @dataclass(frozen=True)
    class RunConfig:
        out: str
        \"\"\"output folder\"\"\"
        lr: float = 1e-3
        \"\"\"peak learning rate\"\"\"

    add_config_arguments(parser, RunConfig)
    cfg = config_from_args(RunConfig, parser.parse_args())

    def render(house: str, size: int = 512, mode: Literal["rgb", "depth"] = "rgb"):
        \"\"\"...

        Args:
            house: the house JSON file.
            size: image size in pixels.
            mode: what to draw.
        \"\"\"

    add_function_arguments(parser, render, positional=("house",))
    call_with_args(render, parser.parse_args())
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import functools
import inspect
import re
import textwrap
import types
import typing
from dataclasses import dataclass


@functools.lru_cache(maxsize=None)
def field_docs(cls) -> dict[str, str]:
    """{field name: its attribute docstring, whitespace collapsed} from the class source."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):  # no source (a frozen app, a class made at run time): options without help
        return {}
    body = tree.body[0].body
    docs = {}
    for a, b in zip(body, body[1:]):
        if (isinstance(a, ast.AnnAssign) and isinstance(a.target, ast.Name) and isinstance(b, ast.Expr)
                and isinstance(b.value, ast.Constant) and isinstance(b.value.value, str)):
            docs[a.target.id] = " ".join(b.value.value.split())
    return docs


@functools.lru_cache(maxsize=None)
def arg_docs(fn) -> dict[str, str]:
    """{parameter: its text in the docstring's ``Args:`` section, whitespace collapsed} (Google style: ``name: text``
    lines, continuation lines indented deeper)."""
    doc = inspect.getdoc(fn) or ""
    m = re.search(r"^Args:\s*$(.*?)(?=^\S|\Z)", doc, re.M | re.S)
    if not m:
        return {}
    out: dict[str, str] = {}
    name = None
    indent = None
    for line in m.group(1).splitlines():
        if not line.strip():
            continue
        ind = len(line) - len(line.lstrip())
        head = re.match(r"\s*(\w+)(?: \([^)]*\))?:\s*(.*)$", line)
        if head and (indent is None or ind <= indent):
            indent, name = ind, head.group(1)
            out[name] = head.group(2)
        elif name is not None:
            out[name] += " " + line.strip()
    return {k: " ".join(v.split()) for k, v in out.items()}


def _unwrap_optional(t):
    """(type, optional) for ``X | None`` / ``Optional[X]``."""
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(t) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return t, False


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


@dataclass
class _Option:
    name: str
    type: object
    default: object = None
    required: bool = False
    help: str = ""
    choices: tuple | None = None


def _dataclass_options(cls) -> list[_Option]:
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    out = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        out.append(_Option(f.name, hints[f.name], default, not has_default, docs.get(f.name, ""),
                           tuple(f.metadata["choices"]) if "choices" in f.metadata else None))
    return out


def _function_options(fn) -> list[_Option]:
    hints = typing.get_type_hints(fn)
    docs = arg_docs(fn)
    out = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        required = p.default is inspect.Parameter.empty
        out.append(_Option(p.name, hints.get(p.name, str), None if required else p.default, required,
                           docs.get(p.name, "")))
    return out


def _add(parser, options: list[_Option], skip=(), help_extra=None, positional=(), types_=None, aliases=None):
    names = [o.name for o in options]
    underscored = [n for n in names if "_" in n]
    for o in options:
        if o.name in skip:
            continue
        t, _ = _unwrap_optional(o.type)
        choices = o.choices
        if typing.get_origin(t) is typing.Literal:
            choices = typing.get_args(t)
            t = type(choices[0])
        help_text = o.help.rstrip(".")
        kwargs: dict = {}
        if types_ and o.name in types_:
            kwargs["type"] = types_[o.name]
        elif t is bool:
            kwargs["action"] = "store_true" if not o.default else argparse.BooleanOptionalAction
        elif typing.get_origin(t) is list:
            kwargs["nargs"] = "+"
            kwargs["type"] = (typing.get_args(t) or (str,))[0]
        elif t in (int, float, str):
            kwargs["type"] = t
        if choices is not None:
            kwargs["choices"] = list(choices)
        if not o.required:
            kwargs["default"] = o.default
            if o.default is not None and o.default is not False and "default" not in help_text:
                shown = "x".join(map(str, o.default)) if isinstance(o.default, tuple) else o.default
                help_text += f" (default: {shown})"
        elif o.name not in positional:
            kwargs["required"] = True
        if help_extra and o.name in help_extra:
            help_text += " " + help_extra[o.name]
        # names in the docstring (`name`, or any underscored one) read as the options they are here
        help_text = re.sub(r"`(\w+)`", lambda m: flag(m.group(1)) if m.group(1) in names else m.group(0), help_text)
        if underscored:
            help_text = re.sub(r"\b(" + "|".join(underscored) + r")\b", lambda m: flag(m.group(1)), help_text)
        help_text = help_text.replace("%", "%%")
        if o.name in positional:
            kwargs.pop("required", None)
            if not o.required:
                kwargs["nargs"] = "?"
            parser.add_argument(o.name, metavar=o.name.upper(), help=help_text, **kwargs)
        else:
            parser.add_argument(flag(o.name), *(aliases or {}).get(o.name, ()), dest=o.name, help=help_text,
                                **kwargs)


def add_config_arguments(parser, cls, skip=(), help_extra: dict[str, str] | None = None,
                         types: dict | None = None) -> None:
    """Add one option per field of the dataclass `cls` (but those in `skip`) to an argparse parser.

    Args:
        help_extra: text appended to a field's help on the command line only (e.g. what a CLI shortcut sets).
        types: {field: argparse type function} for fields whose text needs parsing (e.g. ``"512x384"``).
    """
    _add(parser, _dataclass_options(cls), skip, help_extra, types_=types)


def add_function_arguments(parser, fn, skip=(), help_extra: dict[str, str] | None = None, positional=(),
                           types: dict | None = None, aliases: dict[str, tuple[str, ...]] | None = None) -> None:
    """Add one option per parameter of the function `fn` (but those in `skip`) to an argparse parser.

    Args:
        help_extra: text appended to a parameter's help on the command line only.
        positional: parameters taken as positional arguments rather than options.
        types: {parameter: argparse type function} for parameters whose text needs parsing.
        aliases: {parameter: extra option strings} (e.g. a shorter name kept from an earlier release).
    """
    _add(parser, _function_options(fn), skip, help_extra, positional, types, aliases)


def config_from_args(cls, args, **overrides):
    """The dataclass built from parsed arguments (fields the parser did not add keep their defaults), with
    `overrides` on top."""
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if f.init and hasattr(args, f.name)}
    return cls(**{**values, **overrides})


def call_with_args(fn, args, **overrides):
    """Call `fn` with the parsed arguments named like its parameters (those the parser did not add keep their
    defaults), with `overrides` on top."""
    params = inspect.signature(fn).parameters
    values = {k: getattr(args, k) for k in params if hasattr(args, k)}
    return fn(**{**values, **overrides})

"""Command-line options generated from a config dataclass: one source of truth for names, defaults, help and
choices (the way cleanrl turns one documented dataclass into its command line).

Each field becomes ``--field-name``; its help is the string literal written under the field (an attribute
docstring, field names in it written as options), with the default appended unless the docstring names one;
``field(metadata={"choices": (...)})`` gives its choices; ``bool`` fields are flags (``--no-...`` for those that
default to True), ``list[...]`` fields take one or more values, fields without a default are required.

    @dataclass(frozen=True)
    class RunConfig:
        out: str
        \"\"\"output folder\"\"\"
        lr: float = 1e-3
        \"\"\"peak learning rate\"\"\"

    add_config_arguments(parser, RunConfig)
    cfg = config_from_args(RunConfig, parser.parse_args())
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


def _unwrap_optional(t):
    """(type, optional) for ``X | None`` / ``Optional[X]``."""
    if typing.get_origin(t) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(t) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return t, False


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_config_arguments(parser, cls, skip=(), help_extra: dict[str, str] | None = None) -> None:
    """Add one option per field of the dataclass `cls` (but those in `skip`) to an argparse parser.

    Args:
        help_extra: text appended to a field's help on the command line only (e.g. what a CLI shortcut sets).
    """
    hints = typing.get_type_hints(cls)
    docs = field_docs(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for f in dataclasses.fields(cls):
        if f.name in skip or not f.init:
            continue
        t, _ = _unwrap_optional(hints[f.name])
        help_text = docs.get(f.name, "")
        kwargs: dict = {"dest": f.name}
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        if t is bool:
            kwargs["action"] = "store_true" if not default else argparse.BooleanOptionalAction
        elif typing.get_origin(t) is list:
            kwargs["nargs"] = "+"
            kwargs["type"] = (typing.get_args(t) or (str,))[0]
        else:
            kwargs["type"] = t
        if "choices" in f.metadata:
            kwargs["choices"] = list(f.metadata["choices"])
        if has_default:
            kwargs["default"] = default
            if default is not None and default is not False and "default" not in help_text:
                help_text += f" (default: {default})"
        else:
            kwargs["required"] = True
        if help_extra and f.name in help_extra:
            help_text += " " + help_extra[f.name]
        # field names in the docstring read as the options they are here
        help_text = re.sub(r"\b(" + "|".join(n for n in names if "_" in n) + r")\b",
                           lambda m: flag(m.group(1)), help_text) if any("_" in n for n in names) else help_text
        parser.add_argument(flag(f.name), help=help_text.replace("%", "%%"), **kwargs)


def config_from_args(cls, args, **overrides):
    """The dataclass built from parsed arguments (fields the parser did not add keep their defaults), with
    `overrides` on top."""
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if f.init and hasattr(args, f.name)}
    return cls(**{**values, **overrides})

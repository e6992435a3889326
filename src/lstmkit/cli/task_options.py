"""Command-line options made from settings dataclasses, so that every task command gets
its options, their help and their defaults from the one place that defines them.

:func:`settings_options` turns each field of a settings dataclass into a typer option
(``hidden_size`` → ``--hidden-size``, ``Literal`` fields → a choice, ``bool`` →
``--flag/--no-flag``, tuples → a repeatable option), with the help text of the class
docstring. Every option defaults to "not given" (None); :func:`given` collects the ones
the user gave, which then override the experiment's table. :func:`with_options` gives a
command function the generated options on top of its own, for typer to read.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Iterable
from typing import Annotated, Any, Literal

import typer

from ..settings import field_help, field_types

#: The prefix of the parameter names that :func:`given` reads back.
PREFIXES = ("task__", "train__")


def settings_options(cls: type, prefix: str, *, only: Iterable[str] | None = None,
                     skip: Iterable[str] = (), defaults: dict[str, Any] | None = None
                     ) -> list[inspect.Parameter]:
    """One keyword-only parameter, annotated as a typer option, per field of ``cls``.

    Args:
        cls: a settings dataclass.
        prefix: the parameter names' prefix (``"task__"``, ``"train__"``), so that
            :func:`given` can tell the tables apart.
        only: the fields to offer (default all but ``skip``).
        skip: fields to leave out (set some other way, or not offered on the command line).
        defaults: the defaults to show in ``--help`` where the command's differ from the
            dataclass's (e.g. the task's training defaults).
    """
    helps, hints, shown = field_help(cls), field_types(cls), dict(defaults or {})
    names = [f.name for f in dataclasses.fields(cls)]
    wanted = [n for n in (names if only is None else only) if n not in set(skip)]
    params = []
    for f in dataclasses.fields(cls):
        if f.name not in wanted:
            continue
        flag = "--" + f.name.replace("_", "-")
        kind, extra = _option_type(hints[f.name])
        default = shown.get(f.name, f.default)
        decls = (f"{flag}/--no-{flag[2:]}",) if kind == bool | None else (flag,)
        option = typer.Option(*decls, help=helps.get(f.name, ""),
                              show_default=_shown(default), **extra)
        params.append(inspect.Parameter(prefix + f.name, inspect.Parameter.KEYWORD_ONLY,
                                        default=None, annotation=Annotated[kind, option]))
    return params


def given(values: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The options with ``prefix`` that the user gave, by field name (lists as tuples)."""
    return {k.removeprefix(prefix): tuple(v) if isinstance(v, list) else v
            for k, v in values.items() if k.startswith(prefix) and v is not None}


def with_options(function: Callable[..., Any], extra: list[inspect.Parameter]
                 ) -> Callable[..., Any]:
    """``function`` with ``extra`` keyword-only parameters added to its signature (typer
    reads the signature); it receives them in ``**kwargs``."""
    signature = inspect.signature(function)
    own = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    function.__signature__ = signature.replace(parameters=own + extra)
    return function


def _option_type(hint: Any) -> tuple[Any, dict[str, Any]]:
    """The type typer parses a field's option as, and extra ``typer.Option`` arguments."""
    base = _strip(hint)
    args = [a for a in typing.get_args(base) if a is not type(None)]
    if typing.get_origin(base) is Literal:
        return base | None, {}
    if typing.get_origin(base) in (typing.Union, types.UnionType):
        tuples = [a for a in args if typing.get_origin(a) is tuple]
        if tuples:  # "a column or several": a repeatable option
            return list[typing.get_args(tuples[0])[0]] | None, {}
        plain = [_strip(a) for a in args]
        if len(plain) == 1:
            return _option_type(plain[0])
        return str | None, {"metavar": "|".join(getattr(a, "__name__", "?") for a in plain)}
    if typing.get_origin(base) is tuple:
        return list[typing.get_args(base)[0]] | None, {}
    if base in (bool, int, float, str):
        return base | None, {}
    return str | None, {}


def _strip(hint: Any) -> Any:
    """``hint`` without ``Annotated`` metadata."""
    while typing.get_origin(hint) is Annotated:
        hint = typing.get_args(hint)[0]
    return hint


def _shown(default: Any) -> str | bool:
    if default is None or default == ():
        return False
    if isinstance(default, bool):
        return "on" if default else "off"
    return str(default)

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

from ..settings import field_types
from .help_text import field_help


def settings_options(cls: type, prefix: str, *, only: Iterable[str] | None = None,
                     skip: Iterable[str] = (), defaults: dict[str, Any] | None = None,
                     names: dict[str, str] | None = None) -> list[inspect.Parameter]:
    """One keyword-only parameter, annotated as a typer option, per field of ``cls``.

    Args:
        cls: a settings dataclass.
        prefix: the parameter names' prefix (``"task__"``, ``"train__"``), so that
            :func:`given` can tell the tables apart.
        only: the fields to offer (default all but ``skip``).
        skip: fields to leave out (set some other way, or not offered on the command line).
        defaults: the defaults to show in ``--help`` where the command's differ from the
            dataclass's (e.g. the task's training defaults).
        names: ``{field: "--option"}`` for options not named after their field.
    """
    helps, hints, shown = field_help(cls), field_types(cls), dict(defaults or {})
    fields = [f.name for f in dataclasses.fields(cls)]
    wanted = [n for n in (fields if only is None else only) if n not in set(skip)]
    params = []
    for f in dataclasses.fields(cls):
        if f.name not in wanted:
            continue
        flag = (names or {}).get(f.name, "--" + f.name.replace("_", "-"))
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
        tuples = [a for a in args if typing.get_origin(_strip(a)) is tuple]
        if tuples:  # "a column or several": a repeatable option
            return list[_strip(typing.get_args(_strip(tuples[0]))[0])] | None, {}
        plain = [_strip(a) for a in args]
        if len(plain) == 1:
            return _option_type(plain[0])
        return str | None, {"metavar": "|".join(getattr(a, "__name__", "?") for a in plain)}
    if typing.get_origin(base) is tuple:
        return list[_strip(typing.get_args(base)[0])] | None, {}
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


#: The help of ``--out`` for a command whose output directory is replaced whole.
OUT_HELP = ("Output directory: new, empty, or written by lstmkit (replaced whole when the "
            "run completes).")


def task_command(task: str, *, settings: type, train: Any, train_fields: Iterable[str],
                 data: tuple[str, str], out: str | tuple[str, str],
                 report: Callable[..., None],
                 doc: str, aliases: dict[str, str] | None = None,
                 check: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
                 prepare: Callable[[Any], Any] | None = None) -> Callable[..., None]:
    """The command that trains ``task`` from options: one per field of its settings
    dataclass and of the listed ``[train]`` fields, plus ``--data``, ``--out``,
    ``--overwrite``, ``--resume``, ``--tracking-uri`` and ``--no-tracking``; further
    ``--train.KEY=VALUE`` / ``--task.KEY=VALUE`` overrides when the command allows extra
    arguments. The experiment is made by :func:`lstmkit.experiments.assemble`, as from a
    file, and run by :func:`lstmkit.experiments.run_experiment` into ``--out``.

    Args:
        task: the registered task.
        settings: its settings dataclass (the ``[task]`` table).
        train: the task's default :class:`~lstmkit.training.TrainConfig` (shown in help).
        train_fields: the ``[train]`` fields offered as options (``epochs``, ``seed``...).
        data, out: ``(default, help)`` of ``--data`` and ``--out``; ``out`` may be the
            default alone, with the help of an output directory (:data:`OUT_HELP`).
        report: ``report(record, experiment, prepared)`` prints the outcome.
        doc: the command's help.
        aliases: ``{field: "--option"}`` for options named otherwise than the field.
        check: ``check(task_values, train_values)`` may refuse a combination of options.
        prepare: ``prepare(experiment)`` runs before training (e.g. reads and checks the
            data, so a bad file fails before anything is staged); what it returns is
            passed to ``report``.
    """
    out = (out, OUT_HELP) if isinstance(out, str) else out

    def command(ctx: typer.Context,
                data_: str = typer.Option(data[0], "--data", help=data[1]),
                out_: str = typer.Option(out[0], "--out", help=out[1]),
                overwrite: bool = typer.Option(
                    False, "--overwrite", help="Replace a non-empty --out that lstmkit did "
                    "not write (the new run replaces it whole once complete)."),
                resume: bool = typer.Option(False, "--resume",
                                            help="Continue an interrupted run."),
                tracking_uri: str | None = typer.Option(None, "--tracking-uri",
                                                        help="MLflow tracking URI."),
                no_tracking: bool = typer.Option(False, "--no-tracking",
                                                 help="Do not record the run."),
                **values: Any) -> None:
        if ctx.invoked_subcommand is not None:
            return
        from pathlib import Path

        from ..config import apply_overrides
        from ..experiments import assemble, run_experiment
        from ..io import check_output_dir

        chosen_task, chosen_train = given(values, "task__"), given(values, "train__")
        if check is not None:
            check(chosen_task, chosen_train)
        target = check_output_dir(Path(out_), option="--out", overwrite=overwrite)
        raw = apply_overrides({
            "experiment": {"task": task, "name": target.name, "data": data_,
                           "output_dir": str(target.parent)},
            "train": chosen_train, "task": chosen_task}, list(ctx.args))
        experiment = assemble(raw, source=f"lstmkit {task}", check_location=False)
        prepared = prepare(experiment) if prepare is not None else None
        record = run_experiment(experiment, resume=resume, tracking=not no_tracking,
                                tracking_uri=tracking_uri, overwrite=overwrite,
                                option="--out")
        report(record, experiment, prepared)

    from ..training import TrainConfig

    options = settings_options(settings, "task__", names=aliases)
    options += settings_options(TrainConfig, "train__", only=list(train_fields),
                                defaults=dataclasses.asdict(train))
    command.__doc__ = doc
    command.__name__ = task
    return with_options(command, options)

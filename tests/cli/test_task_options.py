"""Options made from a settings dataclass: names, help, types, and only what was given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import typer
from typer.testing import CliRunner

from lstmkit.cli.task_options import given, settings_options, with_options
from lstmkit.settings import Count


@dataclass(frozen=True)
class DemoSettings:
    """Settings of a demo.

    Attributes:
        hidden_size: units of each layer.
        cell: the cell.
        bidirectional: read both ways.
        target: one column or several.
        level: interval level(s).
    """

    hidden_size: Count = 32
    cell: Literal["lstm", "gru"] = "lstm"
    bidirectional: bool = False
    target: str | tuple[str, ...] | None = None
    level: float | tuple[float, ...] = 0.8


def make_app(seen: dict) -> typer.Typer:
    app = typer.Typer()

    def command(name: str = typer.Option("x", "--name"), **values) -> None:
        seen.update(name=name, task=given(values, "task__"))

    app.command()(with_options(command, settings_options(DemoSettings, "task__",
                                                          defaults={"hidden_size": 8})))
    return app


def test_task_options_help_comes_from_the_docstring_and_defaults():
    result = CliRunner().invoke(make_app({}), ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--hidden-size <int> units of each layer. [default: (8)]" in text
    assert "--bidirectional --no-bidirectional" in text and "one column or several." in text
    assert "--cell <lstm|gru> the cell. [default: (lstm)]" in text


def test_task_options_collect_only_what_was_given():
    seen: dict = {}
    result = CliRunner().invoke(make_app(seen), ["--cell", "gru", "--target", "a",
                                                 "--target", "b", "--no-bidirectional",
                                                 "--level", "0.5", "--level", "0.9"])
    assert result.exit_code == 0, result.output
    assert seen == {"name": "x", "task": {"cell": "gru", "target": ("a", "b"),
                                          "bidirectional": False, "level": (0.5, 0.9)}}


def test_task_options_refuse_a_value_outside_the_choices():
    result = CliRunner().invoke(make_app({}), ["--cell", "nope"])
    assert result.exit_code == 2 and "nope" in result.output

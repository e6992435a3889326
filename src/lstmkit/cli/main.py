"""``lstmkit``: the entry point. Each command group lives in its own module and is
registered here."""

from __future__ import annotations

import sys

import typer

from .. import __version__
from ..errors import LstmkitError
from . import bench, data, demo, forecast, runs, text, train

app = typer.Typer(
    name="lstmkit",
    help="Every LSTM variant behind one fast PyTorch API; one command from data to a model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("demo")(demo.demo)
app.command("train", context_settings=train.CONTEXT)(train.train)
app.add_typer(data.app, name="data")
app.add_typer(text.app, name="text")
app.add_typer(forecast.app, name="forecast")
app.command("runs")(runs.runs)
app.command("bench")(bench.bench)
OPTIONS = {"debug": False}


@app.callback()
def root(debug: bool = typer.Option(False, "--debug",
                                    help="Show the Python traceback of an error.")) -> None:
    """Every LSTM variant behind one fast PyTorch API; one command from data to a model."""
    OPTIONS["debug"] = debug


@app.command("version")
def version() -> None:
    """Print lstmkit's version and torch's."""
    import torch

    typer.echo(f"lstmkit {__version__} (torch {torch.__version__})")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: a user error prints one line and exits non-zero."""
    try:
        app(args=argv, prog_name="lstmkit")
    except LstmkitError as exc:
        if OPTIONS["debug"]:
            raise
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)

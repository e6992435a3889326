"""``lstmkit``: the entry point. Each command group lives in its own module and is
registered here."""

from __future__ import annotations

import typer

from .. import __version__
from . import demo

app = typer.Typer(
    name="lstmkit",
    help="Every LSTM variant behind one fast PyTorch API; one command from data to a model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("demo")(demo.demo)


@app.command("version")
def version() -> None:
    """Print lstmkit's version and torch's."""
    import torch

    typer.echo(f"lstmkit {__version__} (torch {torch.__version__})")


def main() -> None:
    """Console-script entry point."""
    app()

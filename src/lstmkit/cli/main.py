"""``lstmkit``: the entry point. Each command group lives in its own module and is
registered here.

Whatever goes wrong, a user sees one line ``error: ...`` and a non-zero exit: 2 for a
usage error (unknown option or command, missing or malformed value, a bad experiment
file), 1 for a problem with a file or the data, 130 for Ctrl-C; an unexpected exception
is one line too, and ``--debug`` shows its traceback.
"""

from __future__ import annotations

import errno
import sys

import typer
from typer import Abort, Exit

from .._version import __version__
from ..errors import LstmkitError
from . import (
    bench,
    classify,
    compare,
    data,
    demo,
    detect,
    export,
    forecast,
    runs,
    sweep,
    tag,
    text,
    train,
)
from .terminal import one_line

try:  # typer 0.2x carries its own copy of click
    from typer._click.exceptions import ClickException, NoArgsIsHelpError
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException, NoArgsIsHelpError

app = typer.Typer(
    name="lstmkit",
    help="Every LSTM variant behind one fast PyTorch API; one command from data to a model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("demo")(demo.demo)
app.command("train", context_settings=train.CONTEXT)(train.train)
app.command("sweep", context_settings=sweep.CONTEXT)(sweep.sweep)
app.add_typer(data.app, name="data")
app.add_typer(text.app, name="text")
app.add_typer(forecast.app, name="forecast")
app.add_typer(detect.app, name="detect")
app.add_typer(detect.app, name="anomaly", help="The same as 'lstmkit detect'.")
app.add_typer(classify.app, name="classify")
app.add_typer(tag.app, name="tag")
app.command("runs")(runs.runs)
app.command("compare")(compare.compare)
app.command("bench")(bench.bench)
app.command("export")(export.export)
OPTIONS = {"debug": False}
INTERNAL_HINT = "(run with --debug for the traceback)"


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
    """Console-script entry point: every error prints one line and exits non-zero."""
    OPTIONS["debug"] = False
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        code = run(args)
    except Exception as exc:
        if OPTIONS["debug"] and not isinstance(exc, ClickException):
            raise
        fail(*describe(exc))
    except KeyboardInterrupt:
        if OPTIONS["debug"]:
            raise
        fail("interrupted", 130)
    if code:
        sys.exit(code)


def run(args: list[str]) -> int:
    """Parse ``args`` and run the command: the exit status (0, or that of ``typer.Exit``).

    ``--help`` prints the help and returns 0; a group given no command prints it and
    returns 2.
    """
    command = typer.main.get_command(app)
    try:
        with command.make_context("lstmkit", args) as ctx:
            command.invoke(ctx)
    except NoArgsIsHelpError as exc:  # the help is printed already; exit 2 as click does
        return exc.exit_code
    except Exit as exc:  # --help, typer.Exit
        return exc.exit_code
    except Abort:  # click's answer to Ctrl-C or end of input at a prompt
        raise KeyboardInterrupt from None
    return 0


def describe(exc: Exception) -> tuple[str, int]:
    """The one-line message of an exception and the exit status."""
    if isinstance(exc, ClickException):  # usage errors: unknown option, bad value, ...
        ctx = getattr(exc, "ctx", None)
        hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        return exc.format_message() + hint, exc.exit_code
    if isinstance(exc, LstmkitError):
        return str(exc), exc.exit_code
    if isinstance(exc, OSError):
        return os_error(exc), 1
    return f"internal error: {type(exc).__name__}: {exc} {INTERNAL_HINT}", 1


def os_error(exc: OSError) -> str:
    """``PATH: reason`` for a failed file operation (read-only, full disk, ...)."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno == errno.ENOSPC:
        reason += " (the disk is full)"
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{' -> '.join(paths)}: {reason}" if paths else f"{type(exc).__name__}: {reason}"


def fail(message: str, code: int) -> None:
    """Print ``error: MESSAGE`` on one line (control characters made visible) and exit."""
    try:
        typer.echo(f"error: {one_line(message)}", err=True)
    except OSError:  # stderr itself is gone (a closed pipe)
        pass
    sys.exit(code)


if __name__ == "__main__":
    main()

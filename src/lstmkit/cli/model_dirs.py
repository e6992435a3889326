"""What every ``predict`` command shares: where the saved model is (the directory a
training command wrote, or its ``model/`` folder) and how its table is written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from ..errors import ModelFileError


def model_dir(path: Path, command: str) -> Path:
    """``path/model`` when it holds a saved model, else ``path``, checked.

    Args:
        path: what the user gave.
        command: the command that writes such models (``"lstmkit forecast"``), for the
            message.

    Raises:
        ModelFileError: naming ``path``: missing, or without a config.json.
    """
    if (path / "model" / "config.json").is_file():
        path = path / "model"
    if not path.is_dir():
        raise ModelFileError(f"{path}: no such model directory")
    if not (path / "config.json").is_file():
        raise ModelFileError(f"{path}: not a model directory (no config.json); give the "
                             f"directory '{command}' wrote (OUT or OUT/model)")
    return path


def emit_csv(frame: pd.DataFrame, target: Path | None, out: Path | None) -> None:
    """Print ``frame`` as CSV (spreadsheet-safe) to stdout, or write it atomically to
    ``target`` (the checked ``--out``, see :func:`~lstmkit.io.check_output_file`)."""
    from ..data.export import spreadsheet_safe
    from ..io import atomic_write
    from .terminal import safe

    text = spreadsheet_safe(frame).to_csv(index=False)
    if target is None:
        typer.echo(text, nl=False)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, text.encode("utf-8"))
    typer.echo(safe(f"wrote {len(frame)} rows to {out}", markup=False), err=True)

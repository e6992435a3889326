"""Where a command's saved model is: the directory a training command wrote, or its
``model/`` folder."""

from __future__ import annotations

from pathlib import Path

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

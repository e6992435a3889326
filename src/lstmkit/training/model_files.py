"""Saved models: a directory anyone can open safely.

Layout of a model directory::

    config.json          {"format": "lstmkit-model", "format_version": 1, "task": ...,
                          "config": {...}, "transforms": ["scaler", ...], ...}
    model.safetensors    the weights
    scaler.json, ...     one JSON file per data transform the model needs

Loading reads JSON and safetensors only and never unpickles: a file that carries a
pickle payload is refused without being run. A directory written by a newer format
version is refused with a message saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import Tensor

from .. import __version__
from ..errors import ModelFileError
from ..io import replace_dir as replace_dir  # re-exported: lstmkit.io owns it
from .safetensors_io import PICKLE_PREFIXES, read_tensors, write_tensors

MODEL_FORMAT = "lstmkit-model"
FORMAT_VERSION = 1
RESERVED_NAMES = ("config", "model")


@dataclass(frozen=True)
class ModelFiles:
    """What :func:`load_model_dir` returns.

    Attributes:
        state_dict: the weights, ready for ``model.load_state_dict``.
        config: the JSON config the model was saved with (enough to rebuild it).
        transforms: ``{name: JSON dict}`` of data transforms (scaler, tokenizer...).
        task: the task name saved with the model (``""`` if none).
        format_version: the format version the directory was written with.
    """

    state_dict: dict[str, Tensor]
    config: dict[str, Any]
    transforms: dict[str, dict[str, Any]]
    task: str
    format_version: int


def save_model_dir(path: str | os.PathLike, state_dict: dict[str, Tensor],
                   config: dict[str, Any], transforms: dict[str, dict[str, Any]] | None = None,
                   *, task: str = "") -> Path:
    """Write a model directory, replacing ``path`` only once everything is on disk.

    Args:
        path: the directory to create (or replace).
        state_dict: ``model.state_dict()``.
        config: JSON-able settings needed to rebuild the model.
        transforms: ``{name: JSON-able dict}``, each written as ``<name>.json``.
        task: the task that made the model (e.g. ``"forecast"``).

    Returns:
        ``Path(path)``.
    """
    path, transforms = Path(path), transforms or {}
    bad = [n for n in transforms if n in RESERVED_NAMES or not n.isidentifier()]
    if bad:
        raise ValueError(f"save_model_dir: transform names must be identifiers other than "
                         f"{RESERVED_NAMES}, got {bad}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        header = {"format": MODEL_FORMAT, "format_version": FORMAT_VERSION,
                  "lstmkit_version": __version__, "task": task, "config": config,
                  "transforms": sorted(transforms)}
        write_json(tmp / "config.json", header)
        write_tensors(tmp / "model.safetensors", state_dict, {"format": MODEL_FORMAT})
        for name, content in transforms.items():
            write_json(tmp / f"{name}.json", content)
        replace_dir(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def load_model_dir(path: str | os.PathLike) -> ModelFiles:
    """Read a model directory written by :func:`save_model_dir`; never unpickles.

    Raises:
        ModelFileError: naming the file at fault: missing, corrupt, a pickle, or written
            by a newer format version.
    """
    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(f"{path}: no such model directory")
    header = read_json(path / "config.json")
    if header.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"{path / 'config.json'}: not an lstmkit model (format is "
                             f"{header.get('format')!r}, expected {MODEL_FORMAT!r})")
    version = header.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: saved with model format version {version} (lstmkit "
            f"{header.get('lstmkit_version', '?')}), but this lstmkit ({__version__}) reads "
            f"format versions up to {FORMAT_VERSION}; upgrade lstmkit to load it")
    state_dict, _ = read_tensors(path / "model.safetensors", ModelFileError)
    transforms = {name: read_json(path / f"{name}.json") for name in header["transforms"]}
    return ModelFiles(state_dict=state_dict, config=header["config"], transforms=transforms,
                      task=header.get("task", ""), format_version=version)


def write_json(path: Path, content: dict[str, Any]) -> None:
    """Write ``content`` as indented JSON, flushed to disk."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(content, f, indent=2, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``, or :class:`ModelFileError` naming the file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"{path}: missing from the model directory") from None
    if data.startswith(PICKLE_PREFIXES):
        raise ModelFileError(f"{path}: refusing to load a pickle file; lstmkit model files "
                             "are JSON and safetensors only and are never unpickled")
    try:
        content = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(content, dict):
        raise ModelFileError(f"{path}: expected a JSON object, got {type(content).__name__}")
    return content

"""Saved models: a directory anyone can open safely.

Layout of a model directory::

    config.json          {"format": "lstmkit-model", "format_version": 1, "task": ...,
                          "config": {...}, "transforms": ["scaler", ...], ...}
    model.safetensors    the weights
    scaler.json, ...     one JSON file per data transform the model needs

Loading reads JSON and safetensors only and never unpickles: a file that carries a
pickle payload is refused without being run. A directory written by a newer format
version is refused with a message saying so. It trusts nothing: every file must be a
regular file inside the directory (no symbolic link out of it, no FIFO, no device), no
larger than the caps of :mod:`lstmkit.limits`; transform names must be simple names;
and :func:`weights_mismatch` says why weights do not fit the network the config
describes (the task base checks them on the meta device before allocating it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from .._version import __version__
from ..errors import ConfigError, ModelFileError
from ..io import check_not_protected, read_bounded, replace_dir
from ..limits import MAX_JSON_BYTES, MAX_TRANSFORMS
from .safetensors_io import PICKLE_PREFIXES, read_tensors, write_tensors

MODEL_FORMAT = "lstmkit-model"
FORMAT_VERSION = 1
RESERVED_NAMES = ("config", "model")
SIMPLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
HEADER_TYPES = {"format": str, "format_version": int, "lstmkit_version": str, "task": str,
                "config": dict, "transforms": list}
OPTIONAL_HEADER = ("lstmkit_version", "task")


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

    ``path`` must be new, an empty directory, or a model directory lstmkit wrote
    (:func:`check_save_target`): saving never replaces anything else.

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
    check_save_target(path)
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


def check_save_target(path: Path) -> None:
    """Refuse to save a model over anything but a new path, an empty directory or an
    lstmkit model directory (saving replaces the directory whole), and into ``/``, the
    working or home directory or a parent of them.

    Raises:
        ModelFileError: naming ``path`` and what it is.
    """
    try:
        check_not_protected(path, f"saving a model to {path}", staging_ok=True)
    except ConfigError as exc:
        raise ModelFileError(str(exc)) from None
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise ModelFileError(f"{path}: exists and is not a directory; refusing to replace "
                             "it with a model directory")
    if path.is_dir() and any(path.iterdir()) and not is_model_dir(path):
        raise ModelFileError(f"{path}: a non-empty directory that is not an lstmkit model "
                             "directory; refusing to replace it (saving replaces the "
                             "directory whole): save into a new or empty directory")


def is_model_dir(path: Path) -> bool:
    """Whether ``path`` holds a config.json of lstmkit's model format."""
    try:
        header = json.loads(read_bounded(path / "config.json", limit=MAX_JSON_BYTES,
                                         error=ModelFileError, inside=path))
    except (ModelFileError, ValueError):
        return False
    return isinstance(header, dict) and header.get("format") == MODEL_FORMAT


def load_model_dir(path: str | os.PathLike) -> ModelFiles:
    """Read a model directory written by :func:`save_model_dir`; never unpickles.

    Raises:
        ModelFileError: naming the file at fault: missing, not a regular file inside
            the directory, too large, corrupt, a pickle, a bad header or transform name,
            or written by a newer format version.
    """
    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(f"{path}: no such model directory")
    header = read_header(path)
    state_dict, _ = read_tensors(path / "model.safetensors", ModelFileError, inside=path)
    transforms = {name: read_json(path / f"{name}.json", inside=path)
                  for name in header["transforms"]}
    return ModelFiles(state_dict=state_dict, config=header["config"], transforms=transforms,
                      task=header.get("task", ""), format_version=header["format_version"])


def read_header(path: Path) -> dict[str, Any]:
    """The checked ``config.json`` of the model directory ``path``."""
    where = path / "config.json"
    header = read_json(where, inside=path)
    if header.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"{where}: not an lstmkit model (format is "
                             f"{header.get('format')!r}, expected {MODEL_FORMAT!r})")
    version = header.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: saved with model format version {version} (lstmkit "
            f"{header.get('lstmkit_version', '?')}), but this lstmkit ({__version__}) reads "
            f"format versions up to {FORMAT_VERSION}; upgrade lstmkit to load it")
    unknown = sorted(set(header) - set(HEADER_TYPES))
    if unknown:
        raise ModelFileError(f"{where}: unknown field {unknown[0]}; valid: "
                             f"{', '.join(sorted(HEADER_TYPES))}")
    for key, kind in HEADER_TYPES.items():
        if key not in OPTIONAL_HEADER and key not in header:
            raise ModelFileError(f"{where}: field {key} is missing")
        if key in header and not isinstance(header[key], kind):
            raise ModelFileError(f"{where}: field {key} must be a JSON {kind.__name__}, got "
                                 f"{json.dumps(header[key])[:60]}")
    check_transform_names(header["transforms"], where)
    return header


def check_transform_names(names: list[Any], where: Path) -> None:
    """Transform names must be distinct simple names (letters, digits, ``_``), so that
    ``<name>.json`` stays inside the model directory."""
    if len(names) > MAX_TRANSFORMS:
        raise ModelFileError(f"{where}: {len(names)} transforms, more than the "
                             f"{MAX_TRANSFORMS} a model may have")
    for name in names:
        if (not isinstance(name, str) or not SIMPLE_NAME.fullmatch(name)
                or name in RESERVED_NAMES):
            raise ModelFileError(
                f"{where}: transform name {json.dumps(name)[:60]} is not a simple name "
                f"(letters, digits and _, not {' or '.join(RESERVED_NAMES)}); refusing to "
                "read it")
    if len(set(names)) < len(names):
        raise ModelFileError(f"{where}: transform names repeat: {names}")


def weights_mismatch(expected: dict[str, Tensor], got: dict[str, Tensor]) -> str:
    """What keeps ``got`` from loading where ``expected`` is wanted ("" if nothing)."""
    missing = [k for k in expected if k not in got]
    if missing:
        return f"missing weight {missing[0]}" + (
            f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
    extra = [k for k in got if k not in expected]
    if extra:
        return f"unexpected weight {extra[0]}" + (
            f" (and {len(extra) - 1} more)" if len(extra) > 1 else "")
    for key, want in expected.items():
        have = got[key]
        if have.shape != want.shape:
            return (f"weight {key} has shape {tuple(have.shape)}, expected "
                    f"{tuple(want.shape)}")
        if want.is_floating_point() and not have.is_floating_point():
            return f"weight {key} has dtype {have.dtype}, expected a floating-point one"
        if have.is_floating_point() and not bool(torch.isfinite(have).all()):
            return f"weight {key} holds non-finite values (NaN or infinity)"
    return ""


def write_json(path: Path, content: dict[str, Any]) -> None:
    """Write ``content`` as indented JSON, flushed to disk."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(content, f, indent=2, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())


def read_json(path: Path, *, inside: str | os.PathLike | None = None) -> dict[str, Any]:
    """A JSON object from the regular file ``path`` (at most
    :data:`~lstmkit.limits.MAX_JSON_BYTES`, inside the directory ``inside`` if given),
    or :class:`ModelFileError` naming the file."""
    if not os.path.lexists(path):
        raise ModelFileError(f"{path}: missing from the model directory")
    data = read_bounded(path, limit=MAX_JSON_BYTES, error=ModelFileError, inside=inside)
    if data.startswith(PICKLE_PREFIXES):
        raise ModelFileError(f"{path}: refusing to load a pickle file; lstmkit model files "
                             "are JSON and safetensors only and are never unpickled")
    try:
        content = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise ModelFileError(f"{path}: not valid JSON (nested too deeply)") from None
    if not isinstance(content, dict):
        raise ModelFileError(f"{path}: expected a JSON object, got {type(content).__name__}")
    return content

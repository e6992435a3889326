"""Crash-safe writing and pickle-free reading of safetensors files.

Every file lstmkit writes goes through :func:`lstmkit.io.atomic_write`:
a temporary file in the same directory, ``fsync``, ``os.replace``, ``fsync`` of
the directory. A crash at any moment leaves either the old file or the new one, never
half of one. Reading parses the safetensors header itself and refuses pickles
(``torch.save`` files, or anything else that would run code when unpickled) without ever
unpickling them.
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import safetensors.torch
from torch import Tensor

from ..errors import LstmkitError
from ..io import atomic_write, read_bounded
from ..limits import MAX_HEADER_BYTES, MAX_WEIGHTS_BYTES

PICKLE_PREFIXES = (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05", b"PK\x03\x04")


def write_tensors(path: str | os.PathLike, tensors: dict[str, Tensor],
                  metadata: dict[str, str]) -> None:
    """Atomically write ``tensors`` and string ``metadata`` as one safetensors file."""
    plain = {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}
    atomic_write(path, safetensors.torch.save(plain, metadata=metadata))


def read_tensors(path: str | os.PathLike, error: type[LstmkitError] = LstmkitError, *,
                 inside: str | os.PathLike | None = None,
                 ) -> tuple[dict[str, Tensor], dict[str, str]]:
    """Read a safetensors file written by :func:`write_tensors`; never unpickles.

    Only a regular file of at most :data:`~lstmkit.limits.MAX_WEIGHTS_BYTES` is read
    (see :func:`~lstmkit.training.bounded_read.read_bounded`).

    Args:
        path: the file.
        error: the :class:`LstmkitError` subclass to raise, so the message fits the caller.
        inside: a directory the file must resolve into (symbolic links included).

    Returns:
        ``(tensors, metadata)``.

    Raises:
        error: naming the file, if it is missing, not a regular file, too large, a
            pickle, corrupt or truncated.
    """
    path = Path(path)
    data = read_bounded(path, limit=MAX_WEIGHTS_BYTES, error=error, inside=inside)
    if data.startswith(PICKLE_PREFIXES) and data[8:9] != b"{":  # a safetensors header of
        # 640, 896, 1152 or 1408 bytes also starts with 80 0x; its JSON begins at byte 8
        raise error(f"{path}: refusing to load a pickle file (for example one written by "
                    "torch.save); lstmkit only reads safetensors and never unpickles")
    metadata = read_header(path, data, error).get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(v, str) for v in metadata.values()):
        raise error(f"{path}: corrupt safetensors file (metadata is not a table of strings)")
    try:
        tensors = safetensors.torch.load(data)
    except Exception as exc:  # safetensors raises its own error types
        raise error(f"{path}: corrupt or truncated safetensors file ({exc})") from None
    return tensors, metadata


def read_header(path: Path, data: bytes, error: type[LstmkitError]) -> dict:
    """The JSON header of safetensors bytes, or ``error`` naming ``path``."""
    if len(data) < 8:
        raise error(f"{path}: truncated file ({len(data)} bytes), not a safetensors file")
    (size,) = struct.unpack("<Q", data[:8])
    if size > MAX_HEADER_BYTES:
        raise error(f"{path}: corrupt safetensors file (header says {size} bytes, more than "
                    f"the {MAX_HEADER_BYTES} a safetensors header may have)")
    if size > len(data) - 8:
        raise error(f"{path}: corrupt or truncated safetensors file (header says "
                    f"{size} bytes, file has {len(data) - 8})")
    try:
        header = json.loads(data[8:8 + size])
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise error(f"{path}: corrupt safetensors file (unreadable header)") from None
    if not isinstance(header, dict):
        raise error(f"{path}: corrupt safetensors file (header is not a JSON object)")
    return header

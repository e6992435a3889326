"""Training checkpoints: everything needed to resume a run exactly, in one safetensors file.

A checkpoint holds the model, optimizer and scheduler states, every RNG state, the data
position (epoch, batch), the carried hidden state of truncated BPTT, the early-stopping
bookkeeping and the run's config. Tensors are stored as safetensors; the rest is JSON in
the file's metadata. Files are written atomically (see :func:`lstmkit.io.atomic_write`), so a crash
during a write leaves the previous checkpoint intact; nothing is ever unpickled.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import Tensor

from ..errors import CheckpointError
from .safetensors_io import read_tensors, write_tensors
from .state_codec import decode_state, encode_state

CHECKPOINT_FORMAT = "lstmkit-checkpoint"
CHECKPOINT_VERSION = 1
MODEL_PREFIX = "model/"


@dataclass
class Checkpoint:
    """The complete state of a training run at a step boundary.

    Attributes:
        model: the model's ``state_dict()``.
        optimizer: the optimizer's ``state_dict()``.
        scheduler: the LR scheduler's ``state_dict()``, or None.
        rng: generator states from :func:`~lstmkit.training.seeding.capture_rng`.
        progress: JSON-able position and bookkeeping (epoch, batch, step, best metric,
            history, ...), owned by the :class:`~lstmkit.training.Trainer`.
        config: the run's resolved config, as a JSON-able dict.
        carried_state: the hidden state carried across batches (truncated BPTT), or None.
        extra: JSON-able values for other components (e.g. the tracking run id).
    """

    model: dict[str, Tensor]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any] | None
    rng: dict[str, Any]
    progress: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)
    carried_state: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def save_checkpoint(path: str | os.PathLike, checkpoint: Checkpoint) -> Path:
    """Atomically write ``checkpoint`` to ``path`` (parent directories are created).

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {MODEL_PREFIX + k: v for k, v in checkpoint.model.items()}
    body = {
        "optimizer": encode_state(checkpoint.optimizer, "optimizer", tensors),
        "scheduler": encode_state(checkpoint.scheduler, "scheduler", tensors),
        "rng": encode_state(checkpoint.rng, "rng", tensors),
        "carried_state": encode_state(checkpoint.carried_state, "carried_state", tensors),
        "progress": checkpoint.progress,
        "config": checkpoint.config,
        "extra": checkpoint.extra,
    }
    metadata = {"format": CHECKPOINT_FORMAT, "version": str(CHECKPOINT_VERSION),
                "state": json.dumps(body)}
    write_tensors(path, tensors, metadata)
    return path


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises:
        CheckpointError: naming the file, if it is missing, corrupt, truncated, a pickle,
            not a checkpoint, or from a newer lstmkit.
    """
    tensors, metadata = read_tensors(path, CheckpointError)
    if metadata.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not an lstmkit checkpoint (no '{CHECKPOINT_FORMAT}' "
                              "format tag)")
    version = metadata.get("version", "0")
    if not version.isdigit():
        raise CheckpointError(f"{path}: corrupt checkpoint (format version {version!r} is "
                              "not a number)")
    if int(version) > CHECKPOINT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format version {version} is newer than "
                              f"this lstmkit reads ({CHECKPOINT_VERSION}); upgrade lstmkit")
    try:
        body = json.loads(metadata["state"])
        if not isinstance(body, dict) or not all(
                isinstance(body[k], dict) for k in ("progress", "config", "extra")):
            raise TypeError("expected a JSON object with progress, config and extra objects")
        return Checkpoint(
            model={k[len(MODEL_PREFIX):]: v for k, v in tensors.items()
                   if k.startswith(MODEL_PREFIX)},
            optimizer=decode_state(body["optimizer"], tensors),
            scheduler=decode_state(body["scheduler"], tensors),
            rng=decode_state(body["rng"], tensors),
            carried_state=decode_state(body["carried_state"], tensors),
            progress=body["progress"], config=body["config"], extra=body["extra"])
    except (KeyError, TypeError, ValueError, RecursionError) as exc:
        raise CheckpointError(f"{path}: corrupt checkpoint state ({exc!r})") from None


def member_dir(checkpoint_dir: str | os.PathLike | None, k: int) -> Path | None:
    """Ensemble member ``k``'s checkpoint folder: ``checkpoint_dir`` itself for the first
    member (where a resumed run and the experiment runner look), ``member-k`` below it
    for the others; None without a ``checkpoint_dir``.

    Example:
        >>> str(member_dir("ckpt", 0)), str(member_dir("ckpt", 2)), member_dir(None, 1)
        ('ckpt', 'ckpt/member-2', None)
    """
    if checkpoint_dir is None:
        return None
    return Path(checkpoint_dir) if k == 0 else Path(checkpoint_dir) / f"member-{k}"

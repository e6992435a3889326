"""``TrainConfig``: the trainer's hyper-parameters, the ``[train]`` table of an experiment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from ..settings import (
    Count,
    Flag,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    Settings,
)


@dataclass(frozen=True)
class TrainConfig(Settings):
    """How to train: optimisation, schedule, safety nets and checkpointing.

    Attributes:
        epochs: passes over the training batches.
        lr: peak learning rate.
        optimizer: ``"adamw"`` (default), ``"adam"`` or ``"sgd"`` (momentum 0.9).
        weight_decay: decoupled weight decay (AdamW) or L2 penalty (Adam, SGD).
        schedule: learning-rate schedule per step after warm-up: ``"constant"``,
            ``"linear"`` (decay to 0) or ``"cosine"`` (decay to 0).
        warmup_steps: steps of linear warm-up from 0 to ``lr``.
        grad_clip: maximum global gradient norm; 0 disables clipping.
        early_stopping: stop after this many epochs without improvement of
            ``monitor``; 0 disables early stopping.
        monitor: the epoch metric that decides the best checkpoint and early stopping
            (``"val_loss"`` falls back to ``"train_loss"`` when there is no validation).
        monitor_mode: ``"min"`` or ``"max"``: whether lower or higher is better.
        restore_best: after training, load the weights of the best epoch.
        seed: seeds every generator; the data order of an epoch depends only on
            ``(seed, epoch)``.
        bf16: run the forward pass under bfloat16 autocast on the CPU.
        tbptt: truncated backpropagation through time: carry the recurrent state from
            one batch to the next within an epoch (detached), for long streams.
        checkpoint_every: also write the ``last`` checkpoint every this many steps; 0
            writes it at the end of each epoch only.
        max_nonfinite: stop after this many consecutive steps with a non-finite loss or
            gradient (each such step is skipped and reported).
    """

    label: ClassVar[str] = "[train]"

    epochs: Count = 10
    lr: PositiveFloat = 1e-3
    optimizer: Literal["adamw", "adam", "sgd"] = "adamw"
    weight_decay: NonNegativeFloat = 0.01
    schedule: Literal["constant", "linear", "cosine"] = "constant"
    warmup_steps: NonNegativeInt = 0
    grad_clip: NonNegativeFloat = 1.0
    early_stopping: NonNegativeInt = 0
    monitor: str = "val_loss"
    monitor_mode: Literal["min", "max"] = "min"
    restore_best: Flag = True
    seed: NonNegativeInt = 0
    bf16: Flag = False
    tbptt: Flag = False
    checkpoint_every: NonNegativeInt = 0
    max_nonfinite: Count = 10

"""``TrainConfig``: the trainer's hyper-parameters, the ``[train]`` table of an experiment."""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..errors import ConfigError
from ..ranges import check_choice, check_count, check_real

OPTIMIZERS = ("adamw", "adam", "sgd")
SCHEDULES = ("constant", "linear", "cosine")
OWNER = "[train]"
POSITIVE = ("epochs", "max_nonfinite", "lr")
"""Fields that must be > 0; every other number must be finite and >= 0."""


@dataclass(frozen=True)
class TrainConfig:
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

    epochs: int = 10
    lr: float = 1e-3
    optimizer: str = "adamw"
    weight_decay: float = 0.01
    schedule: str = "constant"
    warmup_steps: int = 0
    grad_clip: float = 1.0
    early_stopping: int = 0
    monitor: str = "val_loss"
    monitor_mode: str = "min"
    restore_best: bool = True
    seed: int = 0
    bf16: bool = False
    tbptt: bool = False
    checkpoint_every: int = 0
    max_nonfinite: int = 10

    def __post_init__(self) -> None:
        for name, choices in (("optimizer", OPTIMIZERS), ("schedule", SCHEDULES),
                              ("monitor_mode", ("min", "max"))):
            check_choice(OWNER, name, getattr(self, name), choices)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "int":
                check_count(OWNER, f.name, value, 1 if f.name in POSITIVE else 0)
            elif f.type == "float":
                check_real(OWNER, f.name, value, low=0.0, low_open=f.name in POSITIVE)
            elif f.type == "bool" and not isinstance(value, bool):
                raise ConfigError(f"{OWNER} {f.name} must be true or false, got {value!r}")

"""Training for a fixed wall-clock time (``--minutes N``) with the standard Trainer.

:class:`TimeBudget` is a :class:`~lstmkit.training.Callback` plus a batch-source
wrapper: the wrapped source stops yielding batches once the time is up, which ends
the epoch (validation and checkpoint run as usual), and the callback then stops
training. It also anneals the learning rate along the elapsed *time*, since the number
of steps that fit in the budget is not known in advance.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from .batches import BatchSource
from .callbacks import Callback
from .config import TrainConfig


class TimeBudget(Callback):
    """Stop training after ``minutes`` of wall-clock time and decay the learning rate
    over that time.

    Args:
        minutes: the training time; validation at the end comes on top.
        schedule: ``"cosine"`` (decay to 0 at the deadline) or ``"constant"``.
        warmup_fraction: fraction of the time spent warming the rate up linearly.

    Use :meth:`wrap` on the training batches and pass the budget as a callback;
    configure the Trainer with ``schedule="constant"`` and enough epochs to fill the time.
    """

    def __init__(self, minutes: float, *, schedule: str = "cosine",
                 warmup_fraction: float = 0.02) -> None:
        if not minutes > 0:
            raise ValueError(f"TimeBudget: expected minutes > 0, got {minutes}")
        if schedule not in ("cosine", "constant"):
            raise ValueError(f"TimeBudget: schedule must be cosine or constant, got {schedule!r}")
        self.seconds, self.schedule, self.warmup = 60.0 * minutes, schedule, warmup_fraction
        self.start: float | None = None

    @classmethod
    def apply(cls, minutes: float, config: TrainConfig, batches: BatchSource,
              callbacks: Sequence[Callback]
              ) -> tuple[TrainConfig, BatchSource, tuple[Callback, ...]]:
        """``config``, ``batches`` and ``callbacks`` set up to train for ``minutes``: the
        budget decides when to stop (no early stopping, as many epochs as fit) and
        decays the rate along ``config.schedule`` to 0 at the deadline, since the last
        epochs at a low rate often gain after a plateau."""
        budget = cls(minutes, schedule=config.schedule)
        config = replace(config, epochs=10_000, schedule="constant", warmup_steps=0,
                         early_stopping=0)
        return config, budget.wrap(batches), (budget, *callbacks)

    def wrap(self, batches: BatchSource) -> BatchSource:
        """``batches``, cut short when the time is up."""
        return _Deadline(batches, self)

    @property
    def fraction(self) -> float:
        """Elapsed share of the budget (0 before training starts)."""
        return 0.0 if self.start is None else (time.monotonic() - self.start) / self.seconds

    @property
    def expired(self) -> bool:
        """Whether the time is up."""
        return self.fraction >= 1.0

    def on_fit_start(self, trainer: Any) -> None:
        """Start the clock."""
        self.start = time.monotonic()

    def on_step_end(self, trainer: Any, loss: float) -> None:
        """Set the learning rate of the next step from the elapsed time."""
        factor = self.lr_factor(min(self.fraction, 1.0))
        for group in trainer.optimizer.param_groups:
            group["lr"] = group.get("initial_lr", group["lr"]) * factor

    def on_epoch_end(self, trainer: Any, metrics: dict[str, float]) -> None:
        """Stop training once the time is up."""
        if self.expired:
            trainer.stopped_early = True

    def lr_factor(self, fraction: float) -> float:
        """The multiplier of the peak rate at ``fraction`` of the time.

        Example:
            >>> budget = TimeBudget(1.0, warmup_fraction=0.0)
            >>> budget.lr_factor(0.0), budget.lr_factor(0.5), round(budget.lr_factor(1.0), 6)
            (1.0, 0.5, 0.0)
        """
        if fraction < self.warmup:
            return (fraction + 1e-3) / self.warmup
        if self.schedule == "constant":
            return 1.0
        progress = (fraction - self.warmup) / max(1e-9, 1.0 - self.warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


class _Deadline:
    """A batch source that ends each epoch early once its budget has expired."""

    def __init__(self, batches: BatchSource, budget: TimeBudget) -> None:
        self.batches, self.budget = batches, budget

    def __len__(self) -> int:
        return len(self.batches)

    def epoch(self, epoch: int, seed: int, start: int = 0) -> Iterator[Any]:
        for batch in self.batches.epoch(epoch, seed, start):
            if self.budget.expired:
                return
            yield batch

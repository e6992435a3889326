"""The trainer callback that ties one training run to one Optuna trial.

:class:`TrialReporter` reports the swept metric after every epoch (the pruner's input),
prunes the trial when the pruner says so (asked only at the epochs where it may prune:
each question reads the running trial back from the storage), and ends the task once
its network is trained: a trial is scored on validation only, so the task never reaches
its test part (the best settings are evaluated on test once, after the sweep).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ...errors import ConfigError
from ..callbacks import Callback
from .pruning import may_prune

if TYPE_CHECKING:
    from ..trainer import Trainer


class TrialFinished(Exception):
    """Raised when the trial's network is trained, to stop the task before it evaluates
    on its test part. Caught by the sweep's objective."""


class TrialReporter(Callback):
    """Reports ``metric`` to ``trial`` each epoch; prunes; stops the task after training.

    A task that trains several networks (a forecasting ensemble) is stopped after the
    first: the trial's score is that network's.

    Args:
        trial: an ``optuna.Trial``.
        metric: the epoch metric (``val_loss``, ``val_bpc``, ...).
        direction: ``"minimize"`` or ``"maximize"``.

    Attributes:
        values: the metric of each epoch so far.
    """

    def __init__(self, trial: Any, metric: str, direction: str) -> None:
        self.trial, self.metric, self.direction = trial, metric, direction
        self.values: list[float] = []
        self.pruned = False

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        """Report the epoch's metric; raise ``optuna.TrialPruned`` if the pruner says so."""
        import optuna

        if self.metric not in metrics:
            raise ConfigError(f"[sweep] metric {self.metric!r} is not an epoch metric of "
                              f"this task; available: {', '.join(sorted(metrics))}")
        value = float(metrics[self.metric])
        self.values.append(value)
        if not math.isfinite(value):
            return
        step = len(self.values) - 1
        self.trial.report(value, step)
        if may_prune(self.trial.study.pruner, step) and self._should_prune():
            self.pruned = True
            raise optuna.TrialPruned(f"pruned after epoch {len(self.values)}: "
                                     f"{self.metric} {value:.4g}")

    def _should_prune(self) -> bool:
        return self.trial.should_prune()

    def on_fit_end(self, trainer: Trainer) -> None:
        """Stop the task (raise :class:`TrialFinished`) when training ran to its end."""
        if not self.pruned and (trainer.stopped_early
                                or trainer.epoch >= trainer.config.epochs):
            raise TrialFinished

    def best(self) -> float:
        """The best finite value over the epochs (the epoch ``restore_best`` keeps when
        ``metric`` is the monitored one); NaN if there is none."""
        finite = [v for v in self.values if math.isfinite(v)]
        if not finite:
            return math.nan
        return min(finite) if self.direction == "minimize" else max(finite)

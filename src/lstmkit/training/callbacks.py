"""Trainer callbacks: hooks called at fixed points of :meth:`Trainer.fit`, and the
built-in progress bar.

Subclass :class:`Callback` and override the hooks you need; each receives the trainer,
whose ``step``, ``epoch``, ``history_`` and ``config`` are readable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

if TYPE_CHECKING:
    from pathlib import Path

    from .trainer import Trainer


class Callback:
    """Base class: every hook does nothing."""

    def on_fit_start(self, trainer: Trainer) -> None:
        """Before the first step (also when resuming)."""

    def on_step_end(self, trainer: Trainer, loss: float) -> None:
        """After each optimisation step (``loss`` is NaN/inf for a skipped step)."""

    def on_nonfinite(self, trainer: Trainer, message: str) -> None:
        """When a step is skipped because its loss or gradients are not finite."""

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        """After each epoch, with that epoch's metrics (``train_loss``, ``val_loss``...)."""

    def on_checkpoint(self, trainer: Trainer, path: Path) -> None:
        """After a checkpoint file was written."""

    def on_fit_end(self, trainer: Trainer) -> None:
        """After training ends, normally or not."""


class StopAtEpoch(Callback):
    """Ends training after ``epochs`` epochs while the learning-rate schedule keeps the
    length of ``TrainConfig.epochs`` (to repeat a run's schedule up to a chosen epoch;
    a smaller ``epochs`` in the config would compress the schedule instead).

    Args:
        epochs: epochs to train.
    """

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        """Stop once ``epochs`` epochs are done."""
        if trainer.epoch >= self.epochs:
            trainer.stopped_early = True


class RateColumn(ProgressColumn):
    """Steps per second."""

    def render(self, task: Task) -> Text:
        """The rate of ``task``, or ``?`` before there is one."""
        speed = task.finished_speed or task.speed
        return Text("? step/s" if speed is None else f"{speed:.1f} step/s")


class ProgressBar(Callback):
    """A rich progress bar: epoch, step, loss, throughput and ETA.

    Shows nothing when the console is not a terminal (CI logs, pipes).

    Args:
        console: where to draw; a new ``rich.console.Console()`` by default.
    """

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.progress: Progress | None = None
        self.task: Any = None

    def on_fit_start(self, trainer: Trainer) -> None:
        """Start the bar at the trainer's current step (non-zero when resuming)."""
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"), RateColumn(), TimeRemainingColumn(),
            console=self.console, disable=not self.console.is_terminal, transient=False)
        self.progress.start()
        self.task = self.progress.add_task(self._describe(trainer), total=trainer.total_steps,
                                           completed=trainer.step, loss="-")

    def on_step_end(self, trainer: Trainer, loss: float) -> None:
        """Advance one step and show the loss."""
        self.progress.update(self.task, advance=1, loss=f"{loss:.4g}",
                             description=self._describe(trainer))

    def on_nonfinite(self, trainer: Trainer, message: str) -> None:
        """Print the skipped step above the bar."""
        if self.console.is_terminal:
            self.console.print(f"[yellow]{message}")

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        """Print the epoch's metrics above the bar."""
        shown = "  ".join(f"{k} {v:.4g}" for k, v in metrics.items() if k != "epoch")
        if self.console.is_terminal:
            self.console.print(f"epoch {metrics['epoch']}: {shown}")

    def on_fit_end(self, trainer: Trainer) -> None:
        """Stop drawing."""
        self.progress.stop()

    @staticmethod
    def _describe(trainer: Trainer) -> str:
        return f"epoch {min(trainer.epoch + 1, trainer.config.epochs)}/{trainer.config.epochs}"

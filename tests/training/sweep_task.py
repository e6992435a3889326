"""A synthetic task for sweep tests: its validation loss is a known function of one
setting, ``(x - 3)^2 + 1 / epoch``, so the best setting (``x = 3``) is known and a bad
setting is visibly bad from the first epoch. Training is a one-weight model on two
batches: each trial takes milliseconds.

``LSTMKIT_TEST_KILL_AFTER=N`` makes the process kill itself (SIGKILL, as ``kill -9``)
during the (N+1)-th trial, after its first epoch.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from typing import ClassVar

import torch

from lstmkit.settings import Settings
from lstmkit.tasks.registry import TaskResult, TaskRun, register_task
from lstmkit.training import Trainer, supervised_step

CALLS = {"runs": 0}


@dataclass(frozen=True)
class QuadraticSettings(Settings):
    """Settings of the synthetic task.

    Attributes:
        x: the setting the loss depends on; best at 3.
        width: a second setting the loss does not depend on.
    """

    label: ClassVar[str] = "[task]"

    x: float = 0.0
    width: int = 1


def run_quadratic(run: TaskRun) -> TaskResult:
    """Train a one-weight model; the validation loss is synthetic."""
    CALLS["runs"] += 1
    kill_after = int(os.environ.get("LSTMKIT_TEST_KILL_AFTER", "-1"))
    epochs = {"n": 0}

    def evaluate(model, batches):
        epochs["n"] += 1
        if CALLS["runs"] == kill_after + 1 and epochs["n"] == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return {"val_loss": (run.options.x - 3.0) ** 2 + 1.0 / epochs["n"]}

    data = [(torch.ones(2, 1), torch.ones(2, 1))] * 2
    trainer = Trainer(torch.nn.Linear(1, 1), supervised_step(torch.nn.functional.mse_loss),
                      run.train, checkpoint_dir=run.checkpoint_dir, callbacks=run.callbacks,
                      evaluate_fn=evaluate, run_config=run.run_config, progress=False)
    trainer.fit(data, data)
    return TaskResult({"test_loss": (run.options.x - 3.0) ** 2}, None, trainer.history_)


def register() -> None:
    """Register the task as ``quadratic-test``."""
    register_task("quadratic-test", run_quadratic, options=QuadraticSettings,
                  description="synthetic task for the sweep tests")


def experiment(x_range: dict, *, epochs: int = 4, **sweep) -> dict:
    """The tables of a sweep over the synthetic task."""
    return {"experiment": {"task": "quadratic-test", "name": "quad"},
            "train": {"epochs": epochs},
            "sweep": {"startup_trials": 2, "warmup_epochs": 0, **sweep,
                      "task": {"x": x_range}}}

"""The task registry: what ``lstmkit train CONFIG`` can run.

A task registers a name, a frozen dataclass for its ``[task]`` table, and a ``run``
function. ``run`` receives a :class:`TaskRun` (options, train config, dataset, run
directory, tracker, callbacks) and returns a :class:`TaskResult`; the experiment runner
does the rest (config checking, tracking, artifacts). Registering a task::

    register_task("forecast", run_forecast, options=ForecastOptions,
                  description="Forecast a time series column")

Built-in tasks live in the modules of :data:`BUILTIN_TASK_MODULES`, imported on the
first lookup; a new built-in task adds its module there.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..data.registry import DatasetRef
from ..errors import ConfigError
from ..training.callbacks import Callback
from ..training.config import TrainConfig
from ..training.tracking import NullTracker

BUILTIN_TASK_MODULES = ("lstmkit.tasks.adding.task", "lstmkit.tasks.text.task",
                        "lstmkit.tasks.forecasting.task", "lstmkit.tasks.anomaly.task",
                        "lstmkit.tasks.classification.task", "lstmkit.tasks.tagging.task")


@dataclass(frozen=True)
class TaskRun:
    """Everything a task's ``run`` needs.

    Attributes:
        options: the task's ``[task]`` table, as its options dataclass.
        train: the ``[train]`` table.
        data: the resolved ``experiment.data`` dataset, or None.
        run_dir: this run's directory; checkpoints go in ``run_dir / "checkpoints"``,
            the saved model in ``run_dir / "model"``.
        resume: continue from ``run_dir / "checkpoints" / "last.safetensors"``.
        tracker: log datasets the task makes itself (``tracker.log_dataset``).
        callbacks: pass these to the :class:`~lstmkit.training.Trainer`.
        run_config: the resolved experiment config; pass it as the Trainer's run_config.
        progress: whether to show a progress bar.
        checkpoints: False trains in memory, writing no checkpoint (a sweep's trials:
            an interrupted trial is re-run, never resumed, so its checkpoints are waste).
    """

    options: Any
    train: TrainConfig
    data: DatasetRef | None
    run_dir: Path
    resume: bool
    tracker: NullTracker
    callbacks: list[Callback]
    run_config: dict[str, Any]
    progress: bool = True
    checkpoints: bool = True

    @property
    def checkpoint_dir(self) -> Path | None:
        """``run_dir / "checkpoints"``; None when ``checkpoints`` is False."""
        return self.run_dir / "checkpoints" if self.checkpoints else None

    @property
    def model_dir(self) -> Path:
        """``run_dir / "model"``."""
        return self.run_dir / "model"


@dataclass(frozen=True)
class TaskResult:
    """What a task's ``run`` returns.

    Attributes:
        metrics: final metrics (e.g. ``test_mse``), logged at the end of the run.
        model_dir: the saved model directory, logged as an artifact.
        history: the trainer's per-epoch metrics (for the loss-curve plot).
    """

    metrics: dict[str, float]
    model_dir: Path | None = None
    history: list[dict[str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class TaskSpec:
    """A registered task."""

    name: str
    run: Callable[[TaskRun], TaskResult]
    options: type
    description: str = ""
    uses_data: bool = False
    estimator: type | None = None


_TASKS: dict[str, TaskSpec] = {}


def register_task(name: str, run: Callable[[TaskRun], TaskResult], *, options: type,
                  description: str = "", uses_data: bool = False,
                  estimator: type | None = None) -> TaskSpec:
    """Make ``lstmkit train`` able to run ``name``.

    Args:
        name: the ``experiment.task`` value.
        run: trains, evaluates and saves; see :class:`TaskRun` and :class:`TaskResult`.
        options: a frozen dataclass for the ``[task]`` table (defaults for every field
            that may be omitted).
        description: one line for ``lstmkit train --help``.
        uses_data: whether the task reads ``experiment.data`` (else giving one is an error).
        estimator: the task's :class:`~lstmkit.tasks.base.Estimator` subclass; the
            contract tests run over every registered one.
    """
    if name in _TASKS and _TASKS[name].run is not run:
        raise ValueError(f"register_task: a task named {name!r} is already registered")
    _TASKS[name] = TaskSpec(name, run, options, description, uses_data, estimator)
    return _TASKS[name]


def task_specs() -> dict[str, TaskSpec]:
    """Every registered task (built-in tasks are loaded first)."""
    for module in BUILTIN_TASK_MODULES:
        importlib.import_module(module)
    return dict(_TASKS)


def get_task(name: str) -> TaskSpec:
    """The task called ``name``; ConfigError listing the known ones otherwise."""
    specs = task_specs()
    if name not in specs:
        raise ConfigError(f"unknown task {name!r} in [experiment] task; known tasks: "
                          f"{', '.join(sorted(specs))}")
    return specs[name]


def estimator_from_settings(cls: type, run: Any) -> Any:
    """An unfitted ``cls`` (an :class:`~lstmkit.tasks.base.Estimator`) with the fields
    of the ``[task]`` table (``run.options``) that are its settings, the ``[train]``
    table (``run.train``) and the progress setting (``run.progress``, if any); the other
    fields of the table (how the task splits its data) are the task's own. ``run`` is
    a :class:`TaskRun` or an :class:`~lstmkit.experiments.Experiment`."""
    names = [f.name for f in fields(cls.settings_class)]
    return cls(**{n: getattr(run.options, n) for n in names}, train=run.train,
               progress=getattr(run, "progress", False))

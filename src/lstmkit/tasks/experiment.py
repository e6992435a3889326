"""Experiments: an experiment file in, a trained, evaluated, tracked model out.

An experiment file has three tables::

    [experiment]            # ExperimentConfig: task, name, data, ...
    task = "adding"
    [train]                 # TrainConfig
    epochs = 5
    [task]                  # the task's own options dataclass
    seq_len = 50

:func:`load_experiment` checks every key (with ``--section.key=value`` overrides);
:func:`run_experiment` resolves the dataset, starts tracking, runs the task and logs
params, metrics, dataset, system info and artifacts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import apply_overrides, build_dataclass, load_config_file, to_dict
from ..data.registry import resolve
from ..errors import ConfigError
from ..training.checkpoint import load_checkpoint
from ..training.config import TrainConfig
from ..training.safetensors_io import atomic_write
from ..training.tracking import TrackingCallback, make_tracker
from .registry import TaskResult, TaskRun, TaskSpec, get_task

SECTIONS = ("experiment", "train", "task")


@dataclass(frozen=True)
class ExperimentConfig:
    """The ``[experiment]`` table.

    Attributes:
        task: a registered task (``lstmkit train --help`` lists them).
        name: the run's name (default: the task's); also its directory name.
        data: a dataset path or registered name, for tasks that read data.
        tracking_experiment: the MLflow experiment the run is filed under.
        output_dir: runs go in ``output_dir/name/`` (checkpoints, model, config.json).
    """

    task: str
    name: str = ""
    data: str = ""
    tracking_experiment: str = "lstmkit"
    output_dir: str = "lstmkit-runs/outputs"


@dataclass(frozen=True)
class Experiment:
    """A checked experiment: every table as its dataclass, plus the resolved dict."""

    experiment: ExperimentConfig
    train: TrainConfig
    task: TaskSpec
    options: Any
    resolved: dict[str, Any]

    @property
    def run_dir(self) -> Path:
        """``output_dir / name``."""
        return Path(self.experiment.output_dir) / self.experiment.name


@dataclass(frozen=True)
class RunRecord:
    """What :func:`run_experiment` did: where things are and the final metrics."""

    run_dir: Path
    result: TaskResult
    tracking_run_id: str | None


def load_experiment(path: str | Path, overrides: list[str] = (), *,
                    data: str | None = None) -> Experiment:
    """Read, override and check an experiment file.

    Args:
        path: a ``.toml``, ``.yaml`` or ``.yml`` file.
        overrides: ``--section.key=value`` strings, applied in order.
        data: if given, replaces ``[experiment] data`` (a path or registered name).

    Raises:
        ConfigError: naming the file, table and key at fault (unknown keys list the
            valid ones).
    """
    raw = apply_overrides(load_config_file(path), list(overrides))
    if data is not None:
        raw.setdefault("experiment", {})["data"] = data
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ConfigError(f"{path}: unknown table{'s' * (len(unknown) > 1)} "
                          f"{', '.join(unknown)}; valid tables: {', '.join(SECTIONS)}")
    experiment = build_dataclass(ExperimentConfig, raw.get("experiment"), "[experiment]")
    spec = get_task(experiment.task)
    if not experiment.name:
        experiment = ExperimentConfig(**{**to_dict(experiment), "name": spec.name})
    train = build_dataclass(TrainConfig, raw.get("train"), "[train]")
    options = build_dataclass(spec.options, raw.get("task"), f"[task] (task {spec.name!r})")
    resolved = {"experiment": to_dict(experiment), "train": to_dict(train),
                "task": to_dict(options)}
    return Experiment(experiment, train, spec, options, resolved)


def run_experiment(exp: Experiment, *, resume: bool = False, tracking: bool = True,
                   tracking_uri: str | None = None, progress: bool = True) -> RunRecord:
    """Run a checked experiment end to end; see the module docstring."""
    data = check_data(exp)
    run_dir = exp.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(run_dir / "config.json", json.dumps(exp.resolved, indent=2).encode())
    tracker = make_tracker(tracking, tracking_uri, experiment=exp.experiment.tracking_experiment,
                           run_name=exp.experiment.name,
                           run_id=previous_run_id(run_dir) if resume else None)
    with tracker:
        tracker.log_params(exp.resolved)
        if data is not None:
            tracker.log_dataset(data)
        result = exp.task.run(TaskRun(
            options=exp.options, train=exp.train, data=data, run_dir=run_dir, resume=resume,
            tracker=tracker, callbacks=[TrackingCallback(tracker)], run_config=exp.resolved,
            progress=progress))
        tracker.log_metrics(result.metrics, step=len(result.history))
        log_artifacts(tracker, run_dir, result)
    return RunRecord(run_dir, result, tracker.run_id)


def check_data(exp: Experiment):
    """The resolved ``experiment.data``, checked against what the task accepts."""
    name = exp.experiment.data
    if name and not exp.task.uses_data:
        raise ConfigError(f"task {exp.task.name!r} makes its own data; remove "
                          f"[experiment] data ({name!r}) / --data")
    if exp.task.uses_data and not name:
        raise ConfigError(f"task {exp.task.name!r} needs data: set [experiment] data or "
                          "pass --data PATH_OR_NAME")
    return resolve(name) if name else None


def previous_run_id(run_dir: Path) -> str | None:
    """The tracking run id stored in the run's last checkpoint, if any."""
    last = run_dir / "checkpoints" / "last.safetensors"
    return load_checkpoint(last).extra.get("tracking_run_id") if last.exists() else None


def log_artifacts(tracker, run_dir: Path, result: TaskResult) -> None:
    """The resolved config, the loss-curve plot and the saved model."""
    tracker.log_artifact(run_dir / "config.json")
    if result.history and tracker.run_id:
        from ..viz.curves import plot_history

        tracker.log_artifact(plot_history(result.history, run_dir / "loss_curve.png"))
    if result.model_dir is not None:
        tracker.log_artifact(result.model_dir, "model")

"""Experiments: an experiment file in, a trained, evaluated, tracked model out.

An experiment file has three tables (and ``[sweep]``, the search space of ``lstmkit sweep``,
see :mod:`lstmkit.training.sweeps.space`)::

    [experiment]            # ExperimentConfig: task, name, data, ...
    task = "adding"
    [train]                 # TrainConfig
    epochs = 5
    [task]                  # the task's own options dataclass
    seq_len = 50

:func:`load_experiment` checks every key (with ``--section.key=value`` overrides);
:func:`run_experiment` resolves the dataset, starts tracking, runs the task and logs
params, metrics, dataset, system info and artifacts. The run directory
``output_dir/name`` follows lstmkit's output-directory policy (:mod:`lstmkit.io`): the run
is written in staging and swapped in whole once complete; a directory lstmkit did not
write is replaced only with ``overwrite``.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from .config import apply_overrides, load_config_file
from .data.registry import resolve
from .errors import ConfigError
from .io import SIMPLE_NAME_RULE, atomic_write, check_output_dir, is_simple_name, staged_output
from .io.output_dirs import STAGING
from .settings import Settings, build_settings, to_dict
from .tasks.registry import TaskResult, TaskRun, TaskSpec, get_task
from .training.checkpoint import load_checkpoint
from .training.config import TrainConfig
from .training.distributed import barrier, init_from_env, is_main_process, world
from .training.sweeps import SweepSettings, parse_sweep
from .training.tracking import (
    NullTracker,
    TrackingCallback,
    default_tracking_uri,
    make_tracker,
)
from .training.tracking_store import check_tracking_uri

SECTIONS = ("experiment", "train", "task", "sweep")


@dataclass(frozen=True)
class ExperimentConfig(Settings):
    """The ``[experiment]`` table.

    Attributes:
        task: a registered task (``lstmkit train --help`` lists them).
        name: the run's name (default: the task's); also its directory name, so a
            simple name (:func:`lstmkit.io.is_simple_name`, the rule of ``data add``).
        data: a dataset path or registered name, for tasks that read data.
        tracking_experiment: the MLflow experiment the run is filed under.
        output_dir: runs go in ``output_dir/name/`` (checkpoints, model, config.json);
            in an experiment file a relative path without ``..`` (under the working
            directory, where ``lstmkit-runs/`` is).
    """

    label: ClassVar[str] = "[experiment]"

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
    sweep: SweepSettings | None = None

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
            valid ones, an unsafe ``name`` or ``output_dir`` says why).
    """
    raw = apply_overrides(load_config_file(path), list(overrides))
    if data is not None:
        raw.setdefault("experiment", {})["data"] = data
    return assemble(raw, source=str(path))


def assemble(raw: dict[str, Any], *, source: str, check_location: bool = True,
             train_defaults: dict[str, Any] | None = None) -> Experiment:
    """The one way an experiment is made, from a file or from a command's options: check
    every table and key of ``raw`` (``{"experiment": ..., "train": ..., "task": ...}``).

    Args:
        raw: the tables.
        source: where they came from, for messages (a file, ``"lstmkit forecast"``).
        check_location: refuse an unsafe ``name``/``output_dir`` (off when a command
            checked its ``--out`` itself).
        train_defaults: the task's training defaults under ``raw["train"]`` (default:
            the task estimator's :meth:`default_train_config`).

    Raises:
        ConfigError: naming the table and key at fault.
    """
    unknown = sorted(set(raw) - set(SECTIONS))
    if unknown:
        raise ConfigError(f"{source}: unknown table{'s' * (len(unknown) > 1)} "
                          f"{', '.join(unknown)}; valid tables: {', '.join(SECTIONS)}")
    experiment = build_settings(ExperimentConfig, raw.get("experiment"), "[experiment]")
    spec = get_task(experiment.task)
    if not experiment.name:
        experiment = ExperimentConfig(**{**to_dict(experiment), "name": spec.name})
    if check_location:
        check_run_location(experiment, source)
    if train_defaults is None and spec.estimator is not None:
        train_defaults = to_dict(spec.estimator.default_train_config())
    table = raw.get("train")
    if isinstance(table, dict) or table is None:
        table = {**(train_defaults or {}), **(table or {})}
    train = build_settings(TrainConfig, table, "[train]")
    options = build_settings(spec.options, raw.get("task"), "[task]")
    resolved = {"experiment": to_dict(experiment), "train": to_dict(train),
                "task": to_dict(options)}
    sweep = None if raw.get("sweep") is None else parse_sweep(
        raw["sweep"], valid={"train": list(resolved["train"]), "task": list(resolved["task"])},
        monitor=train.monitor, monitor_mode=train.monitor_mode, seed=train.seed)
    return Experiment(experiment, train, spec, options, resolved, sweep)


def check_run_location(experiment: ExperimentConfig, path: str | Path) -> None:
    """Refuse an experiment file's ``name`` that is not a simple name and an
    ``output_dir`` that is absolute or climbs out with ``..``.

    Raises:
        ConfigError: naming the file and the key.
    """
    name, output_dir = experiment.name, Path(experiment.output_dir)
    if not is_simple_name(name):
        raise ConfigError(f"{path}: [experiment] name {name!r} is not a simple name; use "
                          f"{SIMPLE_NAME_RULE} (it becomes a directory name)")
    if output_dir.is_absolute() or output_dir.drive or ".." in output_dir.parts:
        raise ConfigError(f"{path}: [experiment] output_dir {experiment.output_dir!r} must "
                          "be a relative path without '..' (runs stay under the working "
                          "directory, e.g. 'lstmkit-runs/outputs')")


def run_experiment(exp: Experiment, *, resume: bool = False, tracking: bool = True,
                   tracking_uri: str | None = None, progress: bool = True,
                   overwrite: bool = False,
                   option: str = "[experiment] output_dir/name") -> RunRecord:
    """Run a checked experiment end to end; see the module docstring.

    Args:
        exp: the checked experiment.
        resume: continue the interrupted (staged) run, or the completed one.
        tracking: record the run (MLflow).
        tracking_uri: where to record it (default: ``$MLFLOW_TRACKING_URI``).
        progress: show progress bars.
        overwrite: allow replacing a non-empty run directory lstmkit did not write.
        option: how the user named the run directory, for error messages.

    Raises:
        ConfigError: the run directory is refused (see :mod:`lstmkit.io`).
    """
    name = exp.experiment.name
    if not name or name in (".", "..") or Path(name).name != name:
        raise ConfigError(f"{option}: the run name {name!r} must be a single directory "
                          "name (no '/', not '.' or '..')")
    if init_from_env() and not is_main_process():  # under torchrun: rank 0 writes
        return follow(exp, resume=resume)
    check_output_dir(exp.run_dir, option=option, overwrite=overwrite)
    data = check_data(exp)
    if tracking:  # an unreachable or malformed store fails before anything is written
        check_tracking_uri(tracking_uri or default_tracking_uri())
    with staged_output(exp.run_dir, option=option, overwrite=overwrite,
                       resume=resume) as staging:
        result, run_id = _run_in(exp, staging, data, resume=resume, tracking=tracking,
                                 tracking_uri=tracking_uri, progress=progress)
    if result.model_dir is not None and Path(result.model_dir).is_relative_to(staging):
        result = replace(result, model_dir=exp.run_dir / Path(result.model_dir).relative_to(
            staging))
    return RunRecord(exp.run_dir, result, run_id)


def _run_in(exp: Experiment, run_dir: Path, data, *, resume: bool, tracking: bool,
            tracking_uri: str | None, progress: bool) -> tuple[TaskResult, str | None]:
    """Run the task with ``run_dir`` as its directory (the staging directory)."""
    config = json.dumps(exp.resolved, indent=2).encode()
    if not resume:  # a refused --resume keeps the staged run's own config
        atomic_write(run_dir / "config.json", config)
    if world()[1] > 1:  # data-parallel: the other ranks read checkpoints from here
        (run_dir / "checkpoints").mkdir(exist_ok=True)
        barrier()
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
        if resume:
            atomic_write(run_dir / "config.json", config)
        tracker.log_metrics(result.metrics, step=len(result.history))
        log_artifacts(tracker, run_dir, result)
    return result, tracker.run_id


def follow(exp: Experiment, *, resume: bool) -> RunRecord:
    """Rank > 0 of a data-parallel ``lstmkit train`` (see
    :mod:`lstmkit.training.distributed`): train this rank's share of every batch and write
    nothing; the task's outputs go to a temporary directory that is removed, and the
    checkpoints are read (on resume) from rank 0's staging directory."""
    data = check_data(exp)
    barrier()  # rank 0 has made its staging directory
    staging = exp.run_dir.resolve().parent / STAGING / exp.run_dir.name
    with tempfile.TemporaryDirectory(prefix="lstmkit-rank-") as scratch:
        (Path(scratch) / "checkpoints").symlink_to(staging / "checkpoints",
                                                   target_is_directory=True)
        result = exp.task.run(TaskRun(
            options=exp.options, train=exp.train, data=data, run_dir=Path(scratch),
            resume=resume, tracker=NullTracker(), callbacks=[], run_config=exp.resolved,
            progress=False))
    return RunRecord(exp.run_dir, replace(result, model_dir=None), None)


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
        from .viz.curves import plot_history

        tracker.log_artifact(plot_history(result.history, run_dir / "loss_curve.png"))
    if result.model_dir is not None:
        tracker.log_artifact(result.model_dir, "model")

"""``lstmkit sweep``: search an experiment's ``[sweep]`` space with Optuna, then evaluate
the best settings once on test.

The parts (search space, storage, the trainer callback, workers, outputs) live in
:mod:`lstmkit.training.sweeps`; this module runs trials of an experiment's task, which
the training layer cannot import. A sweep's directory is ``output_dir/NAME-sweep``::

    study.db | study.journal   the Optuna study (resumable)
    best.yaml                  the best trial's settings, ready for ``lstmkit train``
    trials.csv                 every trial
    *.png                      optimisation history, parameter importances, parallel coords
    best/                      the best settings trained again and scored on test, once

Each trial is a nested MLflow run under one parent run for the study, whose id is kept
in the study (so workers, other machines and ``--resume`` file their trials under it).
"""

from __future__ import annotations

import json
import math
import shutil
import time
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError, TrainingStopped
from .experiments import Experiment, RunRecord, assemble, check_data, run_experiment
from .io import check_output_dir, write_marker
from .tasks.registry import TaskRun
from .training.sweeps import report, storage
from .training.sweeps.progress import SweepProgress
from .training.sweeps.pruning import make_pruner
from .training.sweeps.trial import TrialFinished, TrialReporter
from .training.sweeps.workers import optimize, run_workers
from .training.tracking import TrackingCallback, default_tracking_uri, make_tracker
from .training.tracking_store import check_tracking_uri

PARENT_ATTR = "mlflow_parent_run_id"
PARENT_TAG = "mlflow.parentRunId"


@dataclass(frozen=True)
class SweepRecord:
    """What :func:`run_sweep` did.

    Attributes:
        sweep_dir: the sweep's directory. storage: the study's storage URL.
        study: the Optuna study. best: the best complete trial.
        best_file: the best settings as an experiment file.
        final: the best settings' run, scored on test (None with ``evaluate=False``).
        parent_run_id: the MLflow parent run, or None without tracking.
        metric: the optimised validation metric.
    """

    sweep_dir: Path
    storage: str
    study: Any
    best: Any
    best_file: Path
    final: RunRecord | None
    parent_run_id: str | None
    metric: str = ""


@dataclass(frozen=True)
class SweepJob:
    """What every worker needs (picklable: it goes to spawned processes)."""

    raw: dict[str, Any]
    source: str
    storage: str
    study: str
    trials: int
    deadline: float | None
    tracking: bool
    tracking_uri: str | None
    parent_run_id: str | None
    sweep_dir: Path


def sweep_dir_of(exp: Experiment) -> Path:
    """``output_dir/NAME-sweep``."""
    return Path(exp.experiment.output_dir) / f"{exp.experiment.name}-sweep"


def check_space(raw: dict[str, Any], exp: Experiment, source: str) -> None:
    """Every end of every range (every choice) must be a valid setting of its table.

    Raises:
        ConfigError: naming the ``[sweep.TABLE] KEY`` and the value at fault.
    """
    if exp.sweep is None:
        raise ConfigError(f"{source}: no [sweep] table; add one, e.g. [sweep.train] "
                          "lr = { type = \"log-float\", low = 1e-4, high = 1e-2 }")
    for name, spec in exp.sweep.params.items():
        table, key = name.split(".", 1)
        for value in spec.bounds():
            try:
                assemble(with_settings(raw, {table: {key: value}}), source=source,
                         check_location=False)
            except ConfigError as exc:
                raise ConfigError(f"{source}: [sweep.{table}] {key}: the value {value!r} "
                                  f"is not a valid setting: {exc}") from None


def with_settings(raw: dict[str, Any], tables: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A copy of ``raw`` with ``tables`` merged in and without ``[sweep]``."""
    out = json.loads(json.dumps({k: v for k, v in raw.items() if k != "sweep"}))
    for table, values in tables.items():
        out.setdefault(table, {}).update(values)
    return out


def prepare_sweep_dir(path: Path, *, resume: bool, overwrite: bool,
                      external_storage: bool) -> None:
    """Create the sweep directory; refuse to start over a study without ``--resume``.

    Raises:
        ConfigError: the directory holds a study (and neither resume nor overwrite), or
            is a directory lstmkit did not write (see :func:`lstmkit.io.check_output_dir`).
    """
    has_study = any((path / f).exists() for f in ("study.db", "study.journal"))
    if has_study and not resume and not external_storage:
        if not overwrite:
            raise ConfigError(f"{path} already holds a sweep; pass --resume to finish it, "
                              "or --overwrite to start again")
        check_output_dir(path, option="the sweep directory", overwrite=False)
        shutil.rmtree(path)
    elif not path.exists() or not has_study:
        check_output_dir(path, option="the sweep directory", overwrite=overwrite)
    path.mkdir(parents=True, exist_ok=True)
    write_marker(path)


def open_study(store: Any, job: SweepJob, exp: Experiment, worker: int = 0) -> Any:
    """The study (created if missing in the storage ``store``) with a TPE sampler and
    the table's pruner."""
    import optuna

    sweep = exp.sweep
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = make_pruner(sweep.pruner, startup_trials=sweep.startup_trials,
                         warmup_epochs=sweep.warmup_epochs, max_epochs=exp.train.epochs)
    sampler = optuna.samplers.TPESampler(seed=sweep.seed + worker,
                                         n_startup_trials=sweep.startup_trials)
    return optuna.create_study(storage=store,
                               study_name=job.study, direction=sweep.direction,
                               sampler=sampler, pruner=pruner, load_if_exists=True)


def worker(worker: int, job: SweepJob) -> None:
    """One worker: run trials until the study has ``job.trials`` of them."""
    exp = assemble(job.raw, source=job.source, check_location=False)
    with storage.opened(job.storage) as store:
        study = open_study(store, job, exp, worker)
        data = check_data(exp)
        optimize(study, lambda trial: run_trial(trial, job, exp, data), job.trials,
                 job.deadline)


def run_trial(trial: Any, job: SweepJob, exp: Experiment, data: Any) -> float:
    """Train the task with the trial's settings and return its best validation value.

    Raises:
        optuna.TrialPruned: when the pruner stops it (its MLflow run stays FINISHED,
            tagged ``optuna.state = PRUNED``).
    """
    import optuna

    sweep = exp.sweep
    trial.set_user_attr(storage.WORKER, storage.worker_id())
    trial_exp = assemble(with_settings(job.raw, sweep.suggest(trial)), source=job.source,
                         check_location=False)
    trial_dir = job.sweep_dir / "trials" / f"{trial.number:05d}"
    trial_dir.mkdir(parents=True, exist_ok=True)
    reporter = TrialReporter(trial, sweep.metric, sweep.direction)
    tracker = make_tracker(job.tracking, job.tracking_uri,
                           experiment=exp.experiment.tracking_experiment,
                           run_name=f"{exp.experiment.name}-trial-{trial.number}")
    pruned = None
    with tracker:
        tag_child(tracker, job.parent_run_id, trial.number)
        tracker.log_params({**trial_exp.resolved, "trial": trial.params})
        try:
            trial_exp.task.run(TaskRun(
                options=trial_exp.options, train=trial_exp.train, data=data,
                run_dir=trial_dir, resume=False, tracker=tracker,
                callbacks=[TrackingCallback(tracker), reporter],
                run_config=trial_exp.resolved, progress=False, checkpoints=False))
        except TrialFinished:
            pass
        except optuna.TrialPruned as exc:
            pruned = exc
        except (KeyboardInterrupt, TrainingStopped) as exc:
            if isinstance(exc, KeyboardInterrupt) or exc.exit_code == 130:
                trial.set_user_attr(storage.INTERRUPTED, True)
            raise
        finally:
            remove_scratch(trial_dir)
        if not reporter.values:
            raise ConfigError(f"task {exp.task.name!r} reported no epochs to the sweep")
        _log_outcome(tracker, sweep.metric, reporter, pruned)
    if pruned is not None:
        raise pruned
    return reporter.best()


def remove_scratch(folder: Path) -> None:
    """Remove a trial's scratch directory: usually empty (a trial writes no checkpoint
    and stops before the task's outputs), so one ``rmdir``, else the whole tree."""
    try:
        folder.rmdir()
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)


def tag_child(tracker: Any, parent: str | None, number: int) -> None:
    """Make the tracked run a child of the study's parent run."""
    client = getattr(tracker, "client", None)
    if client is None or not tracker.run_id:
        return
    if parent:
        client.set_tag(tracker.run_id, PARENT_TAG, parent)
    client.set_tag(tracker.run_id, "optuna.trial", str(number))


def _log_outcome(tracker: Any, metric: str, reporter: TrialReporter, pruned: Any) -> None:
    best = reporter.best()
    if math.isfinite(best):
        tracker.log_metrics({f"best_{metric}": best}, step=len(reporter.values))
    client = getattr(tracker, "client", None)
    if client is not None and tracker.run_id:
        client.set_tag(tracker.run_id, "optuna.state", "PRUNED" if pruned else "COMPLETE")


def run_sweep(raw: dict[str, Any], source: str, *, trials: int, jobs: int = 1,
              storage_url: str | None = None, study_name: str | None = None,
              timeout: float | None = None, resume: bool = False, overwrite: bool = False,
              tracking: bool = True, tracking_uri: str | None = None, progress: bool = True,
              evaluate: bool = True) -> SweepRecord:
    """Run (or finish) the sweep an experiment's ``[sweep]`` table describes; see the
    module docstring.

    Args:
        raw: the experiment's tables (overrides applied). source: its file, for messages.
        trials: the study's total of complete and pruned trials.
        jobs: worker processes on this machine.
        storage_url: the study's storage (default: a file in the sweep directory).
        study_name: the study's name (default: the experiment's name).
        timeout: minutes after which no new trial starts.
        resume: finish an interrupted sweep (re-running its interrupted trials).
        overwrite: start again over a finished or interrupted sweep.
        tracking, tracking_uri, progress: as for :func:`~lstmkit.experiments.run_experiment`.
        evaluate: train the best settings again and score them on test, once.

    Raises:
        ConfigError: a bad ``[sweep]`` table or option. StorageError: an unreachable storage.
    """
    exp = assemble(raw, source=source)
    check_space(raw, exp, source)
    folder = sweep_dir_of(exp)
    if tracking:  # an unreachable store or storage fails before anything is written
        check_tracking_uri(tracking_uri or default_tracking_uri())
    if storage_url is not None:
        storage.close_storage(storage.open_storage(storage_url))
    prepare_sweep_dir(folder, resume=resume, overwrite=overwrite,
                      external_storage=storage_url is not None)
    url = storage_url or storage.default_storage(folder, jobs)
    job = SweepJob(raw, source, url, study_name or exp.experiment.name, trials,
                   None if timeout is None else time.time() + 60 * timeout, tracking,
                   tracking_uri, None, folder.resolve())
    with storage.opened(url) as store:
        study = open_study(store, job, exp)
        if resume:
            storage.requeue_interrupted(study)
        parent = make_tracker(tracking, tracking_uri,
                              experiment=exp.experiment.tracking_experiment,
                              run_name=f"{exp.experiment.name}-sweep",
                              run_id=study.user_attrs.get(PARENT_ATTR))
        with parent:
            if parent.run_id and PARENT_ATTR not in study.user_attrs:
                study.set_user_attr(PARENT_ATTR, parent.run_id)
                parent.log_params({"sweep": {"study": job.study, "storage": storage.masked(url),
                                             "metric": exp.sweep.metric,
                                             "direction": exp.sweep.direction,
                                             "pruner": exp.sweep.pruner}, **exp.resolved})
            with SweepProgress(url, job.study, trials, exp.sweep.metric) if progress \
                    else nullcontext():
                run_workers(worker, jobs, job=replace(job, parent_run_id=parent.run_id))
            record = finish(study, raw, exp, folder, parent, evaluate=evaluate,
                            tracking=tracking, tracking_uri=tracking_uri, progress=progress)
    trials_dir = folder / "trials"
    if trials_dir.is_dir() and not any(trials_dir.iterdir()):
        trials_dir.rmdir()
    return replace(record, storage=url)


def finish(study: Any, raw: dict[str, Any], exp: Experiment, folder: Path, parent: Any, *,
           evaluate: bool, tracking: bool, tracking_uri: str | None,
           progress: bool) -> SweepRecord:
    """Write the sweep's outputs, then train the best settings again and score them on
    test once (logged under the parent run)."""
    scored = report.scored_trials(study)
    if not scored:
        raise ConfigError(f"sweep {study.study_name!r}: no trial completed (all pruned or "
                          "failed); loosen the pruner or widen the ranges")
    best = scored[0]
    tables: dict[str, dict[str, Any]] = {}
    for name, value in best.params.items():
        table, key = name.split(".", 1)
        tables.setdefault(table, {})[key] = value
    best_raw = report.best_experiment(raw, tables, f"{exp.experiment.name}-best")
    best_file = report.write_experiment(
        best_raw, folder / "best.yaml",
        f"best trial {best.number} of sweep {study.study_name!r}: "
        f"{exp.sweep.metric} {best.value:.6g} (validation)\nrun it: lstmkit train best.yaml")
    outputs = [best_file, report.write_trials_csv(study, folder / "trials.csv"),
               *report.write_plots(study, folder)]
    parent.log_metrics({f"best_{exp.sweep.metric}": best.value}, step=best.number)
    for path in outputs:
        parent.log_artifact(path)
    final = None
    if evaluate:
        final_exp = assemble(with_settings(best_raw, {"experiment": {
            "output_dir": str(folder), "name": "best"}}), source=str(best_file),
            check_location=False)
        final = run_experiment(final_exp, tracking=tracking, tracking_uri=tracking_uri,
                               progress=progress, option=f"{folder}/best")
        if final.tracking_run_id and getattr(parent, "client", None) is not None:
            parent.client.set_tag(final.tracking_run_id, PARENT_TAG, parent.run_id)
            parent.client.set_tag(final.tracking_run_id, "lstmkit.sweep_role", "best-on-test")
        parent.log_metrics(final.result.metrics, step=best.number)
    return SweepRecord(folder, "", study, best, best_file, final, parent.run_id,
                       exp.sweep.metric)

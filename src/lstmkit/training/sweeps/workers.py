"""Sweep workers: ``--jobs J`` runs J processes on this machine, each pinned to its share
of the cores (CPU affinity and torch threads), all pulling trials from one study storage
until the study has its trials.

Processes, not threads: training holds the GIL between kernels and torch's intra-op pool
would oversubscribe the cores (J threads x all cores); each process gets whole cores.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ...errors import LstmkitError
from .storage import SURPLUS, live


class WorkerError(LstmkitError):
    """A sweep worker process stopped with an error; carries the worker's message."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def available_cores() -> list[int]:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def core_shares(jobs: int, cores: list[int] | None = None) -> list[list[int]]:
    """Split ``cores`` into ``jobs`` contiguous shares (workers share cores round-robin
    when there are more workers than cores).

    Example:
        >>> core_shares(2, [0, 1, 2, 3]), core_shares(3, [0, 1])
        ([[0, 1], [2, 3]], [[0], [1], [0]])
    """
    cores = cores if cores is not None else available_cores()
    if jobs >= len(cores):
        return [[cores[i % len(cores)]] for i in range(jobs)]
    size, extra = divmod(len(cores), jobs)
    shares, start = [], 0
    for i in range(jobs):
        end = start + size + (i < extra)
        shares.append(cores[start:end])
        start = end
    return shares


def pin(cores: list[int]) -> None:
    """Run this process on ``cores`` only, with as many torch threads."""
    import torch

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cores)
    torch.set_num_threads(len(cores))


def optimize(study: Any, objective: Callable, n_trials: int,
             deadline: float | None = None, callbacks: list[Callable] = ()) -> None:
    """Run trials of ``study`` one at a time until it has ``n_trials`` complete or pruned
    trials (counting those other workers are running) or ``deadline`` (``time.time()``)
    passes. ``callbacks`` are Optuna study callbacks, called after each trial.

    Several workers never overshoot ``n_trials``: see :func:`run_one`."""
    while live(study) < n_trials:
        if deadline is not None and time.time() >= deadline:
            return
        run_one(study, objective, n_trials, callbacks)


def run_one(study: Any, objective: Callable, n_trials: int,
            callbacks: list[Callable] = ()) -> Any:
    """Ask the study for a trial, run ``objective`` on it and tell the outcome (complete,
    pruned, or failed and re-raised); returns the finished trial.

    Ask-and-tell rather than ``study.optimize``: between a worker's check of the count
    and its ``ask`` another worker may take the last trial. Trial numbers are handed out
    by the storage one at a time, so a trial with ``n_trials`` live (running, complete or
    pruned) trials before it is surplus: it is told failed at once, untrained, with the
    user attribute ``surplus`` (and ignored by the reports).
    """
    import optuna
    from optuna.trial import TrialState

    trial = study.ask()
    if is_surplus(study, trial.number, n_trials):
        trial.set_user_attr(SURPLUS, True)
        return study.tell(trial, state=TrialState.FAIL)
    try:
        value = objective(trial)
    except optuna.TrialPruned:
        frozen = study.tell(trial, state=TrialState.PRUNED)
    except BaseException:
        study.tell(trial, state=TrialState.FAIL)
        raise
    else:
        frozen = study.tell(trial, value)
    for callback in callbacks:
        callback(study, frozen)
    return frozen


def is_surplus(study: Any, number: int, n_trials: int) -> bool:
    """Whether trial ``number`` comes after ``n_trials`` live trials (running,
    complete or pruned) of the study."""
    from optuna.trial import TrialState

    live = study.get_trials(deepcopy=False, states=(
        TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED))
    return sum(t.number < number for t in live) >= n_trials


def run_workers(target: Callable[..., None], jobs: int, **kwargs: Any) -> None:
    """Call ``target(worker=i, **kwargs)`` in ``jobs`` processes (spawned, so each
    starts clean), each pinned to its share of the cores; one job runs in this process.

    Raises:
        WorkerError: with the first worker's error message and exit status.
    """
    if jobs == 1:
        target(worker=0, **kwargs)
        return
    shares = core_shares(jobs)
    import multiprocessing

    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_worker, target, shares[i], i, kwargs) for i in range(jobs)]
        outcomes = [f.result() for f in futures]
    for outcome in outcomes:
        if outcome is not None:
            raise WorkerError(*outcome)


def _worker(target: Callable[..., None], cores: list[int], worker: int,
            kwargs: dict[str, Any]) -> tuple[str, int] | None:
    """One worker process: pin, run, and return a user error as ``(message, status)``."""
    pin(cores)
    try:
        target(worker=worker, **kwargs)
    except LstmkitError as exc:
        return f"worker {worker}: {exc}", exc.exit_code
    except KeyboardInterrupt:
        return f"worker {worker}: interrupted", 130
    return None

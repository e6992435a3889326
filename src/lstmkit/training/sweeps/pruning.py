"""The sweep's pruners: successive halving (the default), the median pruner, Hyperband,
each Optuna's, and when each may stop a trial.

:class:`HalvingPruner` is Optuna's ``SuccessiveHalvingPruner`` (asynchronous successive
halving, Li et al. 2018, "A System for Massively Parallel Hyperparameter Tuning"): after
``warmup_epochs + 1`` epochs a trial goes on only if it is in the best quarter of the
trials that reached that epoch, again at 4x as many epochs, and so on (epochs 2, 5, 17
and 65 with one warm-up epoch), once ``startup_trials`` trials are complete. It is the
default because it stops bad trials sooner than the median pruner for the same best
trial: see ``benchmarks/sweep.py`` and docs/experiments.md.

Optuna's ``MedianPruner`` asks the study for its complete trials at every
``trial.should_prune()``, and an RDB storage answers by reloading the running trial
(params, attributes, every intermediate value) from the database: on a small model that
cost more than the epoch it judged, so a pruned sweep spent much of what pruning saved
on deciding to prune. :class:`SnapshotPruner` hands the pruner a view of the study whose
finished trials are read at a trial's first pruning check and kept for the rest of that
trial. With one worker that is exactly what Optuna would read (no other trial finishes
meanwhile); with several, a trial is judged against the trials that had finished when
its first check ran, as a trial started a little earlier would be.

Every pruner here answers :meth:`may_prune`: the epochs at which it can stop a trial at
all, so that :class:`~lstmkit.training.sweeps.trial.TrialReporter` asks the study (a
storage read) only then.
"""

from __future__ import annotations

import copy
from collections.abc import Container
from typing import Any


def make_pruner(name: str, *, startup_trials: int, warmup_epochs: int,
                max_epochs: int) -> Any:
    """The Optuna pruner ``name`` names: ``halving`` (:class:`HalvingPruner`), ``median``
    (wrapped in :class:`SnapshotPruner`), ``hyperband`` or ``none``.

    Example:
        >>> type(make_pruner("median", startup_trials=3, warmup_epochs=1, max_epochs=9))
        <class 'lstmkit.training.sweeps.pruning.SnapshotPruner'>
    """
    import optuna

    if name == "halving":
        return HalvingPruner(max(1, warmup_epochs), startup_trials=startup_trials)
    if name == "median":
        return SnapshotPruner(optuna.pruners.MedianPruner(
            n_startup_trials=startup_trials, n_warmup_steps=warmup_epochs),
            first_step=warmup_epochs)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_epochs)
    return optuna.pruners.NopPruner()


def may_prune(pruner: Any, step: int) -> bool:
    """Whether ``pruner`` can stop a trial at ``step`` (0-based epoch): asks the pruner's
    own ``may_prune`` if it has one, else True (ask the study at every epoch)."""
    check = getattr(pruner, "may_prune", None)
    return True if check is None else bool(check(step))


class HalvingPruner:
    """Optuna's ``SuccessiveHalvingPruner`` with its default reduction factor (4) and a
    first decision after ``min_resource`` steps, which also answers :meth:`may_prune`.

    Until ``startup_trials`` trials are complete no trial is stopped (their values at
    each decision still count for the later trials): successive halving alone may keep a
    single trial to the end, and a sweep's best setting is the best complete trial.

    Args:
        min_resource: the first step at which a trial may be stopped (the warm-up
            epochs; at least 1).
        reduction_factor: the share of trials that go on at each decision is
            ``1 / reduction_factor``.
        startup_trials: complete trials before any trial is stopped.

    Example:
        >>> [s for s in range(30) if HalvingPruner(1).may_prune(s)]
        [1, 4, 16]
    """

    def __init__(self, min_resource: int, reduction_factor: int = 4,
                 startup_trials: int = 0) -> None:
        import optuna

        self.min_resource, self.reduction_factor = min_resource, reduction_factor
        self.startup_trials = startup_trials
        self.pruner = optuna.pruners.SuccessiveHalvingPruner(
            min_resource=min_resource, reduction_factor=reduction_factor)

    def may_prune(self, step: int) -> bool:
        """True at the steps where successive halving decides: ``min_resource`` times a
        power of ``reduction_factor``."""
        rung = self.min_resource
        while rung < step:
            rung *= self.reduction_factor
        return rung == step

    def prune(self, study: Any, trial: Any) -> bool:
        """Optuna's decision, once ``startup_trials`` trials are complete (before, it is
        taken, and so recorded, but not followed)."""
        from optuna.trial import TrialState

        decision = self.pruner.prune(study, trial)
        if decision and self.startup_trials:
            done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            return len(done) >= self.startup_trials
        return decision


class FinishedTrials:
    """A study whose finished trials (complete, pruned, failed) are read once and kept;
    every other attribute, and any question about running trials, goes to the study."""

    def __init__(self, study: Any) -> None:
        from optuna.trial import TrialState

        self._study, self._cache = study, {}
        self._finished = {TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._study, name)

    def get_trials(self, deepcopy: bool = True,
                   states: Container[Any] | None = None) -> list[Any]:
        """As ``optuna.Study.get_trials``; finished states answered from the snapshot."""
        if states is None or not set(states) <= self._finished:
            return self._study.get_trials(deepcopy=deepcopy, states=states)
        key = frozenset(states)
        if key not in self._cache:
            self._cache[key] = self._study.get_trials(deepcopy=False, states=tuple(states))
        trials = self._cache[key]
        return copy.deepcopy(trials) if deepcopy else list(trials)


class SnapshotPruner:
    """An Optuna pruner that gives ``pruner`` a :class:`FinishedTrials` view of the study,
    taken anew for each trial (see the module docstring). Optuna calls a pruner only
    through ``prune``, so this is not a subclass of its ``BasePruner`` (optuna, an
    extra, is not imported until a sweep runs).

    Args:
        pruner: an Optuna pruner that reads only finished trials (``MedianPruner``,
            ``PercentilePruner``).
        first_step: the first step at which ``pruner`` may prune (its warm-up steps).
    """

    def __init__(self, pruner: Any, first_step: int = 0) -> None:
        self.pruner, self.first_step = pruner, first_step
        self._number: int | None = None
        self._view: FinishedTrials | None = None

    def may_prune(self, step: int) -> bool:
        """True from ``first_step`` on (the median pruner's warm-up steps never prune)."""
        return step >= self.first_step

    def prune(self, study: Any, trial: Any) -> bool:
        """``pruner.prune`` on the snapshot of ``study`` taken for ``trial``."""
        if self._view is None or self._number != trial.number or self._view._study is not study:
            self._number, self._view = trial.number, FinishedTrials(study)
        return self.pruner.prune(self._view, trial)

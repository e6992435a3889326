"""The sweep's pruners: Optuna's median and Hyperband pruners, the median one reading the
finished trials once per trial instead of once per epoch.

Optuna's ``MedianPruner`` asks the study for its complete trials at every
``trial.should_prune()``, and an RDB storage answers by reloading the running trial
(params, attributes, every intermediate value) from the database: on a small model that
cost more than the epoch it judged, so a pruned sweep spent much of what pruning saved
on deciding to prune. :class:`SnapshotPruner` hands the pruner a view of the study whose
finished trials are read at a trial's first pruning check and kept for the rest of that
trial. With one worker that is exactly what Optuna would read (no other trial finishes
meanwhile); with several, a trial is judged against the trials that had finished when
its first check ran, as a trial started a little earlier would be.
"""

from __future__ import annotations

import copy
from collections.abc import Container
from typing import Any


def make_pruner(name: str, *, startup_trials: int, warmup_epochs: int,
                max_epochs: int) -> Any:
    """The Optuna pruner ``name`` names: ``median`` (wrapped in :class:`SnapshotPruner`),
    ``hyperband`` or ``none``.

    Example:
        >>> type(make_pruner("median", startup_trials=3, warmup_epochs=1, max_epochs=9))
        <class 'lstmkit.training.sweeps.pruning.SnapshotPruner'>
    """
    import optuna

    if name == "median":
        return SnapshotPruner(optuna.pruners.MedianPruner(
            n_startup_trials=startup_trials, n_warmup_steps=warmup_epochs))
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_epochs)
    return optuna.pruners.NopPruner()


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
    """

    def __init__(self, pruner: Any) -> None:
        self.pruner = pruner
        self._number: int | None = None
        self._view: FinishedTrials | None = None

    def prune(self, study: Any, trial: Any) -> bool:
        """``pruner.prune`` on the snapshot of ``study`` taken for ``trial``."""
        if self._view is None or self._number != trial.number or self._view._study is not study:
            self._number, self._view = trial.number, FinishedTrials(study)
        return self.pruner.prune(self._view, trial)

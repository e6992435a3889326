"""What pruning saves in a sweep, and whether the sweep beats the default settings.

    python benchmarks/sweep.py [--trials 20] [--epochs 150] [--jobs 1] [--repeat 3]
                               [--pruner halving|median|hyperband] [--startup-trials 3]
                               [--warmup-epochs 1] [--seed 0]  # default: lstmkit sweep's own

The forecasting task on the bundled ``airline`` series (144 months; validation: the 12
months before the 36-month test part, which no trial reads), one network per trial,
with the forecaster's own training budget (``--epochs`` 150, early stopping after 30
epochs without progress: ``Forecaster.default_train_config()``).
It searches ``lr``, ``hidden_size`` and ``lookback`` (TPE, ``--seed``):

1. with ``--pruner`` (by default ``lstmkit sweep``'s: successive halving after
   ``--warmup-epochs`` + 1 epochs; TPE samples ``--startup-trials`` at random first),
2. the same trials (the settings of 1., in the same order, still sampled by TPE so that
   its cost is paid) with no pruner: every trial trains its ``--epochs``,

``--repeat`` times, alternately (a change in the machine's load hits both), after an
untimed warm-up sweep, and trains the default settings (those of the experiment without
``[sweep]``) once.

It prints the wall time of each sweep and their ratio (target: pruned <= 0.50 x
unpruned, in every pair), the ratio of the time inside trials and of the process's CPU
time (less sensitive to other jobs on the machine), the best validation loss of each
sweep and the default settings' validation loss (target: the pruned sweep's best at
least as good), and the load average before and after (the machine may be shared:
re-run on a quiet one for clean times).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import math
import os
import tempfile
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

from lstmkit.experiment_sweep import run_sweep
from lstmkit.experiments import assemble, run_experiment
from lstmkit.training.sweeps.space import SweepOptions

PRUNERS = ["halving", "median", "hyperband"]

BASE: dict[str, Any] = {
    "experiment": {"task": "forecast", "name": "airline", "data": "airline"},
    "train": {"epochs": 150, "lr": 0.003, "seed": 0},  # the forecaster's defaults
    "task": {"n_models": 1, "hidden_size": 32, "num_threads": 1},
    "sweep": {"seed": 0,
              "train": {"lr": {"type": "log-float", "low": 3e-4, "high": 3e-2}},
              "task": {"hidden_size": {"type": "int", "low": 8, "high": 64, "step": 8},
                       "lookback": {"type": "int", "low": 24, "high": 48, "step": 12}}},
}


def timed_sweep(raw: dict[str, Any], pruner: str, trials: int, jobs: int,
                replay: Any = None) -> tuple[float, Any]:
    """Run the sweep with ``pruner`` in a fresh directory: (seconds, study). With
    ``replay`` (a study), the sweep runs that study's trials, same settings, same order."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    raw = copy.deepcopy(raw)
    raw["sweep"]["pruner"] = pruner
    with tempfile.TemporaryDirectory(prefix="lstmkit-bench-sweep-") as folder, \
            contextlib.chdir(folder), replaying(replay, folder, jobs) as url:
        start = time.perf_counter()
        record = run_sweep(raw, "benchmarks/sweep.py", trials=trials, jobs=jobs,
                           storage_url=url, tracking=False, progress=False,
                           evaluate=False)
        return time.perf_counter() - start, record.study


@contextlib.contextmanager
def replaying(replay: Any, folder: str, jobs: int) -> Iterator[str]:
    """The study's URL, set up to run ``replay``'s trials again when it is given.

    With one worker the sweep's TPE sampler still samples every parameter (a sweep
    without pruning would pay for it too) but each trial takes the replayed value; with
    several (spawned processes, which this patch does not reach) the trials are enqueued
    instead, and sampling is skipped: the unpruned times are then a little short."""
    import optuna

    url = f"sqlite:///{folder}/study.db"
    if replay is None:
        yield url
        return
    params = [t.params for t in replay.trials]
    if jobs > 1:
        study = optuna.create_study(storage=url, study_name="airline")
        for values in params:
            study.enqueue_trial(values)
        yield url
        return

    class ReplayTPE(optuna.samplers.TPESampler):
        def sample_relative(self, study: Any, trial: Any, space: Any) -> dict[str, Any]:
            sampled = super().sample_relative(study, trial, space)
            return {name: params[trial.number][name] for name in sampled}

        def sample_independent(self, study: Any, trial: Any, name: str,
                               distribution: Any) -> Any:
            super().sample_independent(study, trial, name, distribution)
            return params[trial.number][name]

    with mock.patch.object(optuna.samplers, "TPESampler", ReplayTPE):
        yield url


def warm_up(raw: dict[str, Any], pruner: str, jobs: int) -> None:
    """An untimed sweep of 3 trials of 2 epochs through the same code: the one-off costs
    of a process (Optuna's storage, sampler and plotting modules, imported on first use)
    would otherwise be charged to whichever timed sweep runs first (the pruned one)."""
    raw = copy.deepcopy(raw)
    raw["train"]["epochs"] = 2
    timed_sweep(raw, pruner, 3, jobs)


def default_score(raw: dict[str, Any]) -> float:
    """The best validation loss of the default settings (one training run)."""
    raw = copy.deepcopy({k: v for k, v in raw.items() if k != "sweep"})
    with tempfile.TemporaryDirectory(prefix="lstmkit-bench-default-") as folder, \
            contextlib.chdir(folder):
        record = run_experiment(assemble(raw, source="benchmarks/sweep.py"),
                                tracking=False, progress=False)
    values = [row["val_loss"] for row in record.result.history
              if math.isfinite(row.get("val_loss", math.nan))]
    return min(values)


def describe(name: str, seconds: float, study: Any) -> str:
    """One line: time, trial states, epochs trained, best value."""
    states = [t.state.name for t in study.trials]
    epochs = sum(len(t.intermediate_values) for t in study.trials)
    return (f"{name:9s} {seconds:7.1f} s ({in_trials(study):6.1f} s in trials)  "
            f"{states.count('COMPLETE'):2d} complete, "
            f"{states.count('PRUNED'):2d} pruned, {epochs:4d} epochs trained, "
            f"best val_loss {study.best_value:.5g} (trial {study.best_trial.number})")


def in_trials(study: Any) -> float:
    """Seconds spent inside trials (the rest: the study, sampling, the outputs)."""
    return sum(t.duration.total_seconds() for t in study.trials if t.duration is not None)


def options() -> argparse.Namespace:
    """The command line; the pruning defaults are ``lstmkit sweep``'s own."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=150,
                        help="per trial (default: the forecaster's own budget)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="pruned/unpruned pairs, "
                        "run alternately (a change in the machine's load hits both)")
    defaults = SweepOptions()
    parser.add_argument("--pruner", choices=PRUNERS, default=defaults.pruner)
    parser.add_argument("--startup-trials", type=int, default=defaults.startup_trials)
    parser.add_argument("--warmup-epochs", type=int, default=defaults.warmup_epochs)
    parser.add_argument("--seed", type=int, default=0, help="the sampler's seed")
    return parser.parse_args()


def compare(raw: dict[str, Any], args: argparse.Namespace, default: float) -> float:
    """One pruned sweep and its unpruned replay; prints both and returns the time ratio."""
    cpu = time.process_time()
    pruned_s, pruned = timed_sweep(raw, args.pruner, args.trials, args.jobs)
    cpu, cpu_pruned = time.process_time(), time.process_time() - cpu
    print(describe("pruned", pruned_s, pruned), flush=True)
    full_s, full = timed_sweep(raw, "none", args.trials, args.jobs, replay=pruned)
    cpu_full = time.process_time() - cpu
    print(describe("unpruned", full_s, full), flush=True)
    ratio = pruned_s / full_s
    epochs = [sum(len(t.intermediate_values) for t in s.trials) for s in (pruned, full)]
    print(f"time ratio pruned / unpruned: {ratio:.2f} (target <= 0.50: "
          f"{'met' if ratio <= 0.5 else 'missed'}); in trials: "
          f"{in_trials(pruned) / in_trials(full):.2f}; CPU time: "
          f"{cpu_pruned / cpu_full:.2f}; epochs trained: {epochs[0] / epochs[1]:.2f}")
    print(f"best val_loss pruned / default: {pruned.best_value / default:.3f} (target <= 1: "
          f"{'met' if pruned.best_value <= default else 'missed'}); unpruned / default: "
          f"{full.best_value / default:.3f}", flush=True)
    return ratio


def main() -> None:
    """Run the default settings, then ``--repeat`` pairs of sweeps; print the ratios."""
    args = options()
    raw = copy.deepcopy(BASE)
    raw["train"]["epochs"] = args.epochs
    raw["sweep"]["startup_trials"] = args.startup_trials
    raw["sweep"]["warmup_epochs"] = args.warmup_epochs
    raw["sweep"]["seed"] = args.seed
    print(f"forecast task, airline, {args.trials} trials x {args.epochs} epochs, "
          f"{args.pruner} pruner, {args.startup_trials} startup trials, "
          f"{args.warmup_epochs} warm-up epochs, seed {args.seed}, jobs {args.jobs}; "
          f"load average before: {load()}", flush=True)
    default = default_score(raw)  # first: it also warms up imports, data and kernels
    print(f"default settings: best val_loss {default:.5g}", flush=True)
    warm_up(raw, args.pruner, args.jobs)
    ratios = []
    for i in range(args.repeat):
        print(f"-- pair {i + 1} of {args.repeat} (load average {load()})", flush=True)
        ratios.append(compare(raw, args, default))
    print(f"time ratios: {', '.join(f'{r:.2f}' for r in ratios)}; worst {max(ratios):.2f} "
          f"(target <= 0.50 in every pair: {'met' if max(ratios) <= 0.5 else 'missed'})")
    print(f"load average after: {load()}")


def load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


if __name__ == "__main__":
    main()

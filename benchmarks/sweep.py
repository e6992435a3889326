"""What pruning saves in a sweep, and whether the sweep beats the default settings.

    python benchmarks/sweep.py [--trials 20] [--epochs 30] [--jobs 1]   # lstmkit sweep's defaults
                               [--pruner median|hyperband] [--startup-trials 3]
                               [--warmup-epochs 1]

The forecasting task on the bundled ``airline`` series (144 months; validation: the 12
months before the 36-month test part, which no trial reads), one network per trial.
It searches ``lr``, ``hidden_size`` and ``lookback`` (TPE, seed 0):

1. with the median pruner (``--startup-trials`` run to the end first, ``--warmup-epochs``
   never pruned; by default ``lstmkit sweep``'s own, 3 and 1) or Optuna's Hyperband pruner,
2. the same trials (the settings of 1., in the same order) with no pruner: every trial
   trains its ``--epochs``,

and trains the default settings (those of the experiment without ``[sweep]``) once.

It prints the wall time of each sweep and their ratio (target: pruned <= 0.50 x
unpruned), the best validation loss of each sweep and the default settings' validation
loss (target: the pruned sweep's best at least as good), and the load average before
and after (the machine may be shared: re-run on a quiet one for clean times).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import math
import os
import tempfile
import time
from typing import Any

from lstmkit.experiment_sweep import run_sweep
from lstmkit.experiments import assemble, run_experiment
from lstmkit.training.sweeps.space import SweepOptions

BASE: dict[str, Any] = {
    "experiment": {"task": "forecast", "name": "airline", "data": "airline"},
    "train": {"epochs": 30, "lr": 0.003, "seed": 0},
    "task": {"n_models": 1, "hidden_size": 32},
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
            contextlib.chdir(folder):  # runs stay under the working directory
        url = f"sqlite:///{folder}/study.db"
        study = optuna.create_study(storage=url, study_name="airline")
        for trial in replay.trials if replay is not None else []:
            study.enqueue_trial(trial.params)
        start = time.perf_counter()
        record = run_sweep(raw, "benchmarks/sweep.py", trials=trials, jobs=jobs,
                           storage_url=url, tracking=False, progress=False,
                           evaluate=False)
        return time.perf_counter() - start, record.study


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


def main() -> None:
    """Run both sweeps and the default settings; print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--pruner", choices=["median", "hyperband"], default="median")
    defaults = SweepOptions()  # lstmkit sweep's own defaults, unless asked otherwise
    parser.add_argument("--startup-trials", type=int, default=defaults.startup_trials)
    parser.add_argument("--warmup-epochs", type=int, default=defaults.warmup_epochs)
    args = parser.parse_args()
    raw = copy.deepcopy(BASE)
    raw["train"]["epochs"] = args.epochs
    raw["sweep"]["startup_trials"] = args.startup_trials
    raw["sweep"]["warmup_epochs"] = args.warmup_epochs
    load = os.getloadavg()
    print(f"forecast task, airline, {args.trials} trials x {args.epochs} epochs, "
          f"{args.pruner} pruner, {args.startup_trials} startup trials, "
          f"{args.warmup_epochs} warm-up epochs, "
          f"jobs {args.jobs}; load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
          flush=True)
    default = default_score(raw)  # first: it also warms up imports, data and kernels
    import optuna.visualization.matplotlib  # noqa: F401  (warm: the first sweep's plots)
    print(f"default settings: best val_loss {default:.5g}", flush=True)
    pruned_s, pruned = timed_sweep(raw, args.pruner, args.trials, args.jobs)
    print(describe("pruned", pruned_s, pruned), flush=True)
    full_s, full = timed_sweep(raw, "none", args.trials, args.jobs, replay=pruned)
    print(describe("unpruned", full_s, full), flush=True)
    ratio = pruned_s / full_s
    epochs = [sum(len(t.intermediate_values) for t in s.trials) for s in (pruned, full)]
    print(f"time ratio pruned / unpruned: {ratio:.2f} (target <= 0.50: "
          f"{'met' if ratio <= 0.5 else 'missed'}); in trials: "
          f"{in_trials(pruned) / in_trials(full):.2f}; epochs trained: "
          f"{epochs[0] / epochs[1]:.2f}")
    print(f"best val_loss pruned / default: {pruned.best_value / default:.3f} (target <= 1: "
          f"{'met' if pruned.best_value <= default else 'missed'}); unpruned / default: "
          f"{full.best_value / default:.3f}")
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()

"""``lstmkit compare CONFIG --cells lstm,gru,... --seeds K``: the same experiment trained
with each cell and K seeds (the same budget: the experiment's epochs, data and settings;
only ``[task] cell`` and ``[train] seed`` change), summarised per cell as mean ± sd.

The comparison's directory is ``output_dir/NAME-compare``::

    CELL-sK/        each run (model, checkpoints, config), as lstmkit train writes it
    runs.csv        one row per run: cell, seed, wall time, parameters, best validation
                    value, epochs, test metrics
    summary.csv     one row per cell: mean and sd over the seeds
    compare.png     validation curves and quality against wall time (see
                    :mod:`lstmkit.viz.cell_comparison`)

Quality is the best value of the experiment's monitored validation metric
(``[train] monitor``); the task's test metrics are reported beside it, read once per run
as ``lstmkit train`` does. Wall time is the whole run (data, training, evaluation),
after one untimed warm-up epoch; the runs go seed by seed, each seed through every cell,
so that a change in the machine's load is shared out.
"""

from __future__ import annotations

import math
import shutil
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import ConfigError
from .experiment_sweep import with_settings
from .experiments import Experiment, assemble, run_experiment
from .io import atomic_write, check_output_dir, write_marker
from .viz.cell_comparison import CellCurves, plot_cells


@dataclass(frozen=True)
class CellRun:
    """One run of the comparison: ``cell`` with ``seed``."""

    cell: str
    seed: int
    seconds: float
    params: int
    curve: list[float]
    best: float
    test: dict[str, float]
    run_dir: Path


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare_cells` did: the runs, the per-cell summary, the files."""

    folder: Path
    metric: str
    runs: list[CellRun]
    summary: pd.DataFrame
    plot: Path


def parse_cells(text: str) -> list[str]:
    """``"lstm, gru"`` -> ``["lstm", "gru"]``.

    Raises:
        ConfigError: an empty list or a cell named twice.
    """
    cells = [c.strip() for c in text.split(",") if c.strip()]
    if not cells:
        raise ConfigError(f"--cells {text!r}: expected cell names separated by commas, "
                          "e.g. lstm,gru,rnn")
    twice = sorted({c for c in cells if cells.count(c) > 1})
    if twice:
        raise ConfigError(f"--cells {text!r}: {', '.join(twice)} named twice")
    return cells


def cell_experiments(raw: dict[str, Any], source: str, cells: list[str],
                     seeds: int) -> dict[tuple[str, int], Experiment]:
    """Every (cell, seed) run as a checked experiment, before anything runs.

    Raises:
        ConfigError: the task has no ``cell`` setting, a cell is not valid for it, or
            ``seeds`` < 1.
    """
    exp = assemble(raw, source=source)
    if seeds < 1:
        raise ConfigError(f"--seeds must be at least 1, got {seeds}")
    if not hasattr(exp.options, "cell"):
        raise ConfigError(f"{source}: task {exp.task.name!r} has no [task] cell setting "
                          "to compare; --cells needs a task with one (forecast, text, "
                          "classify, tag, detect, adding)")
    folder = compare_dir_of(exp)
    runs = {}
    for i in range(seeds):  # seed by seed: a change of machine load hits every cell
        for cell in cells:
            seed = exp.train.seed + i
            tables = {"task": {"cell": cell}, "train": {"seed": seed},
                      "experiment": {"output_dir": str(folder), "name": f"{cell}-s{seed}"}}
            try:
                runs[cell, seed] = assemble(with_settings(raw, tables), source=source,
                                            check_location=False)
            except ConfigError as exc:
                raise ConfigError(f"--cells: {cell!r} is not a valid cell for task "
                                  f"{exp.task.name!r}: {exc}") from None
    return runs


def compare_dir_of(exp: Experiment) -> Path:
    """``output_dir/NAME-compare``."""
    return Path(exp.experiment.output_dir) / f"{exp.experiment.name}-compare"


def compare_cells(raw: dict[str, Any], source: str, *, cells: list[str], seeds: int = 3,
                  tracking: bool = True, tracking_uri: str | None = None,
                  progress: bool = True, overwrite: bool = False) -> Comparison:
    """Train the experiment with each cell and ``seeds`` seeds; see the module docstring.

    Raises:
        ConfigError: see :func:`cell_experiments`; a refused output directory.
    """
    plan = cell_experiments(raw, source, cells, seeds)
    first = next(iter(plan.values()))
    folder = compare_dir_of(assemble(raw, source=source))
    check_output_dir(folder, option="the comparison directory", overwrite=overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    write_marker(folder)
    metric, mode = first.train.monitor, first.train.monitor_mode
    warm_up(raw, source, folder, cells[0])
    runs = []
    with CellProgress(cells, seeds, enabled=progress) as bars:
        for (cell, seed), exp in plan.items():
            runs.append(one_run(exp, cell, seed, metric, mode, tracking=tracking,
                                tracking_uri=tracking_uri, overwrite=overwrite))
            bars.advance(cell, runs[-1].best, metric)
    summary = summarise(runs, metric)
    write_tables(runs, summary, folder)
    plot = plot_cells([CellCurves(c, _params(runs, c), [r.curve for r in runs if r.cell == c],
                                  [r.best for r in runs if r.cell == c],
                                  [r.seconds for r in runs if r.cell == c]) for c in cells],
                      metric, folder / "compare.png")
    return Comparison(folder, metric, runs, summary, plot)


def warm_up(raw: dict[str, Any], source: str, folder: Path, cell: str) -> None:
    """One untimed epoch of ``cell``, removed after: the one-off costs of a first run in
    a process (imports, data preparation, kernel loading) would otherwise be charged to
    whichever cell runs first."""
    tables = {"task": {"cell": cell}, "train": {"epochs": 1},
              "experiment": {"output_dir": str(folder), "name": ".warm-up"}}
    exp = assemble(with_settings(raw, tables), source=source, check_location=False)
    try:
        run_experiment(exp, tracking=False, progress=False, overwrite=True)
    finally:
        shutil.rmtree(exp.run_dir, ignore_errors=True)


def one_run(exp: Experiment, cell: str, seed: int, metric: str, mode: str, *,
            tracking: bool, tracking_uri: str | None, overwrite: bool) -> CellRun:
    """Run one (cell, seed) experiment and read what the comparison needs."""
    start = time.perf_counter()
    record = run_experiment(exp, tracking=tracking, tracking_uri=tracking_uri,
                            progress=False, overwrite=overwrite,
                            option=f"{exp.experiment.output_dir}/{exp.experiment.name}")
    seconds = time.perf_counter() - start
    curve = [float(row.get(metric, math.nan)) for row in record.result.history]
    finite = [v for v in curve if math.isfinite(v)]
    best = (max if mode == "max" else min)(finite) if finite else math.nan
    return CellRun(cell, seed, seconds, count_parameters(record.result.model_dir), curve,
                   best, dict(record.result.metrics), record.run_dir)


def count_parameters(model_dir: Path | None) -> int:
    """The number of values in the saved model's tensors (0 without a model)."""
    if model_dir is None:
        return 0
    from safetensors import safe_open

    total = 0
    for path in sorted(Path(model_dir).rglob("*.safetensors")):
        with safe_open(str(path), framework="pt") as tensors:
            total += sum(math.prod(tensors.get_slice(k).get_shape()) for k in tensors.keys())
    return total


def _params(runs: list[CellRun], cell: str) -> int:
    return next(r.params for r in runs if r.cell == cell)


def mean_sd(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (NaN for one value).

    Example:
        >>> mean_sd([1.0, 3.0])
        (2.0, 1.4142135623730951)
    """
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 \
        else math.nan


def summarise(runs: list[CellRun], metric: str) -> pd.DataFrame:
    """One row per cell: seeds, parameters, then mean and sd of the wall time, the best
    validation value and every test metric."""
    rows = []
    for cell in dict.fromkeys(r.cell for r in runs):
        mine = [r for r in runs if r.cell == cell]
        row: dict[str, Any] = {"cell": cell, "seeds": len(mine), "params": mine[0].params}
        columns = {"seconds": [r.seconds for r in mine], f"best_{metric}": [r.best for r in mine]}
        columns.update({k: [r.test.get(k, math.nan) for r in mine]
                        for k in dict.fromkeys(k for r in mine for k in r.test)})
        for name, values in columns.items():
            row[f"{name}_mean"], row[f"{name}_sd"] = mean_sd(values)
        rows.append(row)
    return pd.DataFrame(rows)


def write_tables(runs: list[CellRun], summary: pd.DataFrame, folder: Path) -> None:
    """``runs.csv`` and ``summary.csv``, written atomically."""
    frame = pd.DataFrame([{"cell": r.cell, "seed": r.seed, "seconds": r.seconds,
                           "params": r.params, "best": r.best, "epochs": len(r.curve),
                           **r.test} for r in runs])
    atomic_write(folder / "runs.csv", frame.to_csv(index=False).encode())
    atomic_write(folder / "summary.csv", summary.to_csv(index=False).encode())


class CellProgress:
    """One rich progress bar per cell (its seeds done and best value so far), drawn only
    on a terminal."""

    def __init__(self, cells: list[str], seeds: int, *, enabled: bool = True) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        console = Console(stderr=True)
        self.progress = Progress(TextColumn("{task.description:>14}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn("{task.fields[best]}"),
                                 console=console,
                                 disable=not (enabled and console.is_terminal))
        self.tasks = {c: self.progress.add_task(c, total=seeds, best="") for c in cells}
        self.best: dict[str, list[float]] = {c: [] for c in cells}

    def __enter__(self) -> CellProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def advance(self, cell: str, best: float, metric: str) -> None:
        """One more seed of ``cell`` done, with its best validation value."""
        self.best[cell].append(best)
        shown = f"{metric} {statistics.fmean(self.best[cell]):.4g} (mean so far)"
        self.progress.update(self.tasks[cell], advance=1, best=shown)

"""What a finished sweep leaves in its directory: the best settings as a ready-to-run
experiment file, the trials as CSV, a table of the best trials, and PNG plots
(optimisation history, parameter importances, parallel coordinates) drawn by
``optuna.visualization.matplotlib``."""

from __future__ import annotations

import io
import json
import logging
import warnings
from pathlib import Path
from typing import Any

import yaml

from ...io import atomic_write
from .storage import SURPLUS

log = logging.getLogger("lstmkit.training")
PLOTS = {"optimization_history.png": "plot_optimization_history",
         "param_importances.png": "plot_param_importances",
         "parallel_coordinate.png": "plot_parallel_coordinate"}


def scored_trials(study: Any) -> list[Any]:
    """Complete trials, best first (by the study's direction)."""
    from optuna.trial import TrialState

    done = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if t.value is not None]
    maximize = study.direction.name == "MAXIMIZE"
    return sorted(done, key=lambda t: t.value, reverse=maximize)


def top_table(study: Any, metric: str, k: int = 10) -> Any:
    """A rich table of the ``k`` best complete trials and the count of the others
    (surplus trials of several workers, see :func:`.workers.run_one`, not counted)."""
    from optuna.trial import TrialState
    from rich.table import Table

    trials = scored_trials(study)
    names = sorted({p for t in trials for p in t.params})
    counts = {s.name.lower(): sum(not t.user_attrs.get(SURPLUS) for t in
                                  study.get_trials(deepcopy=False, states=(s,)))
              for s in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)}
    table = Table(title=f"best trials by {metric} ({study.direction.name.lower()}); "
                  + ", ".join(f"{n} {s}" for s, n in counts.items()))
    for column in ["trial", metric, "epochs", *names]:
        table.add_column(column, justify="right")
    for t in trials[:k]:
        table.add_row(str(t.number), f"{t.value:.5g}", str(len(t.intermediate_values)),
                      *[_show(t.params.get(n, "")) for n in names])
    return table


def _show(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def best_experiment(raw: dict[str, Any], tables: dict[str, dict[str, Any]],
                    name: str) -> dict[str, Any]:
    """``raw`` (the swept experiment) with the best trial's settings, without ``[sweep]``,
    named ``name``."""
    best = json.loads(json.dumps({k: v for k, v in raw.items() if k != "sweep"}))
    for table, values in tables.items():
        best.setdefault(table, {}).update(values)
    best.setdefault("experiment", {})["name"] = name
    return best


def write_experiment(raw: dict[str, Any], path: Path, header: str) -> Path:
    """Write an experiment file (YAML, which ``lstmkit train`` reads) atomically."""
    text = "".join(f"# {line}\n" for line in header.splitlines())
    text += yaml.safe_dump(raw, sort_keys=False)
    atomic_write(path, text.encode())
    return path


def write_trials_csv(study: Any, path: Path) -> Path:
    """Every trial (number, state, value, parameters, duration) as CSV."""
    frame = study.trials_dataframe(attrs=("number", "state", "value", "params",
                                          "duration", "user_attrs"))
    atomic_write(path, frame.to_csv(index=False).encode())
    return path


def write_plots(study: Any, out: Path) -> list[Path]:
    """The three PNG plots; a plot the study cannot make yet (too few complete trials,
    one parameter) is skipped with a log line."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import optuna.visualization.matplotlib as oplt

    written = []
    for filename, function in PLOTS.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ExperimentalWarning on every call
                axes = getattr(oplt, function)(study)
        except (ValueError, RuntimeError) as exc:
            log.info("sweep: %s skipped: %s", filename, exc)
            continue
        figure = axes.figure if hasattr(axes, "figure") else axes.flat[0].figure
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        plt.close(figure)
        atomic_write(out / filename, buffer.getvalue())
        written.append(out / filename)
    return written

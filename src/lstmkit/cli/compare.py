"""``lstmkit compare RUN_DIR...``: runs' settings and metrics side by side, the settings
that differ highlighted; ``lstmkit compare CONFIG --cells lstm,gru,... --seeds K``: one
experiment trained with each cell (:mod:`lstmkit.experiment_compare`)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ..errors import ConfigError
from .terminal import safe


def run_settings(run_dir: Path) -> dict[str, str]:
    """The run's resolved config (``config.json``) as dotted keys.

    Raises:
        ConfigError: naming the directory if it is not a run directory.
    """
    from ..training.tracking import flatten

    path = run_dir / "config.json"
    if not path.is_file():
        raise ConfigError(f"{run_dir}: not a run directory (no config.json); give "
                          "directories that lstmkit train or lstmkit sweep wrote")
    try:
        config = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a JSON config ({exc})") from None
    return flatten(config) if isinstance(config, dict) else {}


def run_metrics(run_dir: Path) -> dict[str, float]:
    """The last epoch's metrics and the best monitored value (from the run's last
    checkpoint), and the test metrics of ``metrics.json`` when the task wrote one."""
    from ..training.checkpoint import load_checkpoint

    metrics: dict[str, float] = {}
    last = run_dir / "checkpoints" / "last.safetensors"
    if last.is_file():
        progress = load_checkpoint(last).progress
        history = progress.get("history_") or [{}]
        metrics.update({k: v for k, v in history[-1].items() if k != "epoch"})
        metrics["epochs"] = float(progress.get("epoch", len(history)))
        if progress.get("best") is not None:
            metrics["best"] = progress["best"]
    scores = run_dir / "metrics.json"
    if scores.is_file():
        data = json.loads(scores.read_text())
        metrics.update({f"{name}.{key}": value for name, table in data.items()
                        if isinstance(table, dict) for key, value in table.items()
                        if isinstance(value, (int, float))})
    return metrics


def differing(rows: list[dict[str, Any]]) -> set[str]:
    """The keys whose value is not the same in every row (a missing key counts)."""
    keys = set().union(*rows)
    return {k for k in keys if len({json.dumps(r.get(k)) for r in rows}) > 1}


def compare(
    runs: Annotated[list[Path], typer.Argument(help="Run directories (output_dir/NAME), or "
                                               "one experiment file with --cells.",
                                               show_default=False)],
    all_settings: bool = typer.Option(False, "--all", help="Show the settings every run "
                                      "shares too."),
    cells: str | None = typer.Option(None, "--cells", help="Train the experiment file with "
                                     "each of these cells, e.g. lstm,gru,rnn."),
    seeds: int = typer.Option(3, "--seeds", help="Seeds per cell (with --cells)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace run directories "
                                   "lstmkit did not write (with --cells)."),
    tracking_uri: str | None = typer.Option(None, "--tracking-uri", help="MLflow tracking "
                                            "URI (with --cells)."),
    no_tracking: bool = typer.Option(False, "--no-tracking", help="Do not record the runs "
                                     "(with --cells)."),
) -> None:
    """Show runs' settings and metrics side by side; the settings that differ are
    highlighted (and only those are shown, unless --all).

    Metrics are the last epoch's (train_loss, val_loss, ...), the best monitored value,
    and a task's test scores (metrics.json) when it wrote them.

    With --cells: lstmkit compare CONFIG --cells lstm,gru,rnn --seeds 3 trains the
    experiment once per cell and seed (same budget), and shows mean ± sd per cell of the
    wall time, the best validation value and the test metrics; runs, tables and a plot
    go to output_dir/NAME-compare/. See docs/experiments.md.
    """
    if cells is not None:
        if len(runs) != 1:
            raise ConfigError(f"--cells compares one experiment file, got {len(runs)} "
                              "paths")
        compare_cell_runs(runs[0], cells, seeds, tracking=not no_tracking,
                          tracking_uri=tracking_uri, overwrite=overwrite)
        return
    settings = [run_settings(r) for r in runs]
    metrics = [run_metrics(r) for r in runs]
    changed = differing(settings)
    table = Table(title=f"{len(runs)} runs: {len(changed)} settings differ")
    table.add_column("")
    for run in runs:
        table.add_column(safe(run.name), justify="right")
    keys = sorted(set().union(*settings))
    for key in keys if all_settings else sorted(changed):
        style = "bold yellow" if key in changed else None
        table.add_row(safe(key), *[safe(s.get(key, "-")) for s in settings], style=style)
    table.add_section()
    for key in sorted(set().union(*metrics)):
        table.add_row(safe(key), *[_number(m.get(key)) for m in metrics])
    Console().print(table)


def compare_cell_runs(config: Path, cells: str, seeds: int, *, tracking: bool,
                      tracking_uri: str | None, overwrite: bool) -> None:
    """Run the cell comparison and print its summary, best validation value first."""
    from ..config import load_config_file
    from ..experiment_compare import compare_cells, parse_cells

    result = compare_cells(load_config_file(config), str(config), cells=parse_cells(cells),
                           seeds=seeds, tracking=tracking, tracking_uri=tracking_uri,
                           overwrite=overwrite)
    summary = result.summary
    best = f"best_{result.metric}"
    tests = [c[:-5] for c in summary.columns if c.endswith("_mean")
             and c[:-5] not in ("seconds", best)]
    table = Table(title=f"{len(summary)} cells x {int(summary['seeds'].iloc[0])} seeds: "
                  "mean ± sd")
    for column in ["cell", "params", "seconds", f"{best} (validation)", *tests]:
        table.add_column(safe(column), justify="right")
    for _, row in summary.sort_values(f"{best}_mean").iterrows():
        table.add_row(safe(row["cell"]), f"{int(row['params']):,}",
                      *[_spread(row, name) for name in ["seconds", best, *tests]])
    console = Console()
    console.print(table)
    console.print(f"runs, runs.csv, summary.csv and compare.png in {safe(result.folder)}",
                  highlight=False)


def _spread(row: Any, name: str) -> str:
    mean, sd = row[f"{name}_mean"], row[f"{name}_sd"]
    return f"{mean:.4g}" if not math.isfinite(sd) else f"{mean:.4g} ± {sd:.2g}"


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) and math.isfinite(value) else str(value)

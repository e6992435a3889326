"""``lstmkit runs``: recent tracked runs and their key metrics."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from .terminal import safe

KEY_METRICS = ("val_loss", "train_loss")


def runs(
    limit: int = typer.Option(10, "--limit", min=1, help="How many runs to show."),
    experiment: str | None = typer.Option(None, "--experiment",
                                          help="Only this MLflow experiment."),
    tracking_uri: str | None = typer.Option(
        None, "--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, "
        "else sqlite:///lstmkit-runs/mlflow.db)."),
) -> None:
    """List recent runs, newest first, with their key metrics.

    Browse everything with: mlflow ui --backend-store-uri sqlite:///lstmkit-runs/mlflow.db
    """
    from ..training.tracking import default_tracking_uri, recent_runs

    uri = tracking_uri or default_tracking_uri()
    found = recent_runs(uri, limit, experiment)
    if not found:
        typer.echo(f"no runs in {safe(uri, markup=False)}")
        return
    table = Table(title=f"Recent runs ({safe(uri)})")
    for column in ("started", "name", "task", "status", "metrics", "data", "run id"):
        table.add_column(column)
    for run in found:
        keys = ([k for k in sorted(run.metrics) if k.startswith("test_")] + [
            k for k in KEY_METRICS if k in run.metrics])[:2]
        metrics = "\n".join(f"{safe(k)} {run.metrics[k]:.4g}" for k in keys)
        table.add_row(f"{run.started:%m-%d %H:%M}", safe(run.name), safe(run.task),
                      safe(run.status), metrics, safe(run.data_digest[:12]),
                      safe(run.run_id[:8]))
    Console().print(table)

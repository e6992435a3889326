"""``lstmkit forecast``: a CSV (or a bundled series) in; a trained, evaluated, tracked
forecaster, its forecasts, metrics beside the baselines and a picture out.

Everything is written into a staging directory and moved to ``--out`` only when complete,
so a failed run leaves nothing half-written there; an interrupted run stays staged for
``--resume``. ``--out`` follows lstmkit's output-directory policy (:mod:`lstmkit.io`): a
non-empty directory lstmkit did not write is replaced only with ``--overwrite``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .model_dirs import emit_csv
from .model_dirs import model_dir as find_model
from .task_options import task_command
from .terminal import safe

app = typer.Typer(help="Forecast time series: train and evaluate beside baselines, or "
                  "predict with a saved model.", invoke_without_command=True)
DEFAULT_OUT = Path("forecast-out")


def _check_data(experiment):
    """The data read and checked as ``fit`` will, before anything is staged."""
    from ..tasks.forecasting import Forecaster
    from ..tasks.registry import estimator_from_settings

    return estimator_from_settings(Forecaster, experiment).check(experiment.experiment.data)


def _report(record, experiment, checked) -> None:
    import json

    metrics = json.loads((record.run_dir / "metrics.json").read_text())
    print_summary(metrics, checked, record.run_dir)


def _forecast_command():
    from ..tasks.forecasting import Forecaster, ForecastSettings

    return task_command(
        "forecast", settings=ForecastSettings, train=Forecaster.default_train_config(),
        train_fields=("epochs", "lr", "seed"),
        data=("airline", "CSV/Parquet file or dataset name (bundled: airline, msft, "
                         "electricity, nile)."),
        out=str(DEFAULT_OUT),
        aliases={"past_covariates": "--past-covariate",
                 "future_covariates": "--future-covariate"},
        prepare=_check_data, report=_report,
        doc="""Train a forecaster, score it beside the baselines on the held-out end of
    the data, and write forecast.csv, metrics.json, backtest.json, forecast.png and model/
    into --out. With no --data: the bundled airline passengers.""")


app.callback()(_forecast_command())


def print_summary(metrics: dict, model, out: Path) -> None:
    """The model beside the baselines, one row each, on the test part; the model's rank
    by MASE; a line naming the baselines skipped for want of statsforecast."""
    from ..tasks.forecasting.baselines import skipped_baselines
    from ..tasks.forecasting.evaluation import rank

    r = model.resolved_
    console = Console()
    if r.test_size == 0:
        console.print("no test part (--test-size 0): the model was trained on every row "
                      "and nothing was evaluated; forecast.csv holds the future part")
        console.print(f"wrote {safe(out)}/: forecast.csv, metrics.json, backtest.json, "
                      "forecast.png, model/", highlight=False)
        return
    console.print(_table(metrics, r))
    place = rank(metrics, by="MASE")
    if place is not None:
        console.print(f"LSTM model ranks {place[0]} of {place[1]} by MASE (1 = best); OWA "
                      "is relative to Naive2, MSIS is M4's interval score", highlight=False)
    skipped = skipped_baselines()
    if skipped:
        console.print(skipped, highlight=False, markup=False)
    console.print(f"wrote {safe(out)}/: forecast.csv, metrics.json, backtest.json, "
                  "forecast.png, model/", highlight=False)


TABLE_SKIPS = ("MAE", "RMSE")
"""Metrics left out of the printed table (in the units of the data; metrics.json has
them), so that it fits 80 columns."""


def _table(metrics: dict, r) -> Table:
    columns = [c for c in next(iter(metrics.values())) if c not in TABLE_SKIPS]
    table = Table(title=f"Test part: last {r.test_size} rows per series, forecast from its "
                  f"start (horizon {r.horizon}, season {r.season}); lower is better, "
                  f"coverage should be near its nominal level; MAE and RMSE are in "
                  f"metrics.json")
    table.add_column("forecaster")
    for column in columns:
        table.add_column(safe(column.replace("coverage_", "coverage ") + (
            "%" if column.startswith("coverage") else "")), justify="right")
    best = min((v["MASE"] for v in metrics.values() if v.get("MASE") is not None),
               default=None)
    for name, scores in metrics.items():
        cells = [_cell(k, scores.get(k)) for k in columns]
        style = "bold green" if best is not None and scores.get("MASE") == best else None
        table.add_row("LSTM model" if name == "model" else safe(name.replace("_", " ")),
                      *cells, style=style)
    return table


def _cell(key: str, value: float | None) -> str:
    if value is None:
        return "-"
    if key.startswith("coverage"):
        return f"{100 * value:.0f}"
    return f"{value:.2f}" if key in ("MAPE", "sMAPE", "MASE", "OWA", "MSIS") else f"{value:.4g}"


@app.command("predict")
def predict(
    model_dir: Annotated[Path, typer.Argument(
        help="A saved model (or a forecast --out directory).")],
    data: str = typer.Option(..., "--data", help="History to forecast from (file or name)."),
    steps: int | None = typer.Option(None, "--steps", help="Steps (default K; at most "
                                     "100000)."),
    future: str | None = typer.Option(None, "--future", help="Future covariates file."),
    out: Annotated[Path | None, typer.Option(
        "--out", help="CSV file to write, replaced atomically (default: stdout).")] = None,
) -> None:
    """Forecast the next steps after the end of --data with a saved model."""
    from ..io import check_output_file
    from ..limits import MAX_STEPS, check_count
    from ..tasks.forecasting import Forecaster

    if steps is not None:
        check_count("--steps", steps, MAX_STEPS)
    target = check_output_file(out, option="--out") if out is not None else None
    model = Forecaster.load(find_model(model_dir, "lstmkit forecast"))
    emit_csv(model.predict(data, steps=steps, future=future), target, out)

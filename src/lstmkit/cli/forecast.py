"""``lstmkit forecast``: a CSV (or a bundled series) in; a trained, evaluated, tracked
forecaster, its forecasts, metrics beside the baselines and a picture out.

Everything is written into a staging directory and moved to ``--out`` only when complete,
so a failed run leaves nothing half-written there; an interrupted run stays staged for
``--resume``.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..errors import ModelFileError, TrainingStopped
from .terminal import safe

app = typer.Typer(help="Forecast time series: train and evaluate beside baselines, or "
                  "predict with a saved model.", invoke_without_command=True)
STAGING = ".lstmkit-partial"
DEFAULT_OUT = Path("forecast-out")


@app.callback()
def forecast(
    ctx: typer.Context,
    data: str = typer.Option("airline", "--data", help="CSV/Parquet file or dataset name "
                             "(bundled: airline, msft, electricity)."),
    target: Annotated[list[str] | None, typer.Option(
        "--target", help="Column to forecast (repeatable).")] = None,
    time_col: str | None = typer.Option(None, "--time-col", help="Time stamp column."),
    id_col: str | None = typer.Option(None, "--id-col", help="Series id column."),
    past: Annotated[list[str] | None, typer.Option(
        "--past-covariate", help="Column known up to the origin only (repeatable).")] = None,
    future: Annotated[list[str] | None, typer.Option(
        "--future-covariate", help="Column known ahead (repeatable).")] = None,
    horizon: int | None = typer.Option(None, "--horizon", help="Steps K to forecast."),
    lookback: int | None = typer.Option(None, "--lookback", help="Rows L read."),
    season: int | None = typer.Option(None, "--season",
                                      help="Seasonal period (default: from the frequency)."),
    cell: str = typer.Option("lstm", "--cell", help="lstm, peephole, multiplicative, "
                             "layernorm, gru or rnn."),
    test_size: int | None = typer.Option(None, "--test-size",
                                         help="Rows held out per series (default 3K)."),
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = DEFAULT_OUT,
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run."),
    fill: str | None = typer.Option(None, "--fill", help="Fill gaps and NaNs: ffill or linear."),
    strategy: str = typer.Option("direct", "--strategy", help="direct or autoregressive."),
    distribution: str = typer.Option("quantile", "--distribution",
                                     help="quantile or gaussian."),
    level: float = typer.Option(0.8, "--level", help="Interval level."),
    hidden_size: int = typer.Option(32, "--hidden-size"),
    num_layers: int = typer.Option(1, "--num-layers"),
    bidirectional: bool = typer.Option(False, "--bidirectional"),
    n_models: int = typer.Option(3, "--n-models", help="Ensemble members."),
    epochs: int | None = typer.Option(None, "--epochs", help="Maximum epochs."),
    seed: int = typer.Option(0, "--seed"),
    tracking_uri: str | None = typer.Option(None, "--tracking-uri", help="MLflow URI."),
    no_tracking: bool = typer.Option(False, "--no-tracking", help="Do not record the run."),
) -> None:
    """Train a forecaster, score it beside the baselines on the held-out end of the
    data, and write forecast.csv, metrics.json, backtest.json, forecast.png and model/
    into --out. With no --data: the bundled airline passengers."""
    if ctx.invoked_subcommand is not None:
        return
    from ..tasks.forecasting import Forecaster, ForecastOptions

    options = ForecastOptions(
        target=tuple(target) if target else None, time_col=time_col, id_col=id_col,
        past_covariates=tuple(past or ()), future_covariates=tuple(future or ()), fill=fill,
        horizon=horizon, lookback=lookback, season=season, cell=cell, test_size=test_size,
        strategy=strategy,
        distribution=distribution, level=level, hidden_size=hidden_size,
        num_layers=num_layers, bidirectional=bidirectional, n_models=n_models)
    train = replace(Forecaster.default_train_config(), seed=seed,
                    **({"epochs": epochs} if epochs is not None else {}))
    checked = Forecaster(train=train, **asdict(options)).check(data)
    metrics = run_staged(data, options, train, out, resume=resume, tracking=not no_tracking,
                         tracking_uri=tracking_uri)
    print_summary(metrics, checked, out)


def run_staged(data: str, options, train, out: Path, *, resume: bool, tracking: bool,
               tracking_uri: str | None) -> dict:
    """Run the forecast experiment in ``out``'s staging directory, then move it to ``out``."""
    import json

    from ..errors import CheckpointError
    from ..tasks.experiment import Experiment, ExperimentConfig, run_experiment
    from ..tasks.registry import get_task
    from ..training.model_files import replace_dir

    staging = out.parent / STAGING / out.name
    if resume and not staging.is_dir():
        raise CheckpointError(f"nothing to resume: no interrupted run in {staging}")
    if not resume:
        shutil.rmtree(staging, ignore_errors=True)
    experiment = ExperimentConfig(task="forecast", name=out.name, data=data,
                                  output_dir=str(staging.parent))
    resolved = {"experiment": asdict(experiment), "train": asdict(train),
                "task": asdict(options)}
    exp = Experiment(experiment, train, get_task("forecast"), options, resolved)
    try:
        run_experiment(exp, resume=resume, tracking=tracking, tracking_uri=tracking_uri)
    except TrainingStopped:
        raise  # keep the staged run for --resume
    except Exception:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        _remove_if_empty(staging.parent)
    replace_dir(staging, out)
    _remove_if_empty(staging.parent)
    return json.loads((out / "metrics.json").read_text())


def _remove_if_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def print_summary(metrics: dict, model, out: Path) -> None:
    """The model beside the baselines, one row each, on the test part."""
    r = model.resolved_
    console = Console()
    if r.test_size == 0:
        console.print("no test part (--test-size 0): the model was trained on every row "
                      "and nothing was evaluated; forecast.csv holds the future part")
        console.print(f"wrote {safe(out)}/: forecast.csv, metrics.json, backtest.json, "
                      "forecast.png, model/", highlight=False)
        return
    columns = list(next(iter(metrics.values())))
    table = Table(title=f"Test part: last {r.test_size} rows per series, forecast from its "
                  f"start (horizon {r.horizon}, season {r.season}); lower is better, "
                  f"coverage should be near its nominal level")
    table.add_column("forecaster")
    for column in columns:
        table.add_column(safe(column.replace("coverage_", "coverage ") + (
            "%" if column.startswith("coverage") else "")), justify="right")
    best = min((v["MASE"] for v in metrics.values() if v["MASE"] is not None), default=None)
    for name, scores in metrics.items():
        cells = [_cell(k, v) for k, v in scores.items()]
        style = "bold green" if best is not None and scores["MASE"] == best else None
        table.add_row("LSTM model" if name == "model" else safe(name.replace("_", " ")),
                      *cells, style=style)
    console.print(table)
    console.print(f"wrote {safe(out)}/: forecast.csv, metrics.json, backtest.json, "
                  "forecast.png, model/", highlight=False)


def _cell(key: str, value: float | None) -> str:
    if value is None:
        return "-"
    if key.startswith("coverage"):
        return f"{100 * value:.0f}"
    return f"{value:.2f}" if key in ("MAPE", "sMAPE", "MASE") else f"{value:.4g}"


@app.command("predict")
def predict(
    model_dir: Annotated[Path, typer.Argument(
        help="A saved model (or a forecast --out directory).")],
    data: str = typer.Option(..., "--data", help="History to forecast from (file or name)."),
    steps: int | None = typer.Option(None, "--steps", help="Steps (default K; at most "
                                     "100000)."),
    future: str | None = typer.Option(None, "--future", help="Future covariates file."),
    out: Annotated[Path | None, typer.Option(
        "--out", help="CSV to write (default: stdout).")] = None,
) -> None:
    """Forecast the next steps after the end of --data with a saved model."""
    from ..data.export import spreadsheet_safe
    from ..limits import MAX_STEPS, check_count
    from ..tasks.forecasting import Forecaster

    if steps is not None:
        check_count("--steps", steps, MAX_STEPS)
    if (model_dir / "model" / "config.json").is_file():
        model_dir = model_dir / "model"
    if not (model_dir / "config.json").is_file():
        raise ModelFileError(f"{model_dir}: not a model directory (no config.json); give "
                             "the --out directory of 'lstmkit forecast' or its model/")
    frame = spreadsheet_safe(Forecaster.load(model_dir).predict(data, steps=steps,
                                                                future=future))
    if out is None:
        typer.echo(frame.to_csv(index=False), nl=False)
    else:
        frame.to_csv(out, index=False)
        typer.echo(f"wrote {len(frame)} rows to {out}", err=True)

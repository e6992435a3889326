"""``lstmkit forecast``: a CSV (or a bundled series) in; a trained, evaluated, tracked
forecaster, its forecasts, metrics beside the baselines and a picture out.

Everything is written into a staging directory and moved to ``--out`` only when complete,
so a failed run leaves nothing half-written there; an interrupted run stays staged for
``--resume``. ``--out`` follows lstmkit's output-directory policy (:mod:`lstmkit.io`): a
non-empty directory lstmkit did not write is replaced only with ``--overwrite``.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..errors import ModelFileError
from .terminal import safe

app = typer.Typer(help="Forecast time series: train and evaluate beside baselines, or "
                  "predict with a saved model.", invoke_without_command=True)
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
    out: Annotated[Path, typer.Option("--out", help="Output directory: new, empty, or "
                                      "written by lstmkit (replaced whole when the run "
                                      "completes).")] = DEFAULT_OUT,
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace --out even if it "
                                   "is a non-empty directory lstmkit did not write."),
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
    from ..io import check_output_dir
    from ..tasks.forecasting import Forecaster, ForecastSettings

    check_output_dir(out, option="--out", overwrite=overwrite)
    options = ForecastSettings(
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
                         tracking_uri=tracking_uri, overwrite=overwrite)
    print_summary(metrics, checked, out)


def run_staged(data: str, options, train, out: Path, *, resume: bool, tracking: bool,
               tracking_uri: str | None, overwrite: bool = False) -> dict:
    """Run the forecast experiment staged beside ``out``, then swap it into ``out``
    (:func:`lstmkit.io.staged_output`); returns the hold-out metrics."""
    import json

    from ..experiments import Experiment, ExperimentConfig, run_experiment
    from ..io import check_output_dir
    from ..tasks.registry import get_task

    target = check_output_dir(out, option="--out", overwrite=overwrite)
    experiment = ExperimentConfig(task="forecast", name=target.name, data=data,
                                  output_dir=str(target.parent))
    resolved = {"experiment": asdict(experiment), "train": asdict(train),
                "task": asdict(options)}
    exp = Experiment(experiment, train, get_task("forecast"), options, resolved)
    record = run_experiment(exp, resume=resume, tracking=tracking, tracking_uri=tracking_uri,
                            overwrite=overwrite, option="--out")
    return json.loads((record.run_dir / "metrics.json").read_text())


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
        "--out", help="CSV file to write, replaced atomically (default: stdout).")] = None,
) -> None:
    """Forecast the next steps after the end of --data with a saved model."""
    from ..data.export import spreadsheet_safe
    from ..io import atomic_write, check_output_file
    from ..limits import MAX_STEPS, check_count
    from ..tasks.forecasting import Forecaster

    if steps is not None:
        check_count("--steps", steps, MAX_STEPS)
    target = check_output_file(out, option="--out") if out is not None else None
    if (model_dir / "model" / "config.json").is_file():
        model_dir = model_dir / "model"
    if not (model_dir / "config.json").is_file():
        raise ModelFileError(f"{model_dir}: not a model directory (no config.json); give "
                             "the --out directory of 'lstmkit forecast' or its model/")
    frame = spreadsheet_safe(Forecaster.load(model_dir).predict(data, steps=steps,
                                                                future=future))
    if target is None:
        typer.echo(frame.to_csv(index=False), nl=False)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, frame.to_csv(index=False).encode("utf-8"))
        typer.echo(safe(f"wrote {len(frame)} rows to {out}", markup=False), err=True)

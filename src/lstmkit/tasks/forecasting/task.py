"""The ``forecast`` task: ``lstmkit forecast`` and ``lstmkit train`` with
``task = "forecast"``.

Fits a :class:`Forecaster` on the dataset and writes into the run directory:

* ``forecast.csv``: the test part's forecast beside the actual values (``part = test``)
  and the forecast of the steps after the data (``part = future``);
* ``metrics.json``: ``{"model": {"MAE": ...}, "seasonal_naive": {...}, ...}`` on the
  test part; ``backtest.json``: the same for the rolling-origin backtest;
* ``forecast.png``: history, forecast, interval band and actuals, and the training curve;
* ``model/``: the saved model.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from ...training.safetensors_io import atomic_write
from ...viz.forecast import plot_forecast
from ..registry import TaskResult, TaskRun, register_task
from .estimator import Forecaster
from .options import ForecastOptions


def run_forecast(run: TaskRun) -> TaskResult:
    """Fit, evaluate against the baselines, forecast ahead, save; see the module docstring."""
    source = run.data.name if run.data.kind == "bundled" else str(run.data.path)
    model = Forecaster(train=run.train, checkpoint_dir=run.checkpoint_dir,
                       progress=run.progress, **asdict(run.options))
    model.fit(source, resume=run.resume, callbacks=run.callbacks)
    metrics = write_outputs(model, run.run_dir, title=run.data.name)
    model.save(run.model_dir)
    flat = {f"{name}.{key}": value for name, scores in metrics.items()
            for key, value in scores.items() if value is not None}
    return TaskResult(metrics=flat, model_dir=run.model_dir, history=model.history_[0])


def write_outputs(model: Forecaster, out: Path, *, title: str = "") -> dict:
    """Write forecast.csv, metrics.json, backtest.json and forecast.png into ``out``;
    returns the hold-out metrics."""
    test, metrics = model.evaluate()
    _, backtest = model.backtest()
    future = model.predict() if not model.options.future_covariates else None
    frames = [test.drop(columns="origin").assign(part="test")]
    if future is not None:
        frames.append(future.assign(part="future", actual=float("nan")))
    table = pd.concat(frames, ignore_index=True)
    first = ["series", "time", "target", "part", "forecast"]
    table = table[first + [c for c in table.columns if c not in first]]
    table.to_csv(out / "forecast.csv", index=False)
    atomic_write(out / "metrics.json", json.dumps(metrics, indent=2).encode())
    atomic_write(out / "backtest.json", json.dumps(backtest, indent=2).encode())
    plot_forecast(observed(model), table, model.history_, out / "forecast.png",
                  level=max(model.levels), title=title)
    return metrics


def observed(model: Forecaster) -> pd.DataFrame:
    """The fitted data as rows ``series, time, target, actual``."""
    data, frames = model.data_, []
    for i, name in enumerate(data.ids):
        for c, target in enumerate(data.target_names):
            frames.append(pd.DataFrame({"series": name, "time": data.times[i], "target": target,
                                        "actual": data.targets[i][:, c]}))
    return pd.concat(frames, ignore_index=True)


register_task("forecast", run_forecast, options=ForecastOptions, uses_data=True,
              description="Forecast time series (CSV/Parquet) with baselines and intervals")

"""The ``forecast`` task: ``lstmkit forecast`` and ``lstmkit train`` with
``task = "forecast"``.

Fits a :class:`Forecaster` on the dataset and writes into the run directory:

* ``forecast.csv``: the test part's forecast beside the actual values (``part = test``)
  and the forecast of the steps after the data (``part = future``); text cells that a
  spreadsheet would run as a formula are written with a leading ``'``;
* ``metrics.json``: ``{"model": {"MAE": ..., "OWA": ..., "MSIS": ...}, "AutoETS": {...},
  "naive2": {...}, ...}`` on the test part, one entry per baseline of
  :func:`~lstmkit.tasks.forecasting.baselines.baselines` (metrics that are undefined,
  such as MASE of a constant series, are ``null``); ``backtest.json``: the same for
  the rolling-origin backtest. With ``test_size = 0`` both hold :data:`NO_TEST_PART` instead;
* ``forecast.png``: history, forecast, interval band and actuals, and the training curve;
* ``model/``: the saved model.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ...data.export import spreadsheet_safe
from ...io import atomic_write
from ...viz.forecast import plot_forecast
from ..registry import TaskResult, TaskRun, estimator_from_settings, register_task
from .estimator import Forecaster
from .settings import ForecastSettings

FIRST_COLUMNS = ["series", "time", "target", "part", "forecast"]
NO_TEST_PART = {"test_size": 0, "note": "no test part: test_size is 0, so nothing was "
                "evaluated (forecast.csv holds the future part only)"}
"""metrics.json and backtest.json of a run with ``test_size = 0``."""


def run_forecast(run: TaskRun) -> TaskResult:
    """Fit, evaluate against the baselines, forecast ahead, save; see the module docstring."""
    source = run.data.name if run.data.kind == "bundled" else str(run.data.path)
    model = estimator_from_settings(Forecaster, run).fit(
        source, callbacks=run.callbacks, checkpoint_dir=run.checkpoint_dir, resume=run.resume)
    metrics = write_outputs(model, run.run_dir, title=run.data.name)
    model.save(run.model_dir)
    flat = {f"{name}.{key}": value for name, scores in metrics.items()
            if isinstance(scores, dict) for key, value in scores.items() if value is not None}
    return TaskResult(metrics=flat, model_dir=run.model_dir, history=model.history_[0])


def write_outputs(model: Forecaster, out: Path, *, title: str = "") -> dict:
    """Write forecast.csv, metrics.json, backtest.json and forecast.png into ``out``;
    returns the hold-out metrics (:data:`NO_TEST_PART` when ``test_size`` is 0)."""
    frames = []
    if model.resolved_.test_size > 0:
        test, metrics = model.evaluate()
        _, backtest = model.backtest()
        frames.append(test.drop(columns="origin").assign(part="test"))
    else:
        metrics = backtest = dict(NO_TEST_PART)
    if not model.settings.future_covariates:
        frames.append(model.predict().assign(part="future", actual=float("nan")))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=[*FIRST_COLUMNS, "actual"])
    table = table[FIRST_COLUMNS + [c for c in table.columns if c not in FIRST_COLUMNS]]
    spreadsheet_safe(table).to_csv(out / "forecast.csv", index=False)
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


register_task("forecast", run_forecast, options=ForecastSettings, estimator=Forecaster,
              uses_data=True,
              description="Forecast time series (CSV/Parquet) with baselines and intervals")

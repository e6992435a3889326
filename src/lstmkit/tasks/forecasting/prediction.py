"""Turning windows of a fitted forecaster's data into tidy, unscaled forecast tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch

from ...data.tables import read_table
from ...data.timeseries import TimeSeriesData
from ...errors import DatasetError
from ...models.seasonal_window import multiplicative_fits
from ...threads import torch_threads
from .features import known_after, series_features
from .rollout import RolledForecast, rollout

if TYPE_CHECKING:
    from .estimator import Forecaster
    from .resolve import Resolved


def future_values(model: Forecaster, series: TimeSeriesData, future: Any, steps: int
                  ) -> list[np.ndarray]:
    """Per series, the future covariates of the ``max(steps, K)`` rows to forecast, read
    from the table ``future`` (empty arrays when the model has none)."""
    rows, p = max(steps, model.model_horizon), model.settings
    if not p.future_covariates:
        return [np.zeros((rows, 0)) for _ in series.ids]
    if future is None:
        raise DatasetError(f"Forecaster: the model uses future covariates "
                           f"({', '.join(p.future_covariates)}); pass their "
                           f"values for the next {rows} steps with future= (--future)")
    frame, where = read_table(future, text_columns=[p.id_col] if p.id_col else [])
    values = []
    for name in series.ids:
        part = frame if p.id_col is None else frame[frame[p.id_col].astype(str) == name]
        if len(part) < rows:
            raise DatasetError(f"{where}: {len(part)} future rows for series {name!r}, "
                               f"need {rows}")
        values.append(part[list(p.future_covariates)].to_numpy(np.float64)[:rows])
    return values


def forecast_after(model: Forecaster, series: TimeSeriesData, ends: list[int], steps: int,
                   future: list[np.ndarray]) -> pd.DataFrame:
    """Forecast ``steps`` steps after row ``ends[i]`` of each series ``i`` (rows from
    ``ends[i]`` on are never read as targets); one tidy row per series, step and target.

    Inside the data the known features of the forecast rows are the data's own; after
    its end they come from ``future`` and the calendar. The intervals are those of the
    network, scaled by the model's conformal calibration if it has one
    (:mod:`~lstmkit.tasks.forecasting.intervals`)."""
    r, rows = model.resolved_, max(steps, model.model_horizon)
    windows, knowns, stamps = [], [], []
    for i, name in enumerate(series.ids):
        end = ends[i]
        feats = series_features(model.scalers_, name, series.times[i], series.targets[i],
                                series.past[i], series.future[i], r.calendar,
                                history=slice(0, end))
        windows.append(feats.inputs[end - r.lookback:end])
        cov_history = np.concatenate([series.past[i], series.future[i]], axis=1)[:end]
        times, known = known_after(model.scalers_, name, series.times[i][end - 1], r.freq,
                                   rows, future[i], r.calendar, cov_history)
        if end < len(series.targets[i]):  # inside the data: use its own rows
            times = series.times[i][end:end + rows]
            known = feats.known[end:end + rows]
        knowns.append(known)
        stamps.append(times[:steps])
    x = torch.tensor(np.stack(windows), dtype=torch.float32)  # (S, L, I)
    if r.multiplicative:
        check_seasons(series, x[:, :, :len(series.target_names)], r)
    known = torch.tensor(np.stack(knowns), dtype=torch.float32)  # (S, n', F)
    position = {n: k for k, n in enumerate(model.scalers_.target.ids_)}  # fit's series
    index = torch.tensor([position.get(n, -1) for n in series.ids])  # -1: a new series
    with torch_threads(1):  # a small model's inference is several times faster so
        rolled = rollout(model.network_, x, known, steps, levels=model.levels,
                         n_paths=model.settings.n_paths, seed=model.train_config.seed,
                         series=index, beyond=model.settings.beyond_horizon)
    from .intervals import apply_calibration  # intervals imports this module

    columns = apply_calibration(tidy(model, series, ends, stamps, rolled),
                                model.__dict__.get("conformal_"), steps)
    return pd.DataFrame(columns, copy=False)  # once, from the calibrated arrays


def check_seasons(series: TimeSeriesData, windows: torch.Tensor, r: Resolved) -> None:
    """A model with a multiplicative season divides each window by its seasons' means and
    its profile of ratios, so those must be above zero, as they were in every value the
    model was fitted on (:func:`~lstmkit.models.seasonal_window.multiplicative_fits`).

    Raises:
        DatasetError: naming the first series whose window cannot be read so.
    """
    fits = multiplicative_fits(windows, r.season, r.recent)
    if not bool(fits.all()):
        name = series.ids[int((~fits).int().argmax())]
        label = "the series" if name == "0" else f"series {name!r}"
        raise DatasetError(
            f"Forecaster: the last {r.lookback} values of {label} have a season whose mean "
            "(or a seasonal ratio) is <= 0, but this model has a multiplicative season "
            "(every value it was fitted on was > 0); refit it with "
            "seasonality='additive' (--seasonality additive)")


def tidy(model: Forecaster, series: TimeSeriesData, ends: list[int], stamps: list[pd.Index],
         rolled: RolledForecast) -> dict[str, Any]:
    """Unscaled forecasts as the columns ``series, time, target, forecast, lower_*,
    upper_*`` of a table: per series and target, its steps in order (one block of
    ``steps`` rows each)."""
    columns = {"forecast": rolled.point}
    for lv, (lower, upper) in rolled.bounds.items():
        columns[f"lower_{level_name(lv)}"] = lower
        columns[f"upper_{level_name(lv)}"] = upper
    steps, names = rolled.point.shape[1], series.target_names
    values: dict[str, list[np.ndarray]] = {k: [] for k in columns}
    for i, name in enumerate(series.ids):
        history = series.targets[i][:ends[i]]
        for k, v in columns.items():  # (n, C) -> C blocks of n rows
            unscaled = model.scalers_.target.inverse(name, v[i].double().numpy(), history)
            values[k].append(unscaled.T.reshape(-1))
    return {"series": np.repeat(series.ids, steps * len(names)),
            "time": _concat([t for t in stamps for _ in names]),  # keeps a time zone
            "target": np.tile(np.repeat(names, steps), len(series.ids)),
            **{k: np.concatenate(v) for k, v in values.items()}}


def _concat(indexes: list[pd.Index]) -> pd.Index:
    return indexes[0].append(indexes[1:]) if len(indexes) > 1 else indexes[0]


def level_name(level: float) -> str:
    """``80`` for 0.8, ``97.5`` for 0.975: the suffix of interval columns.

    Example:
        >>> level_name(0.8), level_name(0.975)
        ('80', '97.5')
    """
    return f"{level * 100:g}"

"""Scoring a fitted :class:`~lstmkit.tasks.forecasting.Forecaster` on its test part,
beside the baselines fitted on exactly the same history.

Hold-out: one forecast of the whole test part from its origin. Backtest: K-step
forecasts from origins rolled through the test part, each conditioned on the actual
values before it (weights and scalers stay those of ``fit``: no test value is trained on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ...errors import ConfigError
from .baselines import baselines
from .metrics import METRICS, mase_scale, score
from .prediction import forecast_after

if TYPE_CHECKING:
    from .estimator import Forecaster


def evaluate_holdout(model: Forecaster) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """The hold-out forecast frame (with ``actual`` and ``origin``) and the metrics."""
    test_size = _test_size(model)
    return _score_origins(model, [[s.origin] for s in model.splits_], test_size)


def evaluate_backtest(model: Forecaster, *, step: int | None = None
                      ) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """Rolling-origin forecasts of K steps every ``step`` rows of the test part."""
    _test_size(model)
    horizon = model.resolved_.horizon
    step = step or horizon
    origins = [list(range(s.origin, s.n - horizon + 1, step)) for s in model.splits_]
    return _score_origins(model, origins, horizon)


def _test_size(model: Forecaster) -> int:
    if model.resolved_.test_size == 0:
        raise ConfigError("Forecaster: test_size is 0, so there is no test part to evaluate; "
                          "fit with test_size > 0")
    return model.resolved_.test_size


def _score_origins(model: Forecaster, origins: list[list[int]], steps: int
                   ) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    data, frames = model.data_, []
    rounds = max(len(o) for o in origins)
    for k in range(rounds):
        keep = [i for i, o in enumerate(origins) if k < len(o)]
        ends = [origins[i][k] if i in keep else len(data.targets[i]) for i in range(len(data.ids))]
        frame = forecast_after(model, data, ends, steps, _empty_future(model, data, steps))
        frame = frame[frame["series"].isin([data.ids[i] for i in keep])]
        frames.append(_with_actuals(frame, data, ends))
    forecasts = pd.concat(frames, ignore_index=True)
    return forecasts, _metrics(model, forecasts)


def _empty_future(model: Forecaster, data, steps: int) -> list[np.ndarray]:
    rows = max(steps, model.model_horizon)
    return [np.zeros((rows, len(model.settings.future_covariates))) for _ in data.ids]


def _with_actuals(frame: pd.DataFrame, data, ends: list[int]) -> pd.DataFrame:
    parts = []
    for i, name in enumerate(data.ids):
        for c, target in enumerate(data.target_names):
            part = frame[(frame["series"] == name) & (frame["target"] == target)].copy()
            rows = slice(ends[i], ends[i] + len(part))
            part["actual"] = data.targets[i][rows, c]
            part["origin"] = data.times[i][ends[i] - 1]
            parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _metrics(model: Forecaster, forecasts: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Every metric for the model and each baseline, averaged over series, targets and
    origins; coverage is named after its level (``coverage_80``)."""
    data, r = model.data_, model.resolved_
    level = max(model.levels)
    lower, upper = f"lower_{level * 100:g}", f"upper_{level * 100:g}"
    scores: dict[str, list[dict[str, float]]] = {"model": []}
    for (name, target, origin), part in forecasts.groupby(["series", "target", "origin"],
                                                         sort=False):
        i, c = data.ids.index(name), data.target_names.index(target)
        end = data.times[i].get_loc(origin) + 1
        history, actual = data.targets[i][:end, c], part["actual"].to_numpy()
        scale = mase_scale(data.targets[i][:model.splits_[i].origin, c], r.season)
        scores["model"].append(score(actual, part["forecast"].to_numpy(), scale=scale,
                                     lower=part[lower].to_numpy(),
                                     upper=part[upper].to_numpy()))
        for base, fn in baselines().items():
            point, lo, hi = fn(history, len(actual), r.season, level)
            scores.setdefault(base, []).append(score(actual, point, scale=scale,
                                                     lower=lo, upper=hi))
    coverage = f"coverage_{level * 100:g}"
    return {name: {coverage if m == "coverage" else m: _mean([s[m] for s in rows])
                   for m in METRICS} for name, rows in scores.items()}


def _mean(values: list[float]) -> float | None:
    """The mean of the finite values; None (JSON null) if there are none."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else None

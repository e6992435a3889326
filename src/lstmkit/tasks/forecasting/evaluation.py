"""Scoring a fitted :class:`~lstmkit.tasks.forecasting.Forecaster` on its test part,
beside the baselines fitted on exactly the same history.

Hold-out: one forecast of the whole test part from its origin. Backtest: K-step
forecasts from origins rolled through the test part, each conditioned on the actual
values before it (weights and scalers stay those of ``fit``: no test value is trained on;
the statsforecast baselines likewise keep the parameters fitted at the test origin).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ...errors import ConfigError
from .baselines import baselines
from .metrics import METRICS, mase_scale, owa, score
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
    origins; OWA against Naive2 from those averages; coverage is named after its level
    (``coverage_80``). The statsforecast baselines keep the parameters fitted at the test
    origin (``fit_on``), like the network its weights."""
    data, r = model.data_, model.resolved_
    level = max(model.levels)
    lower, upper = f"lower_{level * 100:g}", f"upper_{level * 100:g}"
    scores: dict[str, list[dict[str, float]]] = {"model": []}
    found = baselines()
    for (name, target, origin), part in forecasts.groupby(["series", "target", "origin"],
                                                         sort=False):
        i, c = data.ids.index(name), data.target_names.index(target)
        end, fit_on = data.times[i].get_loc(origin) + 1, model.splits_[i].origin
        history, actual = data.targets[i][:end, c], part["actual"].to_numpy()
        scale = mase_scale(data.targets[i][:fit_on, c], r.season)
        scores["model"].append(score(actual, part["forecast"].to_numpy(), scale=scale,
                                     lower=part[lower].to_numpy(),
                                     upper=part[upper].to_numpy(), level=level))
        for base, fn in found.items():
            point, lo, hi = fn(history, len(actual), r.season, level, fit_on=fit_on)
            scores.setdefault(base, []).append(score(actual, point, scale=scale, lower=lo,
                                                     upper=hi, level=level))
    means = {name: {m: _mean([s[m] for s in rows]) for m in METRICS if m != "OWA"}
             for name, rows in scores.items()}
    return {name: _named(mean, means.get("naive2"), level) for name, mean in means.items()}


def _named(mean: dict[str, float | None], naive2: dict | None, level: float) -> dict:
    """The metrics of one forecaster in :data:`METRICS` order, with OWA against Naive2
    and coverage named after its level."""
    ref = naive2 or {}
    mean["OWA"] = owa(mean["sMAPE"], mean["MASE"], ref.get("sMAPE"), ref.get("MASE"))
    coverage = f"coverage_{level * 100:g}"
    return {coverage if m == "coverage" else m: mean[m] for m in METRICS}


def rank(metrics: dict[str, dict[str, float | None]], *, by: str = "MASE",
         who: str = "model") -> tuple[int, int] | None:
    """``who``'s rank (1 = best, ties share the better rank) among every forecaster of
    ``metrics`` with a value of ``by``, and their number; None if ``who`` has none.

    Example:
        >>> rank({"model": {"MASE": 0.9}, "naive": {"MASE": 1.2}, "ets": {"MASE": 0.7}})
        (2, 3)
    """
    values = {k: v.get(by) for k, v in metrics.items() if isinstance(v, dict)}
    scored = [v for v in values.values() if v is not None]
    if values.get(who) is None:
        return None
    return 1 + sum(v < values[who] for v in scored), len(scored)


def _mean(values: list[float]) -> float | None:
    """The mean of the finite values; None (JSON null) if there are none."""
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else None

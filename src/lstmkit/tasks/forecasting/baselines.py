"""Baseline forecasts reported beside every model: naive, seasonal naive, drift, and
Holt-Winters exponential smoothing when statsmodels is installed.

Each baseline maps a 1-D history to ``steps`` point forecasts and an interval at a
stated level. The naive-family intervals are the textbook ones (Hyndman & Athanasopoulos,
*Forecasting: Principles and Practice*, section 5.5): the residual standard deviation
``sigma`` widened with the step ``h``, assuming normal errors.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable

import numpy as np

from ...models.forecast_net import normal_quantile

Forecast = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]
BaselineFn = Callable[[np.ndarray, int, int, float], Forecast]


def _band(point: np.ndarray, sigma: float, widen: np.ndarray, level: float) -> Forecast:
    half = normal_quantile(0.5 + level / 2) * sigma * widen
    return point, point - half, point + half


def naive(history: np.ndarray, steps: int, season: int, level: float) -> Forecast:
    """The last value, repeated; interval widens as ``sigma * sqrt(h)``.

    Example:
        >>> naive(np.array([1.0, 2.0, 3.0]), 2, 1, 0.8)[0]
        array([3., 3.])
    """
    sigma = float(np.std(np.diff(history))) if len(history) > 1 else 0.0
    h = np.arange(1, steps + 1)
    return _band(np.full(steps, history[-1]), sigma, np.sqrt(h), level)


def seasonal_naive(history: np.ndarray, steps: int, season: int, level: float) -> Forecast:
    """The value one season earlier; interval widens as ``sigma * sqrt(k + 1)`` after ``k``
    whole seasons. Falls back to :func:`naive` when the history is not longer than a season.

    Example:
        >>> seasonal_naive(np.array([1.0, 2.0, 3.0, 4.0]), 3, 2, 0.8)[0]
        array([3., 4., 3.])
    """
    if season < 2 or len(history) <= season:
        return naive(history, steps, season, level)
    last = history[-season:]
    point = np.array([last[i % season] for i in range(steps)])
    sigma = float(np.std(history[season:] - history[:-season]))
    k = np.arange(steps) // season
    return _band(point, sigma, np.sqrt(k + 1), level)


def drift(history: np.ndarray, steps: int, season: int, level: float) -> Forecast:
    """The line through the first and last values, extended; interval widens as
    ``sigma * sqrt(h * (1 + h / T))``.

    Example:
        >>> drift(np.array([1.0, 2.0, 3.0]), 2, 1, 0.8)[0]
        array([4., 5.])
    """
    n = len(history)
    slope = (history[-1] - history[0]) / (n - 1) if n > 1 else 0.0
    h = np.arange(1, steps + 1)
    residuals = np.diff(history) - slope
    sigma = float(np.std(residuals)) if n > 2 else 0.0
    return _band(history[-1] + slope * h, sigma, np.sqrt(h * (1 + h / n)), level)


def exponential_smoothing(history: np.ndarray, steps: int, season: int,
                          level: float) -> Forecast:
    """Holt-Winters (statsmodels): additive trend, multiplicative season for positive
    data (additive otherwise), no season when the history is shorter than two seasons.
    The interval comes from 500 simulated paths (fixed seed)."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    seasonal = None
    if season > 1 and len(history) >= 2 * season:
        seasonal = "mul" if np.all(history > 0) else "add"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ExponentialSmoothing(history, trend="add", seasonal=seasonal,
                                     seasonal_periods=season if seasonal else None,
                                     initialization_method="estimated").fit()
        paths = model.simulate(steps, repetitions=500, random_state=0,
                               error="mul" if seasonal == "mul" else "add")  # (steps, 500)
    point = np.asarray(model.forecast(steps), dtype=np.float64)
    lower, upper = np.quantile(np.asarray(paths).reshape(steps, -1),
                               [0.5 - level / 2, 0.5 + level / 2], axis=1)
    return point, lower, upper


def baselines() -> dict[str, BaselineFn]:
    """The baselines available here, by the name reports use.

    Example:
        >>> list(baselines())[:3]
        ['naive', 'seasonal_naive', 'drift']
    """
    found: dict[str, BaselineFn] = {"naive": naive, "seasonal_naive": seasonal_naive,
                                    "drift": drift}
    if importlib.util.find_spec("statsmodels") is not None:
        found["exponential_smoothing"] = exponential_smoothing
    return found

"""Baseline forecasts reported beside every model.

* The statistical gold standard, from statsforecast (the ``forecast`` extra): AutoETS,
  AutoARIMA and AutoTheta, each with its own prediction interval at the stated level.
  Without statsforecast, statsmodels' Holt-Winters stands in (:func:`skipped_baselines`
  says so in one line).
* The simple ones, written here because they are a few lines and need nothing: naive,
  seasonal naive, drift, and M4's **Naive2** (naive on the seasonally adjusted series;
  the M4 Competitor's Guide, 2018, and its benchmark code), the reference of OWA.

Each baseline maps a 1-D history to ``steps`` point forecasts and an interval at a
stated level. With ``fit_on=n`` the statsforecast models keep the parameters fitted on
``history[:n]`` and only filter the rest (statsforecast's ``forward``): a fixed-parameter
rolling origin, as for the network. The naive-family intervals are the textbook ones
(Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, section 5.5): the
residual standard deviation ``sigma`` widened with the step ``h``, assuming normal errors.
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from collections.abc import Callable

import numpy as np

from ...models.forecast_net import normal_quantile

Forecast = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]
BaselineFn = Callable[..., Forecast]
STATSFORECAST = ("AutoETS", "AutoARIMA", "AutoTheta")
"""The statsforecast models reported, by their class names (also their report names)."""


def _band(point: np.ndarray, sigma: float, widen: np.ndarray, level: float) -> Forecast:
    half = normal_quantile(0.5 + level / 2) * sigma * widen
    return point, point - half, point + half


def naive(history: np.ndarray, steps: int, season: int, level: float, **_) -> Forecast:
    """The last value, repeated; interval widens as ``sigma * sqrt(h)``.

    Example:
        >>> naive(np.array([1.0, 2.0, 3.0]), 2, 1, 0.8)[0]
        array([3., 3.])
    """
    sigma = float(np.std(np.diff(history))) if len(history) > 1 else 0.0
    h = np.arange(1, steps + 1)
    return _band(np.full(steps, history[-1]), sigma, np.sqrt(h), level)


def seasonal_naive(history: np.ndarray, steps: int, season: int, level: float,
                   **_) -> Forecast:
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


def drift(history: np.ndarray, steps: int, season: int, level: float, **_) -> Forecast:
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


def is_seasonal(history: np.ndarray, season: int) -> bool:
    """M4's seasonality test: the autocorrelation at lag ``season`` exceeds its 90% limit
    ``1.645 * sqrt((1 + 2 * sum_{k<season} r_k^2) / T)``; needs ``T >= 3 * season``.

    Example:
        >>> t = np.arange(48)
        >>> is_seasonal(np.sin(2 * np.pi * t / 12) + 5, 12), is_seasonal(t + 1.0, 12)
        (True, False)
    """
    n = len(history)
    if season < 2 or n < 3 * season:
        return False
    x = history - history.mean()
    denominator = float(x @ x)
    if denominator == 0:
        return False
    r = np.array([x[k:] @ x[:n - k] for k in range(1, season + 1)]) / denominator
    limit = 1.645 * np.sqrt((1 + 2 * np.sum(r[:-1] ** 2)) / n)
    return bool(abs(r[-1]) > limit)


def seasonal_indices(history: np.ndarray, season: int) -> np.ndarray:
    """Classical multiplicative decomposition (R's ``decompose``, as M4's Naive2 uses):
    the ratio to the centred moving average of order ``season``, averaged per position
    and normalised to mean 1; ``history[t]`` has the index ``[t % season]``. Written out
    because it is ten lines; a test checks it against statsmodels' ``seasonal_decompose``.
    """
    weights = np.full(season + 1 - season % 2, 1.0 / season)
    if season % 2 == 0:  # 2 x m moving average: half weight on both ends
        weights[[0, -1]] = 0.5 / season
    trend = np.convolve(history, weights, mode="valid")  # (T - 2 * half,)
    half = len(weights) // 2
    ratio = history[half:len(history) - half] / trend
    positions = np.arange(half, len(history) - half) % season
    figure = np.array([ratio[positions == j].mean() for j in range(season)])
    return figure / figure.mean()


def naive2(history: np.ndarray, steps: int, season: int, level: float, **_) -> Forecast:
    """M4's Naive2: when :func:`is_seasonal` (and the data are positive), naive on the
    series divided by its :func:`seasonal_indices`, multiplied back; else :func:`naive`.

    Example:
        >>> naive2(np.array([1.0, 2.0, 3.0]), 2, 12, 0.8)[0]
        array([3., 3.])
    """
    if not (np.all(history > 0) and is_seasonal(history, season)):
        return naive(history, steps, season, level)
    index = seasonal_indices(history, season)
    n = len(history)
    adjusted = history / index[np.arange(n) % season]
    ahead = index[np.arange(n, n + steps) % season]
    point, lower, upper = naive(adjusted, steps, season, level)
    return point * ahead, lower * ahead, upper * ahead


@functools.lru_cache(maxsize=512)
def _fitted(name: str, values: bytes, season: int):
    """A statsforecast model fitted on ``values`` (float64 bytes; cached, so that the
    hold-out and the backtest's first origin share one fit).

    AutoARIMA with a season longer than 12 (hourly, weekly) chooses its orders on the
    approximate likelihood, as R's ``auto.arima`` does by default for such seasons: the
    exact search took 17 minutes on the bundled hourly electricity series (2,000 hours),
    the approximate one under 2. Monthly and shorter seasons keep the exact search."""
    from statsforecast import models

    options = {"approximation": True} if name == "AutoARIMA" and season > 12 else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(models, name)(season_length=season, **options).fit(
            np.frombuffer(values))


def statsforecast_model(name: str) -> BaselineFn:
    """The baseline of statsforecast's model ``name`` (``"AutoETS"``, ...): its point
    forecast and its own interval at the stated level."""

    def forecast(history: np.ndarray, steps: int, season: int, level: float, *,
                 fit_on: int | None = None) -> Forecast:
        fit_on = len(history) if fit_on is None else fit_on
        percent = round(100 * level, 6)
        percent = int(percent) if percent == int(percent) else percent
        try:
            model = _fitted(name, np.ascontiguousarray(history[:fit_on], np.float64).tobytes(),
                            season)
        except NotImplementedError:  # statsforecast's "tiny datasets": no forecast
            nothing = np.full(steps, np.nan)
            return nothing, nothing, nothing
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = (model.predict(h=steps, level=[percent]) if fit_on == len(history) else
                   model.forward(y=history, h=steps, level=[percent]))
        return tuple(np.asarray(out[k], dtype=np.float64)
                     for k in ("mean", f"lo-{percent}", f"hi-{percent}"))

    forecast.__name__ = name
    return forecast


def exponential_smoothing(history: np.ndarray, steps: int, season: int,
                          level: float, **_) -> Forecast:
    """Holt-Winters (statsmodels), the stand-in when statsforecast is missing: additive
    trend, multiplicative season for positive data (additive otherwise), no season when
    the history is shorter than two seasons. The interval comes from 500 simulated paths
    (fixed seed)."""
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


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def baselines() -> dict[str, BaselineFn]:
    """The baselines available here, by the name reports use: naive, seasonal naive,
    drift, Naive2, then statsforecast's models (or Holt-Winters without statsforecast).

    Example:
        >>> list(baselines())[:4]
        ['naive', 'seasonal_naive', 'drift', 'naive2']
    """
    found: dict[str, BaselineFn] = {"naive": naive, "seasonal_naive": seasonal_naive,
                                    "drift": drift, "naive2": naive2}
    if _installed("statsforecast"):
        found.update({name: statsforecast_model(name) for name in STATSFORECAST})
    elif _installed("statsmodels"):
        found["exponential_smoothing"] = exponential_smoothing
    return found


def skipped_baselines() -> str | None:
    """One line naming the baselines skipped for want of statsforecast and how to install
    it; None when nothing is skipped."""
    if _installed("statsforecast"):
        return None
    instead = ("; Holt-Winters (statsmodels) is shown instead" if _installed("statsmodels")
               else "")
    return (f"baselines skipped: {', '.join(STATSFORECAST)} (statsforecast is not "
            f"installed: pip install 'lstmkit[forecast]'){instead}")

"""Forecast accuracy metrics: MAE, RMSE, MAPE, sMAPE, MASE, OWA, MSIS and coverage.

Each function takes 1-D arrays of actual values and forecasts for one series and target.
:func:`score` computes them all but OWA, which M4 defines on the averages over all series
(:func:`owa`); scores over many series are averaged by the caller. MASE, OWA and MSIS
follow the M4 competition (the M4 Competitor's Guide, 2018; Makridakis, Spiliotis &
Assimakopoulos 2020, *The M4 Competition: 100,000 time series and 61 forecasting
methods*, IJF 36(1)); MSIS is Gneiting & Raftery's (2007) interval score, scaled.
"""

from __future__ import annotations

import numpy as np

METRICS = ("MAE", "RMSE", "MAPE", "sMAPE", "MASE", "OWA", "MSIS", "coverage")
"""The metric names, in the order reports show them."""


def mae(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute error.

    Example:
        >>> mae(np.array([1.0, 2.0]), np.array([2.0, 2.0]))
        0.5
    """
    return float(np.mean(np.abs(actual - forecast)))


def rmse(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Root mean squared error."""
    return float(np.sqrt(np.mean((actual - forecast) ** 2)))


def mape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean absolute percentage error, in percent (NaN if an actual value is 0).

    Example:
        >>> mape(np.array([100.0, 200.0]), np.array([110.0, 180.0]))
        10.0
    """
    if np.any(actual == 0):
        return float("nan")
    return float(100 * np.mean(np.abs((actual - forecast) / actual)))


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in percent: ``200 * |a - f| / (|a| + |f|)`` averaged (0/0 counts 0)."""
    denominator = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(np.abs(actual - forecast), denominator,
                      out=np.zeros_like(denominator), where=denominator > 0)
    return float(200 * np.mean(ratio))


def mase_scale(history: np.ndarray, season: int) -> float:
    """MASE's denominator: the in-sample MAE of the seasonal naive forecast on ``history``
    (lag ``season``, or lag 1 if the history is not longer than a season).

    Example:
        >>> mase_scale(np.array([1.0, 2.0, 4.0]), season=1)
        1.5
    """
    lag = season if len(history) > season else 1
    return float(np.mean(np.abs(history[lag:] - history[:-lag])))


def mase(actual: np.ndarray, forecast: np.ndarray, scale: float) -> float:
    """Mean absolute scaled error: MAE divided by ``scale`` (see :func:`mase_scale`)."""
    return mae(actual, forecast) / scale if scale > 0 else float("nan")


def msis(actual: np.ndarray, lower: np.ndarray | None, upper: np.ndarray | None, *,
         scale: float, level: float) -> float:
    """M4's mean scaled interval score of the ``level`` interval (M4 used 95%): the mean of
    ``(U - L) + 2/a * (L - y) [y < L] + 2/a * (y - U) [y > U]`` with ``a = 1 - level``,
    divided by ``scale`` (see :func:`mase_scale`); NaN without an interval.

    Example:
        >>> round(msis(np.array([1.0, 5.0]), np.array([0.0, 0.0]), np.array([2.0, 2.0]),
        ...            scale=1.0, level=0.8), 6)
        17.0
    """
    if lower is None or upper is None or not scale > 0:
        return float("nan")
    alpha = 1 - level
    penalty = (np.maximum(lower - actual, 0) + np.maximum(actual - upper, 0)) * 2 / alpha
    return float(np.mean(upper - lower + penalty) / scale)


def owa(smape_: float | None, mase_: float | None, smape_naive2: float | None,
        mase_naive2: float | None) -> float | None:
    """M4's overall weighted average: the mean of sMAPE / sMAPE(Naive2) and
    MASE / MASE(Naive2), each averaged over all series first; None if undefined.

    Example:
        >>> owa(10.0, 0.8, 20.0, 1.0)
        0.65
    """
    values = (smape_, mase_, smape_naive2, mase_naive2)
    if any(v is None or not np.isfinite(v) for v in values) or not (
            smape_naive2 > 0 and mase_naive2 > 0):
        return None
    return 0.5 * (smape_ / smape_naive2 + mase_ / mase_naive2)


def coverage(actual: np.ndarray, lower: np.ndarray | None, upper: np.ndarray | None) -> float:
    """Fraction of actual values inside ``[lower, upper]`` (NaN without an interval).

    Example:
        >>> coverage(np.array([1.0, 5.0]), np.array([0.0, 0.0]), np.array([2.0, 2.0]))
        0.5
    """
    if lower is None or upper is None:
        return float("nan")
    return float(np.mean((actual >= lower) & (actual <= upper)))


def score(actual: np.ndarray, forecast: np.ndarray, *, scale: float,
          lower: np.ndarray | None = None, upper: np.ndarray | None = None,
          level: float = 0.8) -> dict[str, float]:
    """Every metric of :data:`METRICS` but OWA for one series and target; ``lower`` and
    ``upper`` bound the ``level`` interval."""
    return {"MAE": mae(actual, forecast), "RMSE": rmse(actual, forecast),
            "MAPE": mape(actual, forecast), "sMAPE": smape(actual, forecast),
            "MASE": mase(actual, forecast, scale),
            "MSIS": msis(actual, lower, upper, scale=scale, level=level),
            "coverage": coverage(actual, lower, upper)}

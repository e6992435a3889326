"""Model inputs of one series: scaled targets, scaled covariates and calendar features.

Encoder rows are ``[targets (C) | past covariates (P) | future covariates (F) |
calendar]``; the rows known ahead of time are the last two groups. Scalers are fitted
on the training part only (:func:`fit_scalers`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data.frequency import calendar_features, future_times
from ...data.scaling import SeriesScaler
from ...data.timeseries import TimeSeriesData
from ...data.windows import Split


@dataclass(frozen=True)
class Scalers:
    """The fitted scalers: one for targets (maybe with a log), one for covariates."""

    target: SeriesScaler
    covariate: SeriesScaler

    def to_dict(self) -> dict:
        """JSON-able state, one entry per scaler."""
        return {"target": self.target.to_dict(), "covariate": self.covariate.to_dict()}



def fit_scalers(data: TimeSeriesData, splits: list[Split], *, log: bool,
                center: bool = True) -> Scalers:
    """Per-series scalers fitted on rows ``[0, n_train)`` of each series, nothing later
    (``center=False``: targets only divided by their std, for a multiplicative season)."""
    target = SeriesScaler(log=log, center=center).fit(
        data.ids, [t[:s.n_train] for t, s in zip(data.targets, splits, strict=True)])
    covariates = [np.concatenate([p, f], axis=1)[:s.n_train]
                  for p, f, s in zip(data.past, data.future, splits, strict=True)]
    return Scalers(target, SeriesScaler().fit(data.ids, covariates))


@dataclass(frozen=True)
class SeriesFeatures:
    """Scaled arrays of one series: ``inputs`` (T, I), ``targets`` (T, C), ``known`` (T, F)."""

    inputs: np.ndarray
    targets: np.ndarray
    known: np.ndarray


def series_features(scalers: Scalers, series: str, times: pd.Index, targets: np.ndarray,
                    past: np.ndarray, future: np.ndarray, calendar: list[str],
                    history: slice = slice(None)) -> SeriesFeatures:
    """Scale one series and add calendar features.

    ``history`` selects the rows whose statistics stand in for a series the scalers
    have not seen (a new series at prediction time).
    """
    scaled = scalers.target.transform(series, targets, history=targets[history])
    covariates = np.concatenate([past, future], axis=1)
    scaled_cov = scalers.covariate.transform(series, covariates, history=covariates[history])
    cal = calendar_features(times, calendar)
    known = np.concatenate([scaled_cov[:, past.shape[1]:], cal], axis=1)
    return SeriesFeatures(np.concatenate([scaled, scaled_cov, cal], axis=1), scaled, known)


def known_after(scalers: Scalers, series: str, last: pd.Timestamp | int, freq: str | None,
                steps: int, future: np.ndarray, calendar: list[str],
                history: np.ndarray) -> tuple[pd.Index, np.ndarray]:
    """Time stamps and scaled known features (steps, F) for the ``steps`` rows after ``last``.

    ``future`` holds the future covariates of those rows, (steps, F_cov); ``history`` the
    series' past covariates and future covariates, for an unseen series' statistics.
    """
    times = future_times(last, steps, freq)
    n_past = history.shape[1] - future.shape[1]
    padded = np.concatenate([np.zeros((steps, n_past)), future], axis=1)
    scaled = scalers.covariate.transform(series, padded, history=history)[:, n_past:]
    return times, np.concatenate([scaled, calendar_features(times, calendar)], axis=1)

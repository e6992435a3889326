"""From per-step errors to anomaly scores comparable across series and channels.

The errors are smoothed with an exponentially weighted moving average (Hundman et al.
2018 smooth the prediction errors the same way), then standardised per series and
channel with the mean and standard deviation of the smoothed errors on the validation
part (the end of the training part, never seen by the weights' updates, never from the
test part). A step's error score is its largest channel score (combined with the
state novelty by :mod:`.scorer`); the channel scores say which channels an event
involves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

MIN_STD = 1e-6


def ewma(errors: np.ndarray, span: int) -> np.ndarray:
    """The exponentially weighted moving average of ``errors`` (T, C) along time
    (pandas' ``ewm(span=span, adjust=False)``); ``span == 1`` returns them unchanged."""
    if span <= 1:
        return errors
    return pd.DataFrame(errors).ewm(span=span, adjust=False).mean().to_numpy()


@dataclass
class ErrorStats:
    """Per-series mean and std of the smoothed validation errors, for each channel.

    Attributes:
        ids: the series seen in fit. mean, std: (S, C).
    """

    ids: list[str]
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, ids: list[str], errors: list[np.ndarray]) -> ErrorStats:
        """Statistics of each series' validation errors (T_i, C)."""
        mean = np.stack([e.mean(axis=0) for e in errors])  # (S, C)
        std = np.stack([np.maximum(e.std(axis=0), MIN_STD) for e in errors])  # (S, C)
        return cls(list(ids), mean, std)

    def params(self, series: str) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) of ``series``; a series not seen in fit gets the median over the
        fitted series."""
        if series in self.ids:
            i = self.ids.index(series)
            return self.mean[i], self.std[i]
        return np.median(self.mean, axis=0), np.median(self.std, axis=0)

    def channel_scores(self, series: str, smoothed: np.ndarray,
                       calibration: np.ndarray | None = None) -> np.ndarray:
        """Standardised smoothed errors (T, C) of ``series``; a series not seen in fit
        is standardised by its own ``calibration`` errors (those of its training part,
        as the scaler does) when given, else by the median statistics."""
        if series not in self.ids and calibration is not None and len(calibration) >= 2:
            mean = calibration.mean(axis=0)
            std = np.maximum(calibration.std(axis=0), MIN_STD)
        else:
            mean, std = self.params(series)
        return (smoothed - mean) / std

    def to_dict(self) -> dict[str, Any]:
        """JSON-able state."""
        return {"ids": self.ids, "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, state: dict[str, Any], channels: int) -> ErrorStats:
        """The statistics saved by :meth:`to_dict`; ValueError when they do not fit."""
        ids = [str(i) for i in state["ids"]]
        mean = np.asarray(state["mean"], dtype=np.float64).reshape(len(ids), channels)
        std = np.asarray(state["std"], dtype=np.float64).reshape(len(ids), channels)
        if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
            raise ValueError("error statistics must be finite with std > 0")
        return cls(ids, mean, std)


def step_scores(channel_scores: np.ndarray) -> np.ndarray:
    """A step's score: its largest channel score, (T, C) -> (T,)."""
    return channel_scores.max(axis=1)

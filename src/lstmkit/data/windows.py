"""Chronological splits and sliding windows for forecasting.

A series of ``n`` rows is split, in time order, into a training part, a validation part
(for early stopping) and a test part (the last ``test_size`` rows)::

    [ train ............ | validation | test ]
    0                 n_train      origin    n

A window at origin ``o`` reads rows ``o - lookback .. o - 1`` and predicts rows
``o .. o + horizon - 1``. Training windows predict rows of the training part only;
validation windows predict rows that end in the validation part; nothing reads the test
part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


@dataclass(frozen=True)
class Split:
    """Row boundaries of one series: ``[0, n_train)`` train, ``[n_train, origin)``
    validation, ``[origin, n)`` test."""

    n_train: int
    origin: int
    n: int


def split_series(n: int, *, test_size: int, val_size: int) -> Split:
    """The chronological split of a series of ``n`` rows.

    Example:
        >>> split_series(144, test_size=36, val_size=12)
        Split(n_train=96, origin=108, n=144)
    """
    return Split(n_train=n - test_size - val_size, origin=n - test_size, n=n)


def train_origins(split: Split, *, lookback: int, horizon: int) -> np.ndarray:
    """Origins whose targets all lie in the training part."""
    return np.arange(lookback, split.n_train - horizon + 1)


def validation_origins(split: Split, *, lookback: int, horizon: int) -> np.ndarray:
    """Origins whose last target lies in the validation part (inputs may reach back into
    the training part; nothing reaches the test part)."""
    first = max(lookback, split.n_train - horizon + 1)
    return np.arange(first, split.origin - horizon + 1)


def make_windows(inputs: np.ndarray, targets: np.ndarray, known: np.ndarray,
                 origins: np.ndarray, *, lookback: int, horizon: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut windows at ``origins``.

    Args:
        inputs: (T, I) encoder features per row. targets: (T, C) values to predict.
        known: (T, F) features known ahead (future covariates, calendar).
        origins: first predicted row of each window.

    Returns:
        x (N, lookback, I), y (N, horizon, C), future (N, horizon, F).

    Example:
        >>> v = np.arange(10.0).reshape(10, 1)
        >>> x, y, f = make_windows(v, v, v[:, :0], np.array([3]), lookback=3, horizon=2)
        >>> x[0, :, 0].tolist(), y[0, :, 0].tolist(), f.shape
        ([0.0, 1.0, 2.0], [3.0, 4.0], (1, 2, 0))
    """
    if len(origins) == 0:
        return (np.zeros((0, lookback, inputs.shape[1])), np.zeros((0, horizon, targets.shape[1])),
                np.zeros((0, horizon, known.shape[1])))
    x = sliding_window_view(inputs, lookback, axis=0)[origins - lookback]  # (N, I, L)
    y = sliding_window_view(targets, horizon, axis=0)[origins]  # (N, C, K)
    f = sliding_window_view(known, horizon, axis=0)[origins]  # (N, F, K)
    return x.transpose(0, 2, 1), y.transpose(0, 2, 1), f.transpose(0, 2, 1)

"""Simple detectors printed beside the LSTM detectors, scored through the same pipeline.

Each baseline learns from the training part of each series (the same part the LSTM
sees) and returns a raw score per step; :func:`baseline_scores` standardises it with
the statistics of the validation part, as the LSTM's errors are.

* ``diff_zscore``: |first difference| standardised by a moving window's mean and std;
* ``seasonal_naive``: |x[t] - x[t - season]| (the naive residual without a season);
* ``pca``: reconstruction error of each window by PCA (scikit-learn) fitted on the
  training windows, 95% of the variance;
* ``isolation_forest``: scikit-learn's IsolationForest fitted on the training windows;
* ``matrix_profile``: the discord score of the matrix profile (Yeh et al. 2016), here
  each window's z-normalised Euclidean distance to its nearest neighbour among the
  training part's windows (an AB-join, as ``stumpy.stump(T_A, m, T_B)`` computes it),
  the largest over channels.

The window-based scores are given to the window's last step (causal, like the
prediction detector).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest

from .scoring import MIN_STD

BASELINE_WINDOW = 32
#: Windows joined at once by :func:`matrix_profile` (a chunk × training windows matrix).
MP_CHUNK = 1024


def _windows(values: np.ndarray, width: int) -> np.ndarray:
    """(T, C) -> (T, width * C): the window ending at each step (edge-padded at the start)."""
    padded = np.concatenate([np.repeat(values[:1], width - 1, axis=0), values])
    stacked = np.lib.stride_tricks.sliding_window_view(padded, width, axis=0)  # (T, C, W)
    return stacked.reshape(len(values), -1)


def diff_zscore(values: np.ndarray, train: int, season: int | None) -> np.ndarray:
    """Moving z-score of the first differences, the largest over channels."""
    diff = pd.DataFrame(np.diff(values, axis=0, prepend=values[:1]))
    rolling = diff.rolling(BASELINE_WINDOW * 4, min_periods=2)
    z = (diff - rolling.mean().shift(1)) / rolling.std().shift(1).clip(lower=MIN_STD)
    return np.abs(z.fillna(0).to_numpy()).max(axis=1)


def seasonal_naive(values: np.ndarray, train: int, season: int | None) -> np.ndarray:
    """|x[t] - x[t - season]| (season 1 without one), the largest over channels."""
    lag = season or 1
    residual = np.zeros_like(values)
    residual[lag:] = np.abs(values[lag:] - values[:-lag])
    return residual.max(axis=1)


def pca_error(values: np.ndarray, train: int, season: int | None) -> np.ndarray:
    """PCA reconstruction error of the window ending at each step."""
    windows = _windows(values, BASELINE_WINDOW)
    pca = PCA(n_components=0.95, svd_solver="full").fit(windows[:train])
    rebuilt = pca.inverse_transform(pca.transform(windows))
    return np.sqrt(((windows - rebuilt) ** 2).mean(axis=1))


def isolation_forest(values: np.ndarray, train: int, season: int | None) -> np.ndarray:
    """IsolationForest anomaly score of the window ending at each step."""
    windows = _windows(values, BASELINE_WINDOW)
    forest = IsolationForest(n_estimators=100, random_state=0).fit(windows[:train])
    return -forest.score_samples(windows)


def matrix_profile(values: np.ndarray, train: int, season: int | None) -> np.ndarray:
    """Discord score of the window ending at each step: its z-normalised Euclidean
    distance to the nearest window of the first ``train`` rows (an AB-join: a training
    window is its own neighbour, so the fit part scores 0; the validation and test
    parts, the ones used, do not overlap it).

    Written here rather than taken from stumpy: stumpy's numba kernels compile for about
    30 s in every new process, longer than a whole ``lstmkit detect`` run on the bundled
    data, while the join of z-normalised windows is a chunked matrix product
    (``tests/tasks/anomaly/test_anomaly_baselines.py`` checks it against brute force and
    against stumpy). A constant window has distance 0 to another constant window and
    sqrt(width) to any other (stumpy's convention).
    """
    width = min(BASELINE_WINDOW, train)
    out = np.zeros(len(values))
    for channel in values.T.astype(np.float64):
        z = _znormalised_windows(channel, width)  # (T - width + 1, width)
        ref = z[:train - width + 1]
        norms, ref_norms = (z ** 2).sum(1), (ref ** 2).sum(1)
        best = np.empty(len(z))
        for start in range(0, len(z), MP_CHUNK):
            block = z[start:start + MP_CHUNK]
            squared = norms[start:start + MP_CHUNK, None] + ref_norms - 2 * block @ ref.T
            best[start:start + MP_CHUNK] = squared.min(1)
        distance = np.sqrt(np.maximum(best, 0.0))
        out = np.maximum(out, np.concatenate([np.full(width - 1, distance[0]), distance]))
    return out


def _znormalised_windows(x: np.ndarray, width: int) -> np.ndarray:
    """Every window of ``width`` steps, z-normalised (a constant window: zeros)."""
    windows = np.lib.stride_tricks.sliding_window_view(x, width)
    std = windows.std(axis=1, keepdims=True)
    centred = windows - windows.mean(axis=1, keepdims=True)
    return np.where(std > 1e-12, centred / np.where(std > 1e-12, std, 1.0), 0.0)


BASELINES: dict[str, Callable[[np.ndarray, int, int | None], np.ndarray]] = {
    "diff_zscore": diff_zscore, "seasonal_naive": seasonal_naive, "pca": pca_error,
    "isolation_forest": isolation_forest, "matrix_profile": matrix_profile}


def baseline_scores(name: str, values: np.ndarray, fit_rows: int, train_rows: int,
                    season: int | None) -> np.ndarray:
    """Baseline ``name``'s scores of a scaled series (T, C), learned from the first
    ``fit_rows`` rows and standardised by rows ``fit_rows:train_rows`` (validation)."""
    raw = BASELINES[name](values, fit_rows, season)
    val = raw[fit_rows:train_rows]
    return (raw - val.mean()) / max(val.std(), MIN_STD)

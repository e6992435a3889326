"""The validation split carved from the training sequences: stratified, fixed by the
seed, and the only data that chooses anything (best epoch, early stop, temperature)."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import StratifiedShuffleSplit


def stratified_split(codes: np.ndarray, fraction: float, *, seed: int, min_size: int = 1
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Row indices ``(fit, validation)`` with about ``fraction`` of the rows in validation,
    each class in proportion (scikit-learn's ``StratifiedShuffleSplit``).

    Classes with a single sequence stay in the fit part; when the split cannot hold one
    sequence of every class, it is a plain shuffled split of the same size. ``fraction``
    0, too few sequences, or a validation part of fewer than ``min_size`` rows gives an
    empty validation part (every row fits).

    Example:
        >>> codes = np.array([0, 0, 0, 0, 1, 1, 1, 1])
        >>> fit, val = stratified_split(codes, 0.5, seed=0)
        >>> sorted(np.r_[fit, val].tolist()), np.bincount(codes[val]).tolist()
        ([0, 1, 2, 3, 4, 5, 6, 7], [2, 2])
        >>> len(stratified_split(codes, 0.5, seed=0, min_size=5)[1])
        0
    """
    n = len(codes)
    n_val = round(n * fraction)
    every = np.arange(n)
    if n_val < max(min_size, 1) or n - n_val < 1:
        return every, every[:0]
    counts = np.bincount(codes)
    single = np.isin(codes, np.flatnonzero(counts == 1))
    rest = every[~single]
    classes = len(np.unique(codes[rest]))
    if n_val >= classes and len(rest) - n_val >= classes:
        splitter = StratifiedShuffleSplit(n_splits=1, test_size=n_val, random_state=seed)
        fit, val = next(splitter.split(rest, codes[rest]))
        return np.sort(np.r_[every[single], rest[fit]]), np.sort(rest[val])
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])

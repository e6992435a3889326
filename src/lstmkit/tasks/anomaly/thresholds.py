"""Thresholds that turn scores into flags, and flags into events.

* :func:`dynamic_flags`: the non-parametric dynamic threshold of Hundman et al. (2018,
  "Detecting spacecraft anomalies using LSTMs and nonparametric dynamic thresholding",
  KDD, section 3.2) with its pruning step, applied to each stretch of
  :data:`DYNAMIC_CHUNK` steps: it needs no labels and no assumption on the scores'
  distribution, and looks at the scored data only (not at labels).
* a quantile of the validation scores (``1 - contamination``), learned in ``fit``;
* a fixed value.

Written here rather than taken from a library because no maintained package ships
Hundman's threshold (telemanom is an unmaintained research repository without tests).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

DYNAMIC_CHUNK = 2000  # steps per stretch (Hundman et al.: 70 batches of 30 steps)
Z_RANGE = np.arange(2.5, 12.0, 0.5)  # candidate thresholds: mean + z * std
MAX_SEQUENCES = 5  # Hundman et al.'s cap on anomalous sequences per stretch


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``(start, end)`` (end exclusive) of each run of True in ``flags``.

    Example:
        >>> runs(np.array([0, 1, 1, 0, 1], dtype=bool))
        [(1, 3), (4, 5)]
    """
    edges = np.diff(np.r_[0, flags.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1).tolist(),
                    np.flatnonzero(edges == -1).tolist(), strict=True))


def hundman_epsilon(errors: np.ndarray) -> float:
    """The threshold of one stretch of non-negative ``errors``: the ``mean + z * std``
    whose removal of the values above it most reduces their mean and std, per flagged
    point and sequence (their eq. for epsilon); ``inf`` when no candidate qualifies.

    All candidates at once from the sorted values, about 10x faster than a loop over
    them: the values above a candidate are a suffix of the sorted values (their count
    and the sums below it come from cumulative sums), and the flagged sequences are
    the steps at or above it minus the steps whose value and predecessor's both are.
    :func:`hundman_epsilon_reference` is the loop, and a test holds them equal.
    """
    mean, std = errors.mean(), errors.std()
    if std <= 0 or mean <= 0:
        return np.inf
    epsilons = mean + Z_RANGE * std  # (Z,)
    ordered = np.sort(errors)
    n_below = np.searchsorted(ordered, epsilons, side="left")  # values < epsilon
    n_above = len(errors) - n_below
    sums = np.concatenate([[0.0], np.cumsum(ordered)])
    squares = np.concatenate([[0.0], np.cumsum(ordered ** 2)])
    below_mean = sums[n_below] / np.maximum(n_below, 1)
    below_var = squares[n_below] / np.maximum(n_below, 1) - below_mean ** 2
    below_std = np.sqrt(np.maximum(below_var, 0.0))
    pairs = np.sort(np.minimum(errors[1:], errors[:-1]))
    sequences = n_above - (len(pairs) - np.searchsorted(pairs, epsilons, side="left"))
    decrease = (mean - below_mean) / mean + (std - below_std) / std
    score = decrease / np.maximum(sequences ** 2 + n_above, 1)
    valid = (n_above > 0) & (n_above < len(errors) // 2) & (sequences <= MAX_SEQUENCES)
    if not valid.any():
        return np.inf
    best = np.flatnonzero(valid & (score >= score[valid].max()))[-1]  # ties: the largest z
    return float(epsilons[best])


def hundman_epsilon_reference(errors: np.ndarray) -> float:
    """:func:`hundman_epsilon` as a plain loop over the candidates (the reference)."""
    mean, std = errors.mean(), errors.std()
    best, best_score = np.inf, -np.inf
    if std <= 0 or mean <= 0:
        return best
    for z in Z_RANGE:
        epsilon = mean + z * std
        above = errors >= epsilon
        n_above = int(above.sum())
        if n_above == 0 or n_above >= len(errors) // 2:
            continue
        below = errors[~above]
        sequences = len(runs(above))
        decrease = (mean - below.mean()) / mean + (std - below.std()) / std
        score = decrease / (sequences ** 2 + n_above)
        if score >= best_score and sequences <= MAX_SEQUENCES:
            best, best_score = float(epsilon), score
    return best


def prune(errors: np.ndarray, flags: np.ndarray, p: float) -> np.ndarray:
    """Hundman et al.'s pruning: sort the flagged sequences' peaks (and the largest
    unflagged value) in descending order; the sequences after the last drop of at least
    ``p`` (as a share of the higher peak) are unflagged."""
    sequences = runs(flags)
    if not sequences:
        return flags
    peaks = np.array([errors[s:e].max() for s, e in sequences])
    normal = errors[~flags]
    ordered = np.append(np.sort(peaks)[::-1], normal.max() if len(normal) else 0.0)
    keep = 0  # sequences kept: those above the last big drop
    for i in range(len(ordered) - 1):
        if ordered[i] > 0 and (ordered[i] - ordered[i + 1]) / ordered[i] >= p:
            keep = i + 1
    kept = flags.copy()
    for rank, index in enumerate(np.argsort(-peaks, kind="stable")):
        if rank >= keep:
            s, e = sequences[index]
            kept[s:e] = False
    return kept


def dynamic_flags(scores: np.ndarray, p: float) -> np.ndarray:
    """Hundman et al.'s dynamic threshold with pruning on ``scores`` (T,), stretch by
    stretch; scores are shifted to start at 0 in each stretch (the criterion divides
    by the mean, so it needs non-negative errors)."""
    flags = np.zeros(len(scores), dtype=bool)
    bounds = [*range(0, len(scores), DYNAMIC_CHUNK), len(scores)]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] < DYNAMIC_CHUNK // 4:
        bounds.pop(-2)  # a short tail joins the stretch before it
    for start, end in itertools.pairwise(bounds):
        errors = scores[start:end] - scores[start:end].min()
        chunk = errors >= hundman_epsilon(errors)
        flags[start:end] = prune(errors, chunk, p)
    return flags


@dataclass(frozen=True)
class Event:
    """A flagged stretch of one series.

    Attributes:
        series: the series id. start, end: first and last step (inclusive), positions.
        peak: the largest score inside. peak_at: its position.
        channels: the channels whose own score passed the threshold inside (the
            peak's channel at least).
    """

    series: str
    start: int
    end: int
    peak: float
    peak_at: int
    channels: tuple[str, ...]


def events_of(series: str, flags: np.ndarray, scores: np.ndarray,
              channel_scores: np.ndarray, threshold: float | None,
              channels: list[str]) -> list[Event]:
    """The events of one series: runs of flags, each with its peak and channels
    (``threshold`` None, as for the dynamic threshold: the channels within 10% of the
    peak's channel score at the peak)."""
    events = []
    for start, end in runs(flags):
        at = start + int(np.argmax(scores[start:end]))
        inside = channel_scores[start:end]
        if threshold is None:
            involved = channel_scores[at] >= channel_scores[at].max() - 0.1 * abs(
                channel_scores[at].max())
        else:
            involved = (inside > threshold).any(axis=0)
        involved[int(np.argmax(channel_scores[at]))] = True
        events.append(Event(series, start, end - 1, float(scores[at]), at,
                            tuple(c for c, on in zip(channels, involved, strict=True) if on)))
    return events

"""Event post-processing: from a threshold's point flags to the flags of whole events.

A threshold flags points; an operator reads events. Two steps, in this order, turn the
one into the other:

1. **merge**: flagged runs separated by at most ``merge_gap`` unflagged steps become one
   event (the steps between are flagged too). A score that dips below the threshold for
   a few steps inside one anomaly otherwise makes several events of it, and every extra
   event is one more chance of a false alarm in the event metrics.
2. **minimum length**: events (after merging) shorter than ``min_event_length`` steps
   are dropped (1 keeps every event).

Both need the steps after a flag, so they apply to batch scoring (``score``,
``predict``, ``events``, ``evaluate``, the CLI); :meth:`AnomalyDetector.update` flags
each step at arrival, before post-processing (see :mod:`.stream_scoring`).

Written here (a few lines of numpy over :func:`~.thresholds.runs`): the libraries that
do this (e.g. Merlion's post-rules) bring a framework with them.
"""

from __future__ import annotations

import itertools

import numpy as np

from .thresholds import runs


def merge_gaps(flags: np.ndarray, gap: int) -> np.ndarray:
    """``flags`` with every unflagged stretch of at most ``gap`` steps that lies between
    two flagged runs flagged too (stretches before the first run or after the last one
    are left alone).

    Example:
        >>> merge_gaps(np.array([1, 0, 0, 1, 0, 0, 0, 1, 0], dtype=bool), 2).astype(int)
        array([1, 1, 1, 1, 0, 0, 0, 1, 0])
    """
    merged = flags.astype(bool).copy()
    if gap <= 0:
        return merged
    found = runs(merged)
    for (_, end), (start, _) in itertools.pairwise(found):
        if start - end <= gap:
            merged[end:start] = True
    return merged


def drop_short(flags: np.ndarray, min_length: int) -> np.ndarray:
    """``flags`` without the runs shorter than ``min_length`` steps.

    Example:
        >>> drop_short(np.array([1, 0, 1, 1, 0, 1, 1, 1], dtype=bool), 2).astype(int)
        array([0, 0, 1, 1, 0, 1, 1, 1])
    """
    kept = flags.astype(bool).copy()
    if min_length <= 1:
        return kept
    for start, end in runs(kept):
        if end - start < min_length:
            kept[start:end] = False
    return kept


def postprocess(flags: np.ndarray, merge_gap: int, min_length: int) -> np.ndarray:
    """Merge runs at most ``merge_gap`` steps apart, then drop the events shorter than
    ``min_length`` steps; (T,) bool -> (T,) bool."""
    return drop_short(merge_gaps(flags, merge_gap), min_length)


def merged_runs(raw: np.ndarray, events: list[tuple[int, int]]) -> list[int]:
    """How many runs of the ``raw`` flags each event ``(start, end exclusive)`` of the
    post-processed flags holds (1: not merged)."""
    return [len(runs(raw[start:end])) for start, end in events]

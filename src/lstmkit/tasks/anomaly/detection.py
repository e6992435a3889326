"""Scoring and flagging series with a fitted detector: scaled values → network errors
→ smoothed, standardised scores → threshold → flags and events."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .postprocess import merged_runs, postprocess
from .scorer import combined_scores, smoothed_terms
from .series import AnomalyData, train_rows
from .thresholds import Event, dynamic_flags, events_of, runs


@dataclass
class SeriesResult:
    """One series, scored and flagged.

    Attributes:
        name: the series id. start: the first step flagged (0, or the test part's
            first step). scores: (T,). channel_scores: (T, C). flags: (T,) bool, after
            event post-processing. scaled: the scaled values (T, C). raw_flags: (T,)
            bool, the threshold's flags before post-processing (None: the same).
    """

    name: str
    start: int
    scores: np.ndarray
    channel_scores: np.ndarray
    flags: np.ndarray
    scaled: np.ndarray
    raw_flags: np.ndarray | None = None


def scaled_values(model, data: AnomalyData, i: int) -> np.ndarray:
    """Series ``i`` of ``data`` scaled by the model's scaler (a series unknown to it by
    the statistics of its own training part)."""
    values, name = data.values[i], data.ids[i]
    history = values[:max(train_rows(len(values), data.train_part), 2)]
    return model.scaler_.transform(name, values, history=history)


def score_series(model, name: str, scaled: np.ndarray, train: int = 0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(scores (T,), channel scores (T, C)) of one scaled series whose first ``train``
    steps are its training part (the calibration of a series unknown to the model)."""
    terms = smoothed_terms(model, scaled)
    calibration = (terms[0][:train], None if terms[1] is None else terms[1][:train])
    return combined_scores(model, name, terms, calibration)


def flag(model, scores: np.ndarray, start: int) -> np.ndarray:
    """Flags of ``scores[start:]`` under the model's threshold (False before ``start``),
    before event post-processing."""
    flags = np.zeros(len(scores), dtype=bool)
    if model.settings.threshold == "dynamic":
        flags[start:] = dynamic_flags(scores[start:], model.settings.prune)
    else:
        flags[start:] = scores[start:] > model.threshold_
    return flags


def events_flags(settings, raw: np.ndarray, start: int = 0) -> np.ndarray:
    """``raw`` flags after the event post-processing of ``settings`` (merge_gap,
    min_event_length), applied from ``start`` on (the steps before stay unflagged)."""
    flags = np.zeros(len(raw), dtype=bool)
    flags[start:] = postprocess(raw[start:], settings.merge_gap, settings.min_event_length)
    return flags


def detect(model, data: AnomalyData, *, test_only: bool) -> list[SeriesResult]:
    """Score and flag every series (only the test part's steps when ``test_only``)."""
    results = []
    for i, name in enumerate(data.ids):
        scaled = scaled_values(model, data, i)
        train = train_rows(len(scaled), data.train_part)
        scores, channel = score_series(model, name, scaled, train)
        start = train if test_only else 0
        raw = flag(model, scores, start)
        results.append(SeriesResult(name, start, scores, channel,
                                    events_flags(model.settings, raw, start), scaled, raw))
    return results


def events(model, data: AnomalyData, results: list[SeriesResult]) -> list[Event]:
    """The events of every series."""
    threshold = None if model.settings.threshold == "dynamic" else model.threshold_
    found = []
    for r in results:
        found += events_of(r.name, r.flags, r.scores, r.channel_scores, threshold,
                           data.channels)
    return found


def merged_counts(results: list[SeriesResult]) -> list[int]:
    """For each event of ``results`` (in the order of :func:`events`), how many runs of
    the threshold's flags it merges (1: none merged)."""
    counts = []
    for r in results:
        raw = r.flags if r.raw_flags is None else r.raw_flags
        counts += merged_runs(raw, runs(r.flags))
    return counts


def scores_frame(data: AnomalyData, results: list[SeriesResult]) -> pd.DataFrame:
    """One row per input row, in input order: ``row, series, time, part, score, flag``,
    a score per channel (``score_<channel>``) and ``label`` when there are labels."""
    frames = []
    for i, r in enumerate(results):
        frame = pd.DataFrame({"row": data.rows[i], "series": r.name,
                              "time": np.asarray(data.times[i]),
                              "part": np.where(np.arange(len(r.scores)) < r.start,
                                               "train", "test"),
                              "score": r.scores, "flag": r.flags.astype(np.int64)})
        for c, channel in enumerate(data.channels):
            frame[f"score_{channel}"] = r.channel_scores[:, c]
        if data.labels is not None:
            frame["label"] = data.labels[i]
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    table = table[table["row"] >= 0].sort_values("row", kind="stable")
    return table.reset_index(drop=True)


EVENT_COLUMNS = ["series", "start", "end", "start_time", "end_time", "length", "merged",
                 "peak_at", "peak_score", "channels"]


def events_frame(found: list[Event], data: AnomalyData,
                 merged: list[int] | None = None) -> pd.DataFrame:
    """One row per event (after post-processing): series, start/end positions and
    times, ``length`` (steps), ``merged`` (runs of the threshold's flags merged into it;
    ``merged`` gives them, default 1), peak position and score, and the channels
    involved (``;``-separated)."""
    times = dict(zip(data.ids, data.times, strict=True))
    merged = merged if merged is not None else [1] * len(found)
    rows = [{"series": e.series, "start": e.start, "end": e.end,
             "start_time": times[e.series][e.start], "end_time": times[e.series][e.end],
             "length": e.end - e.start + 1, "merged": m, "peak_at": e.peak_at,
             "peak_score": e.peak, "channels": ";".join(e.channels)}
            for e, m in zip(found, merged, strict=True)]
    columns = EVENT_COLUMNS
    return pd.DataFrame(rows, columns=columns)

"""Scoring and flagging series with a fitted detector: scaled values → network errors
→ smoothed, standardised scores → threshold → flags and events."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors_per_step import step_errors
from .scoring import ewma, step_scores
from .series import AnomalyData, train_rows
from .thresholds import Event, dynamic_flags, events_of


@dataclass
class SeriesResult:
    """One series, scored and flagged.

    Attributes:
        name: the series id. start: the first step flagged (0, or the test part's
            first step). scores: (T,). channel_scores: (T, C). flags: (T,) bool.
        scaled: the scaled values (T, C).
    """

    name: str
    start: int
    scores: np.ndarray
    channel_scores: np.ndarray
    flags: np.ndarray
    scaled: np.ndarray


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
    s = model.settings
    smoothed = ewma(step_errors(model.network_, scaled, s.window, s.detector), s.smoothing)
    channel = model.stats_.channel_scores(name, smoothed, smoothed[:train])
    return step_scores(channel), channel


def flag(model, scores: np.ndarray, start: int) -> np.ndarray:
    """Flags of ``scores[start:]`` under the model's threshold (False before ``start``)."""
    flags = np.zeros(len(scores), dtype=bool)
    if model.settings.threshold == "dynamic":
        flags[start:] = dynamic_flags(scores[start:], model.settings.prune)
    else:
        flags[start:] = scores[start:] > model.threshold_
    return flags


def detect(model, data: AnomalyData, *, test_only: bool) -> list[SeriesResult]:
    """Score and flag every series (only the test part's steps when ``test_only``)."""
    results = []
    for i, name in enumerate(data.ids):
        scaled = scaled_values(model, data, i)
        train = train_rows(len(scaled), data.train_part)
        scores, channel = score_series(model, name, scaled, train)
        start = train if test_only else 0
        results.append(SeriesResult(name, start, scores, channel,
                                    flag(model, scores, start), scaled))
    return results


def events(model, data: AnomalyData, results: list[SeriesResult]) -> list[Event]:
    """The events of every series."""
    threshold = None if model.settings.threshold == "dynamic" else model.threshold_
    found = []
    for r in results:
        found += events_of(r.name, r.flags, r.scores, r.channel_scores, threshold,
                           data.channels)
    return found


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


def events_frame(found: list[Event], data: AnomalyData) -> pd.DataFrame:
    """One row per event: series, start/end/peak positions and times, peak score and
    the channels involved (``;``-separated)."""
    times = dict(zip(data.ids, data.times, strict=True))
    rows = [{"series": e.series, "start": e.start, "end": e.end,
             "start_time": times[e.series][e.start], "end_time": times[e.series][e.end],
             "peak_at": e.peak_at, "peak_score": e.peak, "channels": ";".join(e.channels)}
            for e in found]
    columns = ["series", "start", "end", "start_time", "end_time", "peak_at", "peak_score",
               "channels"]
    return pd.DataFrame(rows, columns=columns)

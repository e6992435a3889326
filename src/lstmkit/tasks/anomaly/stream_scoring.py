"""``AnomalyDetector.update``: new rows of one or many series in, their scores and flags
out, each series carried by a :mod:`.streaming` stream.

The scores are those of a batch run on the concatenated series (the same scaler, error
statistics and EWMA); the flags of the quantile and fixed thresholds are those of
``predict`` on it. The dynamic threshold needs the scores around a step, so in a stream
it flags each new step at arrival with Hundman's threshold over the trailing
:data:`~.thresholds.DYNAMIC_CHUNK` scores: it can differ from a batch run, which also
sees the scores after the step. The flags are decided at arrival, before event
post-processing (``merge_gap``, ``min_event_length``: :mod:`.postprocess`), which needs
the steps after a flag; with the defaults' post-processing a stream's flags are the
batch run's flags before it (``SeriesResult.raw_flags``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...errors import DatasetError
from .scorer import combined_scores, smoothed_terms
from .series import train_rows
from .streaming import EwmaState, PredictionStream, ReconstructionStream
from .thresholds import DYNAMIC_CHUNK, Z_RANGE, dynamic_flags


class SeriesStream:
    """The streaming state of one series of a fitted detector.

    Args:
        model: the fitted :class:`~lstmkit.tasks.anomaly.AnomalyDetector`.
        name: the series id.
        history: its values so far (T, C), unscaled, or None to start a new series.
    """

    def __init__(self, model: Any, name: str, history: np.ndarray | None) -> None:
        s = model.settings
        self.model, self.name = model, name
        self.mean, self.std = _scaling(model, name, history)
        self.calibration: tuple | None = None  # terms of an unknown series' training part
        self.novelty, self.scoring = model.novelty_, s.score_terms
        if s.detector == "prediction":
            self.stream = PredictionStream(model.network_, s.window, len(model.channels_),
                                           states=self.novelty is not None)
        else:
            self.stream = ReconstructionStream(model.network_, s.window,
                                               len(model.channels_))
        self.ewma, self.ewma_state = EwmaState(s.smoothing), EwmaState(s.smoothing)
        self.recent = np.zeros(0)
        self.step = 0  # steps emitted
        self.dynamic, self.prune = s.threshold == "dynamic", s.prune
        if history is not None and len(history):
            self._prime(self.scale(history))

    def scale(self, values: np.ndarray) -> np.ndarray:
        """``values`` (n, C) scaled as the batch scorer scales this series."""
        return (self.model.scaler_._forward_log(values) - self.mean) / self.std

    def _prime(self, scaled: np.ndarray) -> None:
        """Continue after the history: its batch terms give the EWMAs' last values and
        the recent scores; the stream runs only the history's last steps."""
        errors, novelty = smoothed_terms(self.model, scaled)
        done = self.stream.prime(scaled)
        train = train_rows(len(scaled), self.model.train_part or 0.3)
        self.calibration = (errors[:train], None if novelty is None else novelty[:train])
        self.step = len(scaled) if done is None else done
        if self.step:
            self.ewma.last = errors[self.step - 1].copy()
            if novelty is not None:
                self.ewma_state.last = novelty[self.step - 1].copy()
            terms = (errors[:self.step], None if novelty is None else novelty[:self.step])
            self.recent = self._scores(terms)[0][-DYNAMIC_CHUNK:]

    def push(self, values: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
        """``(first step, scores (m,), channel scores (m, C))`` of the steps that became
        final with the new unscaled ``values`` (n, C)."""
        scaled, novelty = self.scale(values), None
        if isinstance(self.stream, PredictionStream):
            (errors, states), first = self.stream.push(scaled), self.step
            if states is not None:
                novelty = self.ewma_state.push(self.novelty.distances(states))
        else:
            first, errors = self.stream.push(scaled)
        scores, channel = self._scores((self.ewma.push(errors), novelty))
        self.step = first + len(scores)
        return first, scores, channel

    def _scores(self, terms: tuple) -> tuple[np.ndarray, np.ndarray]:
        return combined_scores(self.model, self.name, terms, self.calibration,
                               self.scoring)

    def flags(self, scores: np.ndarray) -> np.ndarray:
        """Flags of the new ``scores`` under the detector's threshold (see the module
        docstring for the dynamic threshold)."""
        if not self.dynamic:
            return scores > self.model.threshold_
        self.recent = np.concatenate([self.recent, scores])[-DYNAMIC_CHUNK:]
        errors = self.recent - self.recent.min()  # as dynamic_flags shifts them
        if not len(scores) or errors[-len(scores):].max() < (errors.mean() + Z_RANGE[0]
                                                             * errors.std()):
            return np.zeros(len(scores), dtype=bool)  # below every candidate threshold
        return dynamic_flags(self.recent, self.prune)[-len(scores):]


def _scaling(model: Any, name: str, history: np.ndarray | None
             ) -> tuple[np.ndarray, np.ndarray]:
    """The scaler's statistics of ``name``; a series unknown to it takes those of its
    history's training part, as the batch scorer does."""
    scaler = model.scaler_
    if name in scaler.ids_ or history is None:
        if name not in scaler.ids_:
            raise DatasetError(f"AnomalyDetector.update: series {name!r} was not seen in "
                               "fit; start its stream with reset_stream(history) so its "
                               "values can be scaled")
        return scaler.params(name)
    rows = max(train_rows(len(history), model.train_part or 0.3), 2)
    return scaler.statistics(history[:rows])


def read_rows(model: Any, rows: Any) -> list[tuple[str, np.ndarray]]:
    """``[(series, values (n, C))]`` of new rows, series in order of appearance: a
    DataFrame with the detector's value columns (and its id column for many series),
    or, for a detector of one channel and one series, an array or Series of values.

    Raises:
        DatasetError: a missing column, or a value that is not a finite number.
    """
    channels, id_col = model.channels_, model.id_col
    if not isinstance(rows, pd.DataFrame):
        array = np.asarray(rows, dtype=np.float64)
        rows = pd.DataFrame(array.reshape(len(array), -1), columns=channels)
    missing = [c for c in (*channels, *([id_col] if id_col else [])) if c not in rows.columns]
    if missing:
        raise DatasetError(f"AnomalyDetector.update: column {missing[0]!r} not found in "
                           f"the new rows; columns are: {', '.join(map(str, rows.columns))}")
    try:  # column by column: much faster than rows[channels] for a few rows
        values = np.column_stack([rows[c].to_numpy(np.float64) for c in channels])
    except (TypeError, ValueError):
        values = None
    if values is None or not np.isfinite(values).all():
        _refuse_bad_value(rows, channels)
    if not id_col:
        return [("0", values)]
    ids = rows[id_col].astype(str).to_numpy()
    names = pd.unique(ids)
    if len(names) == 1:
        return [(str(names[0]), values)]
    return [(str(name), values[ids == name]) for name in names]


def _refuse_bad_value(rows: pd.DataFrame, channels: list[str]) -> None:
    """Raise the error naming the first value of ``rows`` that is not a finite number."""
    for channel in channels:
        column = pd.to_numeric(rows[channel], errors="coerce").to_numpy(np.float64)
        bad = ~np.isfinite(column)
        if bad.any():
            row = int(bad.argmax())
            raise DatasetError(f"AnomalyDetector.update: column {channel!r} of the new "
                               f"rows holds {rows[channel].tolist()[row]!r} at row {row}; "
                               "expected a finite number")

"""Series in for anomaly detection: forecasting's readers and checks
(:mod:`lstmkit.data.timeseries`) plus what anomaly data adds: a 0/1 label column checked
on load, the input row of every step (so scores come out in input order), and the
split of each series into its training part and test part."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...data.tables import read_table
from ...data.timeseries import prepare_series, series_label
from ...errors import DatasetError
from .datasets import named_dataset

LABEL, ROW = "__label__", "__input_row__"


@dataclass
class AnomalyData:
    """One or many aligned series with their labels.

    Attributes:
        ids: one name per series. times: per series, its time stamps (or positions).
        values: per series, (T_i, C) float64 values.
        labels: per series, (T_i,) 0/1 ints, or None without a label column.
        rows: per series, (T_i,) the input row of each step (-1 for a filled-in step).
        channels: the value column names. time_col: the time column or None.
        where: the source's description, for messages.
        train_part: the training part: the setting, else the dataset's suggestion,
            else 0.3 (see :class:`AnomalySettings`).
    """

    ids: list[str]
    times: list[pd.Index]
    values: list[np.ndarray]
    labels: list[np.ndarray] | None
    rows: list[np.ndarray]
    channels: list[str]
    time_col: str | None
    where: str
    train_part: float = 0.3


def read_anomaly_data(source: Any, settings: Any, *, labels_optional: bool = False
                      ) -> AnomalyData:
    """Read and check ``source`` (path, dataset name, frame or array) with the column
    roles of ``settings`` (an :class:`AnomalySettings`); with ``labels_optional``, data
    without the label column is read without labels (new data to watch).

    Raises:
        DatasetError: unknown columns, non-numeric values, NaNs without ``fill``,
            labels that are not 0/1, and the other problems of
            :func:`~lstmkit.data.timeseries.prepare_series`, each naming the column.
    """
    s = settings
    source, roles = named_dataset(source)
    frame, where = read_table(source, text_columns=[s.id_col] if s.id_col else [])
    label_col = s.label_col or roles.get("label_col")
    if labels_optional and label_col not in frame.columns:
        label_col = None
    time_col = s.time_col or roles.get("time_col")
    id_col = s.id_col or roles.get("id_col")
    named = (label_col, time_col, id_col, *(s.columns or roles.get("columns", ())))
    for column in [c for c in named if c is not None]:
        if column not in frame.columns:
            raise DatasetError(f"column {column!r} not found in {where}; columns are: "
                               f"{', '.join(map(str, frame.columns))}")
    frame[ROW] = np.arange(len(frame), dtype=np.float64)
    covariates = [ROW]
    if label_col is not None:
        frame[LABEL] = check_labels(frame[label_col], label_col, where)
        covariates.append(LABEL)
    columns = (list(s.columns) or list(roles.get("columns", ()))
               or _value_columns(frame, {label_col, time_col, id_col, LABEL}, where))
    twice = sorted({c for c in columns if columns.count(c) > 1}, key=str)
    if twice:
        raise DatasetError(f"column {twice[0]!r} of {where} is named more than once in "
                           "columns=; give each channel once")
    data = prepare_series(frame.drop(columns=[label_col] if label_col else []),
                          target=columns, time_col=time_col, id_col=id_col,
                          past_covariates=covariates, fill=s.fill, freq=s.freq, where=where)
    rows = [_input_rows(p[:, 0]) for p in data.past]
    labels = [(p[:, 1] >= 0.5).astype(np.int64) for p in data.past] if label_col else None
    return AnomalyData(data.ids, data.times, data.targets, labels, rows, data.target_names,
                       data.time_col, where, s.train_part or roles.get("train_part", 0.3))


def _value_columns(frame: pd.DataFrame, used: set, where: str) -> list[str]:
    """The numeric columns not used otherwise; without one, every column left (so that
    reading it names the first value that is not a number)."""
    left = [c for c in frame.columns if c not in used and c != ROW]
    numeric = [c for c in left if pd.api.types.is_numeric_dtype(frame[c])]
    if not left:
        raise DatasetError(f"no value column in {where}: every column has another role")
    return numeric or left


def check_labels(column: pd.Series, name: str, where: str) -> np.ndarray:
    """The label column as 0/1 floats, or an error naming the first other value."""
    values = pd.to_numeric(column, errors="coerce")
    bad = ~values.isin([0, 1]).to_numpy()
    if bad.any():
        row = int(bad.argmax())
        raise DatasetError(f"label column {name!r} in {where} must hold 0 (normal) or 1 "
                           f"(anomaly): row {row} holds {column.tolist()[row]!r}")
    return values.to_numpy(np.float64)


def _input_rows(order: np.ndarray) -> np.ndarray:
    """Input rows of the steps; -1 for a step that filling inserted (a repeated or
    interpolated row number)."""
    rows = np.round(order).astype(np.int64)
    inserted = ~np.isclose(order, rows)
    inserted[1:] |= rows[1:] == rows[:-1]
    return np.where(inserted, -1, rows)


def train_rows(length: int, train_part: float) -> int:
    """Rows of a series of ``length`` in its training part: a share below 1, else a count."""
    return int(length * train_part) if train_part < 1 else min(int(train_part), length)


def check_lengths(data: AnomalyData, train_part: float, window: int, val_fraction: float
                  ) -> None:
    """Refuse a series whose training part cannot hold a training and a validation
    window."""
    need = (window + 1) * (2 if val_fraction > 0 else 1)
    for name, values in zip(data.ids, data.values, strict=True):
        rows = train_rows(len(values), train_part)
        if rows < need:
            label = series_label(name)
            raise DatasetError(f"the training part of {data.where}{label} has {rows} rows "
                               f"(train_part={train_part:g} of {len(values)}); it needs at "
                               f"least {need} for window={window}: lower window or give "
                               "more rows")


def check_label_sanity(data: AnomalyData, train_part: float, max_density: float) -> None:
    """Warn about suspicious labels: a density above ``max_density``, or anomalies
    inside the training part (which the detector learns as normal); and about channels
    that duplicate another."""
    _warn_duplicate_channels(data)
    if data.labels is None:
        return
    for name, labels in zip(data.ids, data.labels, strict=True):
        label = series_label(name)
        density = float(labels.mean())
        if density > max_density:
            warnings.warn(f"{data.where}{label}: {100 * density:.1f}% of the points are "
                          f"labelled anomalous (above max_density={max_density:g}); check "
                          "the labels", UserWarning, stacklevel=3)
        inside = int(labels[:train_rows(len(labels), train_part)].sum())
        if inside:
            warnings.warn(f"{data.where}{label}: {inside} labelled anomalous points lie in "
                          "the training part, which the detector learns as normal",
                          UserWarning, stacklevel=3)


def _warn_duplicate_channels(data: AnomalyData) -> None:
    """Warn once per pair of channels equal at every step of every series (a column
    read twice under two names: it doubles its weight in the error and the baselines)."""
    for a, first in enumerate(data.channels):
        for b in range(a + 1, len(data.channels)):
            if all(np.array_equal(v[:, a], v[:, b]) for v in data.values):
                warnings.warn(f"{data.where}: channels {first!r} and "
                              f"{data.channels[b]!r} are identical; one is enough (drop "
                              "the other with columns=)", UserWarning, stacklevel=3)


#: A test part with more than this share of a channel's steps beyond BEYOND_SD
#: standard deviations of the training part's mean is warned about.
BEYOND_SHARE, BEYOND_SD = 0.5, 3.0


def warn_beyond_training(data: AnomalyData, i: int, scaled_test: np.ndarray) -> None:
    """Warn when most of series ``i``'s test part (scaled by its training part) lies
    beyond :data:`BEYOND_SD` standard deviations: the detector learned "normal" at
    another level, so its scores there measure the drift (a trending series: the Yahoo
    S5 excerpt; docs/anomaly.md)."""
    if not len(scaled_test):
        return
    shares = (np.abs(scaled_test) > BEYOND_SD).mean(axis=0)
    worst = int(shares.argmax())
    if shares[worst] > BEYOND_SHARE:
        label = series_label(data.ids[i])
        warnings.warn(f"{data.where}{label}: {shares[worst]:.0%} of the test steps of "
                      f"column {data.channels[worst]!r} lie more than {BEYOND_SD:g} "
                      "standard deviations from its training part's mean: the detector "
                      "learned normal at another level, so its scores there measure the "
                      "drift; a longer train_part, or relative=True for a trending "
                      "series, may help", UserWarning, stacklevel=2)


def fit_cuts(length: int, train_part: float, val_fraction: float) -> tuple[int, int]:
    """(rows the network learns from, rows of the training part)."""
    n_train = train_rows(length, train_part)
    return n_train - int(n_train * val_fraction), n_train


def check_not_constant(data: AnomalyData, train_part: float) -> None:
    """Raise naming the first channel that is constant in every series' training part."""
    for c, channel in enumerate(data.channels):
        parts = [v[:train_rows(len(v), train_part), c] for v in data.values]
        if all(np.ptp(p) == 0 for p in parts):
            raise DatasetError(f"column {channel!r} in {data.where} is constant in the "
                               "training part of every series: there is nothing to learn "
                               "what normal looks like from; drop it with columns=")

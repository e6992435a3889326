"""What :class:`~lstmkit.tasks.classification.SequenceClassifier` accepts as ``X`` and
``y``, read into one form: a list of sequences (numeric (T, I) arrays, or strings).

``X`` may be a 3-D array (N, T, I), a 2-D array (N, T) of univariate series, a list of
variable-length arrays ((T,) or (T, I) each), a list of strings (text), or a pandas
DataFrame: long format (one row per step: an id column, a time column, feature columns
and optionally a label column) or, when it has the text column, one document per row.
Every problem is one :class:`ClassificationDataError` naming the sequence or column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...errors import DatasetError


class ClassificationDataError(DatasetError, ValueError):
    """Data that a sequence classifier cannot read (a ``ValueError`` too, as
    scikit-learn expects of bad input)."""


@dataclass
class Sequences:
    """Sequences read from ``X``.

    Attributes:
        kind: ``"series"`` (numeric) or ``"text"``.
        items: (T_i, I) float32 arrays, or strings.
        ids: the DataFrame's sequence ids (or row numbers) in order.
        labels: the label column of a DataFrame, one per sequence, else None.
    """

    kind: str
    items: list[Any]
    ids: list[Any]
    labels: np.ndarray | None = None


def read_sequences(X: Any, *, id_col: str = "id", time_col: str = "time",
                   label_col: str = "label", text_col: str = "text") -> Sequences:
    """Read ``X`` in any accepted form; see the module docstring.

    Raises:
        ClassificationDataError: empty data, an empty sequence, NaN or infinite values,
            sequences with different numbers of features, non-numeric values, or a
            DataFrame missing its id/time columns.
    """
    if isinstance(X, pd.DataFrame):
        return _read_frame(X, id_col, time_col, label_col, text_col)
    if hasattr(X, "detach"):  # a torch tensor
        X = X.detach().cpu().numpy()
    if hasattr(X, "tocsr") or hasattr(X, "toarray"):  # scipy.sparse
        raise ClassificationDataError("sparse input is not supported; pass a dense array "
                                      "of series")
    if isinstance(X, str):
        raise ClassificationDataError("expected a list of strings (one document each), "
                                      "got a single string")
    if isinstance(X, np.ndarray) and X.dtype != object and X.dtype.kind not in "US":
        items = _from_array(X)
    else:
        items = list(X)
        if items and all(isinstance(v, str) for v in items):
            return Sequences("text", items, list(range(len(items))))
        items = [_series(v, i) for i, v in enumerate(items)]
    if not items:
        raise ClassificationDataError("no sequences: X is empty (0 sample(s))")
    _check_features(items)
    return Sequences("series", items, list(range(len(items))))


def sequence_labels(data: Sequences, y: Any, label_col: str) -> np.ndarray:
    """The labels of ``data``: ``y``, or the label column its DataFrame carried (when
    ``y`` is None), checked as classification targets, one per sequence."""
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import column_or_1d

    if y is None:
        if data.labels is None:
            raise ClassificationDataError(
                f"SequenceClassifier requires y to be passed, but the target y is None "
                f"(and X is not a DataFrame with the label column {label_col!r})")
        y = data.labels
    y = column_or_1d(y, warn=True)
    check_classification_targets(y)
    if len(y) != len(data.items):
        raise ClassificationDataError(f"SequenceClassifier: {len(data.items)} sequences "
                                      f"but {len(y)} labels")
    return y


def label_codes(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The classes (sorted) and each label's index among them.

    Raises:
        ClassificationDataError: fewer than 2 classes.
    """
    classes, codes = np.unique(labels, return_inverse=True)
    if len(classes) < 2:
        raise ClassificationDataError(
            f"SequenceClassifier: the labels hold only one class ({classes[0]!r});"
            " at least 2 classes are needed")
    return classes, codes


def check_known_labels(labels: np.ndarray, classes: np.ndarray) -> None:
    """Raise unless every label of ``labels`` is one of ``classes`` (those fit saw).

    Raises:
        ClassificationDataError: naming the first unseen label and the classes.
    """
    unseen = sorted(set(labels.tolist()) - set(classes.tolist()), key=str)
    if unseen:
        raise ClassificationDataError(
            f"SequenceClassifier: label {unseen[0]!r} was not seen in fit (classes: "
            f"{', '.join(map(str, classes))}); a model cannot predict a class it "
            "was not trained on")


def check_fixed_length(lengths: Any, seq_len: int) -> None:
    """Raise unless every length of ``lengths`` (a tensor) is ``seq_len`` (the one
    length ``dimension_shuffle`` reads)."""
    if int(lengths.min()) != seq_len or int(lengths.max()) != seq_len:
        raise ClassificationDataError(
            f"SequenceClassifier: dimension_shuffle needs every series to have "
            f"{seq_len} steps, got lengths {int(lengths.min())}..{int(lengths.max())}")


def _from_array(X: np.ndarray) -> list[np.ndarray]:
    if np.iscomplexobj(X):
        raise ClassificationDataError("Complex data not supported; expected real numbers")
    if X.ndim == 2:
        X = X[:, :, None]  # (N, T) -> (N, T, 1): univariate series
    if X.ndim != 3:
        raise ClassificationDataError(f"expected X of shape (N, T, I) or (N, T), got an "
                                      f"array of shape {X.shape}")
    return [_series(row, i) for i, row in enumerate(X)]


def _series(value: Any, index: int) -> np.ndarray:
    """One sequence as a finite (T, I) float32 array."""
    try:
        array = np.asarray(value)
        if np.iscomplexobj(array):
            raise TypeError("complex values")
        array = array.astype(np.float32)
    except (TypeError, ValueError) as exc:
        raise ClassificationDataError(f"sequence {index}: not numeric ({exc})") from None
    if array.ndim == 1:
        array = array[:, None]  # (T,) -> (T, 1)
    if array.ndim != 2:
        raise ClassificationDataError(f"sequence {index}: expected shape (T,) or (T, I), "
                                      f"got {array.shape}")
    if array.shape[0] == 0:
        raise ClassificationDataError(f"sequence {index} is empty (no steps)")
    if not np.isfinite(array).all():
        step = int(np.argwhere(~np.isfinite(array))[0][0])
        raise ClassificationDataError(f"sequence {index}: NaN or infinite value at step "
                                      f"{step}; fill or drop missing values first")
    return array


def _check_features(items: list[np.ndarray]) -> None:
    first = items[0].shape[1]
    for i, item in enumerate(items):
        if item.shape[1] != first:
            raise ClassificationDataError(f"sequence {i} has {item.shape[1]} features per "
                                          f"step, sequence 0 has {first}")


def _read_frame(frame: pd.DataFrame, id_col: str, time_col: str, label_col: str,
                text_col: str) -> Sequences:
    if frame.empty:
        raise ClassificationDataError("no sequences: the DataFrame has no rows")
    labels = frame[label_col].to_numpy() if label_col in frame.columns else None
    if text_col in frame.columns:
        texts = frame[text_col]
        if texts.isna().any():
            raise ClassificationDataError(f"column {text_col!r}: empty cell in row "
                                          f"{int(np.flatnonzero(texts.isna())[0])}")
        return Sequences("text", texts.astype(str).tolist(),
                         frame[id_col].tolist() if id_col in frame.columns
                         else list(range(len(frame))), labels)
    missing = [c for c in (id_col, time_col) if c not in frame.columns]
    if missing:
        raise ClassificationDataError(
            f"column {missing[0]!r} not found (columns: {', '.join(map(str, frame.columns))});"
            f" a long-format table needs an id column and a time column (or a text column "
            f"{text_col!r})")
    features = [c for c in frame.columns if c not in (id_col, time_col, label_col)]
    if not features:
        raise ClassificationDataError("no feature columns besides the id, time and label "
                                      "columns")
    return _long_format(frame, id_col, time_col, label_col, features)


def _long_format(frame: pd.DataFrame, id_col: str, time_col: str, label_col: str,
                 features: list[str]) -> Sequences:
    numeric = frame[features].apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() & frame[features].notna()
    if bad.any().any():
        column = bad.any().idxmax()
        raise ClassificationDataError(f"column {column!r}: not a number in row "
                                      f"{int(np.flatnonzero(bad[column])[0])}")
    frame = frame.assign(**{c: numeric[c] for c in features}).sort_values(
        [id_col, time_col], kind="stable")
    ids, items, labels = [], [], []
    for key, group in frame.groupby(id_col, sort=False):
        ids.append(key)
        items.append(_series(group[features].to_numpy(), len(ids) - 1))
        if label_col in group.columns:
            values = group[label_col].dropna().unique()
            if len(values) != 1:
                raise ClassificationDataError(
                    f"sequence {key!r}: expected one value of {label_col!r}, got "
                    f"{len(values)}")
            labels.append(values[0])
    return Sequences("series", items, ids,
                     np.asarray(labels) if label_col in frame.columns else None)


def pad(items: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Stack (T_i, ...) arrays into one zero-padded (N, T_max, ...) array and lengths."""
    lengths = np.array([len(v) for v in items], dtype=np.int64)
    out = np.zeros((len(items), int(lengths.max()), *items[0].shape[1:]), dtype=items[0].dtype)
    for i, v in enumerate(items):
        out[i, :len(v)] = v
    return out, lengths

"""The ``classify`` task's data: a CSV (long-format series, or one document per row)
read, checked and split into a training part and a test part **before** any training.

A ``split`` column (values ``train``/``test``, as in the bundled UCR/UEA sets) gives the
split; otherwise a stratified ``test_fraction`` of the sequences is held out (seeded by
``data_seed``). Every problem is one :class:`~lstmkit.errors.DatasetError` naming the
file and the column: an unknown label column, ragged rows, a single class, labels that
occur only in the test part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from ...data.registry import DatasetRef
from ...errors import DatasetError
from .inputs import read_sequences


@dataclass(frozen=True)
class ClassifyData:
    """A dataset split for the classify task.

    Attributes:
        train, test: the two parts, as frames the estimator reads (no split column).
        kind: ``"series"`` or ``"text"``.
        name: the dataset's name, for titles.
    """

    train: pd.DataFrame
    test: pd.DataFrame
    kind: str
    name: str


def read_table(ref: DatasetRef) -> pd.DataFrame:
    """The CSV/TSV file of ``ref`` as a DataFrame; ragged rows are an error naming the line."""
    if ref.format not in ("csv", "tsv"):
        raise DatasetError(f"{ref.source}: expected a CSV or TSV file (long-format series, "
                           f"or a text column), got a {ref.format} file")
    try:
        return pd.read_csv(ref.path, sep="\t" if ref.format == "tsv" else ",")
    except pd.errors.ParserError as exc:
        raise DatasetError(f"{ref.source}: malformed table: {str(exc).strip()}") from None
    except (UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DatasetError(f"{ref.source}: cannot read as a table: {exc}") from None


def load_classify_data(ref: DatasetRef, settings) -> ClassifyData:
    """Read, check and split ``ref`` as the settings say (see the module docstring)."""
    frame, s, where = read_table(ref), settings, ref.source
    if s.label_col not in frame.columns:
        raise DatasetError(f"{where}: label column {s.label_col!r} not found (columns: "
                           f"{', '.join(map(str, frame.columns))}); choose one with "
                           "--label-col")
    if frame[s.label_col].isna().any():
        row = int(np.flatnonzero(frame[s.label_col].isna())[0])
        raise DatasetError(f"{where}: empty label in data row {row + 1} (column "
                           f"{s.label_col!r})")
    kind = "text" if s.text_col in frame.columns else "series"
    key = s.id_col if kind == "series" else None
    if kind == "series" and s.id_col not in frame.columns:
        raise DatasetError(f"{where}: id column {s.id_col!r} not found (columns: "
                           f"{', '.join(map(str, frame.columns))}); give --id-col, or "
                           f"--text-col for a text file")
    train, test = _split(frame, key, s, where)
    _check_labels(train, test, s.label_col, where)
    for part in (train, test):  # the content (NaN, empty documents...) before training
        try:
            sequences_of(part, s)
        except DatasetError as exc:
            raise DatasetError(f"{where}: {exc}") from None
    return ClassifyData(train, test, kind, ref.name)


def _split(frame: pd.DataFrame, key: str | None, s, where: str
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    if s.split_col in frame.columns:
        part = frame[s.split_col].astype(str).str.lower()
        bad = sorted(set(part) - {"train", "test"})
        if bad:
            raise DatasetError(f"{where}: column {s.split_col!r} must hold 'train' or "
                               f"'test', got {bad[0]!r}")
        frame = frame.drop(columns=s.split_col)
        return frame[part == "train"], frame[part == "test"]
    if s.test_fraction == 0:
        raise DatasetError(f"{where}: no {s.split_col!r} column and --test-fraction 0: "
                           "nothing to test on")
    ids = frame[key].drop_duplicates() if key else pd.Series(frame.index)
    labels = (frame.groupby(key, sort=False)[s.label_col].first().loc[ids].to_numpy()
              if key else frame[s.label_col].to_numpy())
    counts, n_test = pd.Series(labels).value_counts(), int(np.ceil(len(ids) * s.test_fraction))
    enough = min(n_test, len(ids) - n_test) >= len(counts) and counts.min() >= 2
    stratify = labels if enough else None  # too few sequences to stratify: a plain split
    _, test_ids = train_test_split(ids.to_numpy(), test_size=s.test_fraction,
                                   random_state=s.data_seed, stratify=stratify)
    member = frame[key].isin(test_ids) if key else frame.index.isin(test_ids)
    return frame[~member], frame[member]


def _check_labels(train: pd.DataFrame, test: pd.DataFrame, label: str, where: str) -> None:
    if train.empty or test.empty:
        raise DatasetError(f"{where}: the {'training' if train.empty else 'test'} part is "
                           "empty")
    seen = set(train[label].astype(str))
    if len(seen) < 2:
        raise DatasetError(f"{where}: the training part holds one class only "
                           f"({next(iter(seen))!r}); at least 2 are needed")
    only = sorted(set(test[label].astype(str)) - seen)
    if only:
        raise DatasetError(f"{where}: label {only[0]!r} occurs only in the test part; a "
                           "model cannot learn a class it never sees in training")


def sequences_of(frame: pd.DataFrame, settings):
    """The estimator's view of a part (to check it, and for the baselines)."""
    return read_sequences(frame, id_col=settings.id_col, time_col=settings.time_col,
                          label_col=settings.label_col, text_col=settings.text_col)

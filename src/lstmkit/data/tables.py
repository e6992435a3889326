"""Tables in: CSV, TSV and Parquet files, registered or bundled datasets by name, pandas
DataFrames and Series, numpy arrays — each read into a DataFrame with a short
description of where it came from, for messages."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DatasetError


def read_table(source: object, *, text_columns: Sequence[str] = ()
               ) -> tuple[pd.DataFrame, str]:
    """A DataFrame from a path, a dataset name, a DataFrame, a Series or an array.

    Returns the frame and a short description of where it came from (for messages).
    ``text_columns`` (e.g. the series id column) are read from CSV files as text, so
    ``007`` and ``7.0`` stay distinct.

    Example:
        >>> frame, where = read_table(np.arange(3.0))
        >>> list(frame.columns), where
        (['y'], 'array')
    """
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index() if isinstance(source.index, pd.DatetimeIndex) else source
        return frame.copy(), "DataFrame"
    if isinstance(source, pd.Series):
        frame = source.rename(source.name if source.name is not None else "y").to_frame()
        return read_table(frame)[0], "Series"
    if isinstance(source, np.ndarray):
        values = source.reshape(len(source), -1)  # (T,) or (T, n) -> (T, n)
        names = ["y"] if values.shape[1] == 1 else [f"y{i}" for i in range(values.shape[1])]
        return pd.DataFrame(values, columns=names), "array"
    if isinstance(source, (str, os.PathLike)):
        return read_file(source, text_columns=text_columns)
    raise DatasetError(f"cannot read time series from a {type(source).__name__}; expected a "
                       "path, a dataset name, a DataFrame, a Series or a numpy array")


def dataset_defaults(source: object) -> dict[str, str]:
    """The column roles a bundled dataset suggests (its catalog's ``"forecast"`` entry),
    or ``{}`` for anything else.

    Example:
        >>> dataset_defaults("airline")["target"]
        'passengers'
    """
    from .registry import bundled_catalog

    if not isinstance(source, (str, os.PathLike)) or Path(source).expanduser().is_file():
        return {}
    return dict(bundled_catalog().get(str(source), {}).get("forecast", {}))


def read_file(path_or_name: str | os.PathLike, *, text_columns: Sequence[str] = ()
              ) -> tuple[pd.DataFrame, str]:
    """Read a CSV/TSV/Parquet file, or a registered or bundled dataset by name;
    ``text_columns`` of a CSV are read as text."""
    from .registry import resolve

    path = Path(path_or_name).expanduser()
    if not path.is_file():
        path = resolve(path_or_name).path
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path), str(path)
        return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",",
                           dtype={c: str for c in text_columns},
                           float_precision="round_trip"), str(path)  # exact, on pandas 2 too
    except (ValueError, OSError, ImportError, pd.errors.ParserError) as exc:
        raise DatasetError(f"{path}: cannot read it as a table ({exc})") from None

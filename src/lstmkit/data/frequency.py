"""Time axes of series: frequency inference, season length, future stamps, calendar features.

A series either has a time stamp per row (a ``pandas.DatetimeIndex`` with a regular
frequency such as ``"MS"``, ``"B"`` or ``"h"``) or is indexed by position (``freq`` None).
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

SEASONS = {"h": 24, "min": 60, "D": 7, "B": 5, "W": 52, "M": 12, "Q": 4, "Y": 1}
"""Season length by frequency family (hourly: a day, daily: a week, monthly: a year)."""

CALENDAR_FIELDS = {"hour": 24, "day_of_week": 7, "month": 12}


def infer_frequency(times: pd.DatetimeIndex) -> str | None:
    """The regular frequency of sorted time stamps, tolerating a few missing ones.

    Tries pandas' inference on the whole index, then on short runs of stamps, and
    returns the frequency most runs agree on (so gaps do not hide it).

    Example:
        >>> infer_frequency(pd.DatetimeIndex(["2000-01-01", "2000-02-01", "2000-04-01",
        ...                                   "2000-05-01", "2000-06-01", "2000-07-01"]))
        'MS'
    """
    if len(times) < 3:
        return None
    found = _infer(times)
    if found is not None:
        return found
    for size in (7, 5, 3):
        stride = max(1, len(times) // 50)
        runs = [_infer(times[i:i + size]) for i in range(0, len(times) - size + 1, stride)]
        counts = Counter(f for f in runs if f is not None)
        if counts:
            return counts.most_common(1)[0][0]
    return None


def _infer(times: pd.DatetimeIndex) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            found = pd.infer_freq(times)
        except (TypeError, ValueError):
            return None
    return None if found is None else to_offset(found).freqstr


def season_length(freq: str | None) -> int:
    """The usual season of a frequency: 12 for monthly, 7 daily, 5 business days, 24 hourly.

    Multiples scale down (``"30min"`` gives 48 per day). Unknown or no frequency: 1.

    Example:
        >>> season_length("MS"), season_length("B"), season_length("30min")
        (12, 5, 48)
    """
    if freq is None:
        return 1
    offset = to_offset(freq)
    base = offset.rule_code.split("-")[0]
    family = next((k for k in ("min", "h", "B", "D", "W", "Q", "Y", "M") if base.startswith(k)),
                  None)
    if family is None:
        return 1
    if family == "min":
        return max(1, 1440 // offset.n)
    return max(1, SEASONS[family] // offset.n)


def future_times(last: pd.Timestamp | int, steps: int, freq: str | None) -> pd.Index:
    """The ``steps`` stamps after ``last`` (positions ``last + 1, ...`` without a frequency).

    Example:
        >>> list(future_times(pd.Timestamp("2000-01-01"), 2, "MS").strftime("%Y-%m"))
        ['2000-02', '2000-03']
    """
    if freq is None:
        return pd.RangeIndex(int(last) + 1, int(last) + 1 + steps)
    return pd.date_range(last, periods=steps + 1, freq=freq)[1:]


def calendar_names(freq: str | None) -> list[str]:
    """Names of the calendar features that vary at ``freq`` (sine and cosine of each field).

    Hourly data gets hour of day, day of week and month; daily data day of week and month;
    monthly data the month; position-indexed data none.
    """
    if freq is None:
        return []
    fields = {"h": ["hour", "day_of_week", "month"], "min": ["hour", "day_of_week", "month"],
              "D": ["day_of_week", "month"], "B": ["day_of_week", "month"], "W": ["month"],
              "M": ["month"]}
    base = to_offset(freq).rule_code
    family = next((k for k in ("min", "h", "B", "D", "W", "M") if base.startswith(k)), None)
    chosen = fields.get(family, [])
    return [f"{name}_{fn}" for name in chosen for fn in ("sin", "cos")]


def calendar_features(times: pd.Index, names: list[str]) -> np.ndarray:
    """Sine/cosine encodings of ``names`` (from :func:`calendar_names`) for ``times``.

    Shape: (T, len(names)).

    Example:
        >>> calendar_features(pd.date_range("2000-01-01", periods=3, freq="MS"),
        ...                   ["month_sin", "month_cos"]).shape
        (3, 2)
    """
    columns = []
    for name in names:
        field, fn = name.rsplit("_", 1)
        value = np.asarray(getattr(times, field), dtype=np.float64)
        if field == "month":
            value = value - 1
        angle = 2 * np.pi * value / CALENDAR_FIELDS[field]
        columns.append(np.sin(angle) if fn == "sin" else np.cos(angle))
    return np.stack(columns, axis=1) if columns else np.zeros((len(times), 0))

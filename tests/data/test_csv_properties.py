"""Property tests of the forecasting reader over generated malformed CSV files: reading
and checking either succeeds with finite values on a regular time grid, or raises
DatasetError/ConfigError (one line for the user) — never another exception."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstmkit.errors import ConfigError, DatasetError
from lstmkit.tasks.forecasting import Forecaster

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64).map(repr),
    st.integers(-10**30, 10**30).map(str),
    st.sampled_from(["inf", "-inf", "Infinity", "nan", "NaN", "1e308", "-1e400", "", " ",
                     "1,5", "0x10", "true", "007", "7.0", "=1+1", "@SUM(A1)", "\t-3"]),
)
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
CELLS = st.one_of(NUMBERS, TEXT)
STAMPS = st.one_of(
    st.dates(min_value=pd.Timestamp("1700-01-01").date(),
             max_value=pd.Timestamp("2200-01-01").date()).map(str),
    st.sampled_from(["2001-01-01 00:00:00+05:00", "2001-01-02T00:00:00Z", "2001-13-01",
                     "", "yesterday", "1871", "0", "-1", "2001-01-01 00:00:00"]),
)
NAMES = st.one_of(TEXT, st.sampled_from(["$x_$", "date", "id", "load", "Unnamed: 0",
                                         "[link=http://x]y", "a,b", "\ufeffdate", '"q"']))
ALLOWED = (DatasetError, ConfigError)
FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    frame = pd.DataFrame(rows, columns=header) if rows else pd.DataFrame(columns=header)
    return frame.to_csv(index=False)


def check_read(path, **options) -> None:
    """Read ``path`` as ``Forecaster.check`` does; assert the property."""
    try:
        model = Forecaster(horizon=2, lookback=2, test_size=0, val_size=0, **options)
        data = model.read(path)
    except ALLOWED:
        return
    for values in (*data.targets, *data.past, *data.future):
        assert np.isfinite(values).all()
    for times, targets in zip(data.times, data.targets, strict=True):
        assert len(times) == len(targets)
        assert times.is_monotonic_increasing and times.is_unique
    assert len(set(data.ids)) == len(data.ids)


@FAST
@given(rows=st.lists(st.tuples(STAMPS, CELLS), max_size=12),
       fill=st.sampled_from([None, "ffill", "linear"]))
def test_reader_on_random_cells_succeeds_finite_or_raises_user_error(tmp_path, rows, fill):
    path = tmp_path / "data.csv"
    path.write_text(csv_text(["date", "load"], [list(r) for r in rows]))
    check_read(path, fill=fill)


@FAST
@given(cells=st.lists(CELLS, min_size=1, max_size=15), gaps=st.sets(st.integers(0, 14)),
       duplicate=st.booleans(), fill=st.sampled_from([None, "ffill", "linear"]))
def test_reader_on_a_daily_grid_with_bad_cells_and_gaps(tmp_path, cells, gaps, duplicate,
                                                        fill):
    days = pd.date_range("2001-01-01", periods=len(cells), freq="D").strftime("%Y-%m-%d")
    rows = [[d, c] for i, (d, c) in enumerate(zip(days, cells, strict=True)) if i not in gaps]
    if duplicate and rows:
        rows.append(rows[0])
    path = tmp_path / "data.csv"
    path.write_text(csv_text(["date", "load"], rows))
    check_read(path, fill=fill)


@FAST
@given(values=st.lists(st.floats(-1e12, 1e12, allow_nan=False), min_size=3, max_size=15))
def test_reader_reads_clean_series_exactly(tmp_path, values):
    days = pd.date_range("2001-01-01", periods=len(values), freq="D")
    path = tmp_path / "data.csv"
    pd.DataFrame({"date": days, "load": values}).to_csv(path, index=False)
    data = Forecaster(horizon=2, lookback=2).read(path)
    assert data.freq == "D" and data.ids == ["0"]
    np.testing.assert_array_equal(data.targets[0][:, 0], values)


@FAST
@given(header=st.lists(NAMES, min_size=1, max_size=4),
       cells=st.lists(st.lists(CELLS, min_size=4, max_size=4), max_size=6),
       target=st.one_of(st.none(), NAMES))
def test_reader_on_odd_headers_and_mixed_types_never_crashes(tmp_path, header, cells, target):
    path = tmp_path / "data.csv"
    rows = [row[:len(header)] for row in cells]
    path.write_text(pd.DataFrame(rows, columns=header).to_csv(index=False) if rows
                    else ",".join(header) + "\n")
    check_read(path, target=target)


@FAST
@given(ids=st.lists(st.sampled_from(["007", "7.0", "7", "", "=A1", "a"]), min_size=1,
                    max_size=10),
       values=st.lists(NUMBERS, min_size=10, max_size=10))
def test_reader_with_id_column_never_crashes(tmp_path, ids, values):
    n = len(ids)
    frame = pd.DataFrame({"id": ids, "date": [f"2001-01-{1 + i % 5:02d}" for i in range(n)],
                          "load": values[:n]})
    path = tmp_path / "data.csv"
    path.write_text(frame.to_csv(index=False))
    check_read(path, id_col="id", fill="linear")


@FAST
@given(raw=st.binary(max_size=200), bom=st.booleans())
def test_reader_on_arbitrary_bytes_never_crashes(tmp_path, raw, bom):
    path = tmp_path / "data.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + b"date,load\n" + raw)
    check_read(path)


def test_reader_reads_bom_and_keeps_ids_distinct(tmp_path):
    path = tmp_path / "data.csv"
    days = [f"2001-01-{d:02d}" for d in range(1, 7)]
    lines = ["id,date,load"] + [f"{i},{d},{k}" for i in ("007", "7.0") for k, d in
                                enumerate(days)]
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode())
    data = Forecaster(horizon=2, lookback=2, id_col="id").read(path)
    assert data.ids == ["007", "7.0"] and data.freq == "D"

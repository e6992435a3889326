"""Time-series reading and checks, scaling and windows: errors name the first bad rows,
scalers see the training part only, windows never reach the test part."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from lstmkit.data.frequency import calendar_features, calendar_names, infer_frequency, season_length
from lstmkit.data.scaling import SeriesScaler
from lstmkit.data.tables import read_table
from lstmkit.data.timeseries import prepare_series
from lstmkit.data.windows import make_windows, split_series, train_origins, validation_origins
from lstmkit.errors import ConfigError, DatasetError


def monthly(n: int = 24, **extra) -> pd.DataFrame:
    return pd.DataFrame({"month": pd.date_range("2000-01-01", periods=n, freq="MS")
                         .strftime("%Y-%m"), "sales": np.arange(1.0, n + 1), **extra})


def test_prepare_series_infers_time_column_frequency_and_target():
    data = prepare_series(monthly())
    assert data.target_names == ["sales"]
    assert data.freq == "MS"
    assert data.lengths == [24]
    assert data.times[0][0] == pd.Timestamp("2000-01-01")


def test_prepare_series_unknown_column_lists_columns():
    with pytest.raises(DatasetError, match=r"^column 'price' not found in data; columns are: "
                                           r"month, sales$"):
        prepare_series(monthly(), target="price")


def test_prepare_series_non_numeric_target_names_row():
    frame = monthly()
    frame["sales"] = frame["sales"].astype(object)
    frame.loc[5, "sales"] = "n/a"
    with pytest.raises(DatasetError, match=r"column 'sales' in data is not numeric: row 5 "
                                           r"holds 'n/a'"):
        prepare_series(frame)


def test_prepare_series_nan_names_first_rows_and_fill_option():
    frame = monthly()
    frame.loc[[3, 7, 8, 9], "sales"] = np.nan
    with pytest.raises(DatasetError, match=r"missing values \(NaN\) in data, column 'sales': "
                                           r"row 3 \(2000-04-01 00:00:00\), row 7 .* and 1 "
                                           r"more; fill them with fill='ffill' or 'linear'"):
        prepare_series(frame)
    filled = prepare_series(frame, fill="linear").targets[0][:, 0]
    assert filled[3] == pytest.approx(4.0)
    assert prepare_series(frame, fill="ffill").targets[0][3, 0] == 3.0


def test_prepare_series_missing_timestamps_error_and_fill():
    frame = monthly().drop(index=[4, 5]).reset_index(drop=True)
    with pytest.raises(DatasetError, match=r"missing time stamps in data at frequency 'MS': "
                                           r"2000-05-01 00:00:00, 2000-06-01 00:00:00; fill"):
        prepare_series(frame)
    data = prepare_series(frame, fill="ffill")
    assert data.lengths == [24]
    assert data.targets[0][4, 0] == data.targets[0][5, 0] == 4.0


def test_prepare_series_many_series_by_id_column():
    frame = pd.concat([monthly().assign(store=name) for name in ("b", "a")])
    data = prepare_series(frame, id_col="store", target="sales")
    assert data.ids == ["a", "b"]
    assert data.lengths == [24, 24]


def test_prepare_series_duplicate_stamp_names_row():
    frame = pd.concat([monthly(), monthly().iloc[[2]]], ignore_index=True)
    with pytest.raises(DatasetError, match=r"duplicate time stamp in data: row 24 repeats"):
        prepare_series(frame)


@pytest.mark.parametrize("stamps", [
    ["1949-01", "1949-02", "1949-03"],                               # ISO 8601: fast path
    ["2000-01-01 10:00", "2000-01-01 11:00", "2000-01-01 12:00"],
    ["2000-01-01T10:00:00+01:00", "2000-01-01T11:00:00+01:00", "2000-01-01T12:00:00+01:00"],
    [1871, 1872, 1873],                                              # years as numbers
    ["01/31/2000", "02/29/2000", "03/31/2000"],                      # not ISO: inferred
    ["31 Jan 2000", "29 Feb 2000", "31 Mar 2000"],
])
def test_prepare_series_parses_iso_stamps_as_inference_does(stamps):
    parsed = prepare_series(pd.DataFrame({"date": stamps, "y": [1.0, 2.0, 3.0]})).times[0]
    text = pd.Series(stamps).astype(str)
    with warnings.catch_warnings():  # "could not infer format" for some of them
        warnings.simplefilter("ignore", UserWarning)
        reference = pd.DatetimeIndex(pd.to_datetime(text))  # pandas' own inference
    assert parsed.equals(reference)


def test_prepare_series_sorts_stamps_and_names_a_repeated_one():
    frame = pd.DataFrame({"date": ["2000-03-01", "2000-01-01", "2000-02-01"], "y": [3., 1., 2.]})
    data = prepare_series(frame)
    assert data.targets[0][:, 0].tolist() == [1.0, 2.0, 3.0]
    frame.loc[2, "date"] = "2000-03-01"
    with pytest.raises(DatasetError, match="row 2 repeats 2000-03-01"):
        prepare_series(frame)


def test_read_table_reads_parquet_csv_series_and_arrays(tmp_path):
    frame = monthly()
    frame.to_parquet(tmp_path / "s.parquet")
    frame.to_csv(tmp_path / "s.csv", index=False)
    for path in ("s.parquet", "s.csv"):
        assert prepare_series(read_table(tmp_path / path)[0]).lengths == [24]
    series = pd.Series(np.arange(5.0), index=pd.date_range("2000", periods=5, freq="D"))
    assert prepare_series(read_table(series)[0]).freq == "D"
    assert prepare_series(read_table(np.ones((6, 2)))[0], target=["y0", "y1"]).freq is None


def test_read_table_missing_file_names_it():
    with pytest.raises(DatasetError, match=r"dataset 'nope\.csv' not found"):
        read_table("nope.csv")


def test_season_length_follows_frequency():
    assert [season_length(f) for f in ("MS", "ME", "D", "B", "h", "30min", "W-SUN", "QS")] \
        == [12, 12, 7, 5, 24, 48, 52, 4]
    assert season_length(None) == 1


def test_infer_frequency_tolerates_gaps():
    stamps = pd.date_range("2000-01-03", periods=40, freq="B").delete([10, 20])
    assert infer_frequency(stamps) == "B"


def test_calendar_features_are_bounded_and_periodic():
    times = pd.date_range("2000-01-01", periods=48, freq="h")
    names = calendar_names("h")
    values = calendar_features(times, names)
    assert values.shape == (48, len(names))
    assert np.abs(values).max() <= 1.0
    np.testing.assert_allclose(values[0, :2], values[24, :2])


def test_series_scaler_uses_given_rows_only_and_round_trips():
    values = np.arange(10.0).reshape(10, 1)
    scaler = SeriesScaler().fit(["a"], [values[:6]])
    assert scaler.mean_[0, 0] == pytest.approx(values[:6].mean())
    assert scaler.std_[0, 0] == pytest.approx(values[:6].std())
    again = SeriesScaler.from_dict(scaler.to_dict(), columns=1)
    np.testing.assert_allclose(again.inverse("a", again.transform("a", values)), values)


def test_series_scaler_log_refuses_non_positive_values():
    with pytest.raises(DatasetError, match="log transform needs values > 0"):
        SeriesScaler(log=True).fit(["a"], [np.array([[1.0], [0.0]])])


def test_windows_never_read_the_test_part():
    split = split_series(100, test_size=20, val_size=10)
    for pick in (train_origins, validation_origins):
        origins = pick(split, lookback=12, horizon=5)
        assert origins.min() >= 12
        assert origins.max() + 5 <= split.origin
    assert train_origins(split, lookback=12, horizon=5).max() + 5 <= split.n_train
    v = np.arange(100.0).reshape(100, 1)
    x, y, f = make_windows(v, v, v[:, :0], np.array([12, 50]), lookback=12, horizon=5)
    assert x.shape == (2, 12, 1) and y.shape == (2, 5, 1) and f.shape == (2, 5, 0)
    assert x[1, -1, 0] == 49.0 and y[1, 0, 0] == 50.0


def test_prepare_series_refuses_infinite_and_huge_values_naming_rows():
    frame = pd.DataFrame({"date": pd.date_range("2000-01-01", periods=6, freq="D"),
                          "sales": [1.0, np.inf, 3.0, 1e31, 5.0, 6.0]})
    with pytest.raises(DatasetError, match=r"infinite or beyond ±1e\+30 in data, column "
                       r"'sales': row 1 holds inf, row 3 holds 1e\+31; "):
        prepare_series(frame)
    filled = prepare_series(frame, fill="linear")
    assert filled.targets[0][:, 0].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def test_prepare_series_mixed_time_zones_is_one_dataset_error():
    frame = pd.DataFrame({"date": ["2000-01-01 00:00+01:00", "2000-01-02 00:00+00:00"],
                          "sales": [1.0, 2.0]})
    with pytest.raises(DatasetError, match=r"^time column 'date' in data mixes time zones"):
        prepare_series(frame)


def test_read_table_keeps_text_ids_distinct(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("id,sales\n007,1\n7.0,2\n7,3\n")
    frame, _ = read_table(path, text_columns=["id"])
    assert frame["id"].tolist() == ["007", "7.0", "7"]


def test_spreadsheet_safe_escapes_text_cells_only():
    from lstmkit.data.export import spreadsheet_safe

    frame = pd.DataFrame({"series": ["=cmd|x", "+1", "@a", "\tb", "ok", "-2"],
                          "forecast": [-3.2, 1.0, 2.0, 3.0, 4.0, -5.0]})
    safe = spreadsheet_safe(frame)
    assert safe["series"].tolist() == ["'=cmd|x", "'+1", "'@a", "'\tb", "ok", "'-2"]
    assert safe["forecast"].tolist() == frame["forecast"].tolist()
    assert frame["series"].iloc[0] == "=cmd|x"  # the input is left alone


def test_series_scaler_from_dict_refuses_a_wrong_width_naming_it():
    state = SeriesScaler().fit(["a"], [np.arange(6.0).reshape(3, 2)]).to_dict()
    with pytest.raises(ConfigError, match=r"^target: expected mean and std of 1 column\(s\) per "
                                          r"series, one row per id; got 1 ids, 1 and 1 rows of "
                                          r"widths \[2\]$"):
        SeriesScaler.from_dict(state, columns=1, where="target")
    with pytest.raises(ConfigError, match=r"^target std must be a list"):
        SeriesScaler.from_dict({**state, "std": [[0.0, 1.0]]}, columns=2, where="target")

"""``lstmkit forecast``: the whole path on a tiny model, predict with the saved model, and
one pinned line per bad input, leaving nothing in the output directory."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

TINY = ["--epochs", "2", "--n-models", "1", "--hidden-size", "8", "--no-tracking"]


def write_series(path, n: int = 80) -> None:
    t = np.arange(n)
    pd.DataFrame({"date": pd.date_range("2001-01-01", periods=n, freq="MS"),
                  "load": 50 + t + 5 * np.sin(2 * np.pi * t / 12)}).to_csv(path, index=False)


@pytest.fixture(scope="module")
def outputs(run, tmp_path_factory):
    root = tmp_path_factory.mktemp("forecast")
    write_series(root / "load.csv")
    code = run(["forecast", "--data", str(root / "load.csv"), "--horizon", "6",
                "--lookback", "12", "--out", str(root / "out"), *TINY])
    assert code == 0
    return root


def test_forecast_cli_writes_every_output(outputs):
    out = outputs / "out"
    for name in ("forecast.csv", "metrics.json", "backtest.json", "forecast.png",
                 "model/config.json", "model/model.safetensors", "model/scalers.json"):
        assert (out / name).is_file(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"model", "naive", "seasonal_naive", "drift"} <= set(metrics)
    assert set(metrics["model"]) == {"MAE", "RMSE", "MAPE", "sMAPE", "MASE", "OWA", "MSIS",
                                     "coverage_80"}
    table = pd.read_csv(out / "forecast.csv")
    assert list(table.columns[:5]) == ["series", "time", "target", "part", "forecast"]
    assert (table["part"] == "test").sum() == 18 and (table["part"] == "future").sum() == 6
    assert table.loc[table["part"] == "test", "actual"].notna().all()
    assert not (outputs / ".lstmkit-partial").exists()


def test_forecast_cli_predict_with_saved_model(run, outputs, capsys):
    capsys.readouterr()
    code = run(["forecast", "predict", str(outputs / "out"), "--data",
                str(outputs / "load.csv")])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "series,time,target,forecast,lower_80,upper_80"
    assert len(lines) == 1 + 6 and lines[1].startswith("0,2007-09-01,load,")


@pytest.mark.parametrize(("case", "message"), [
    ("missing", "error: dataset '{root}/missing.csv' not found: no such file"),
    ("column", "error: column 'sales' not found in {root}/bad.csv; columns are: date, load"),
    ("text", "error: column 'load' in {root}/bad.csv is not numeric: row 3 holds 'high'"),
    ("short", "error: the series is too short: 30 rows, but lookback 12 + horizon 6 + "
              "validation 6 + test 18 need at least 42"),
    ("nan", "error: missing values (NaN) in {root}/bad.csv, column 'load': row 4 "
            "(2001-05-01 00:00:00); fill them with fill='ffill' or 'linear' (--fill)"),
])
def test_forecast_cli_bad_input_exits_with_one_line_and_writes_nothing(
        run, tmp_path, capsys, case, message):
    write_series(tmp_path / "bad.csv", 30 if case == "short" else 80)
    frame = pd.read_csv(tmp_path / "bad.csv")
    if case == "text":
        frame["load"] = frame["load"].astype(object)
        frame.loc[3, "load"] = "high"
    if case == "nan":
        frame.loc[4, "load"] = np.nan
    frame.to_csv(tmp_path / "bad.csv", index=False)
    data = tmp_path / ("missing.csv" if case == "missing" else "bad.csv")
    extra = ["--target", "sales"] if case == "column" else []
    code = run(["forecast", "--data", str(data), "--horizon", "6", "--lookback", "12",
                "--out", str(tmp_path / "out"), *extra, *TINY])
    err = capsys.readouterr().err.strip().splitlines()
    assert code != 0
    assert len(err) == 1 and err[0].startswith(message.format(root=tmp_path))
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / ".lstmkit-partial").exists()


def test_forecast_cli_resume_without_an_interrupted_run_says_so(run, tmp_path, capsys):
    code = run(["forecast", "--resume", "--out", str(tmp_path / "out"), *TINY])
    assert code != 0
    assert capsys.readouterr().err.strip() == (
        f"error: nothing to resume: no interrupted run in {tmp_path}/.lstmkit-partial/out")


def test_forecast_cli_model_keeps_the_roles_a_bundled_dataset_suggested(run, tmp_path, capsys):
    assert run(["forecast", "--data", "msft", "--epochs", "1", "--out", str(tmp_path / "msft"),
                *TINY[2:]]) == 0
    from lstmkit.data.registry import resolve

    capsys.readouterr()
    assert run(["forecast", "predict", str(tmp_path / "msft"), "--data",
                str(resolve("msft").path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 + 5 and lines[1].startswith("0,2017-11-13,close,")

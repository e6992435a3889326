"""Robustness corpus: bad numbers in data and settings.

Every bad value of a CSV cell, a forecast option, a ``text train`` override or an
experiment file's ``[train]``/``[task]`` table fails with one line naming the column or
option and the value, before training (nothing is written). The legitimate odd inputs
(a constant target, ``--test-size 0``, a ``$`` in a column name, ids ``007`` and ``7.0``,
formula-like ids, infinities with ``--fill``) run to the end with finite results.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from .conftest import TINY

N = 48
FAST = [*TINY, "--horizon", "3", "--lookback", "6"]


def series_frame(n: int = N, **columns) -> pd.DataFrame:
    t = np.arange(n)
    frame = pd.DataFrame({"date": pd.date_range("2001-01-01", periods=n, freq="MS"),
                          "load": 50.0 + t + 5 * np.sin(2 * np.pi * t / 12)})
    for name, values in columns.items():
        frame[name] = values
    return frame


def with_cell(value: object, row: int = 5, column: str = "load",
              frame: pd.DataFrame | None = None) -> pd.DataFrame:
    frame = series_frame() if frame is None else frame
    frame[column] = frame[column].astype(object)
    frame.loc[row, column] = value
    return frame


def mixed_zones() -> pd.DataFrame:
    frame = series_frame()
    frame["date"] = [f"{d:%Y-%m-%d} 00:00:00{'+05:00' if i % 2 else '+00:00'}"
                     for i, d in enumerate(frame["date"])]
    return frame


def two_ids(first: str, second: str) -> str:
    a, b = series_frame(), series_frame()
    b["load"] = b["load"] * 2
    return pd.concat([a.assign(id=first), b.assign(id=second)]).to_csv(index=False)


def nat_stamp() -> pd.DataFrame:
    frame = series_frame()
    frame["date"] = frame["date"].astype(object)
    frame.loc[7, "date"] = None
    return frame


# -- forecast: bad CSV content ------------------------------------------------------------
BAD_CSV = {
    "inf cell": (with_cell("inf").to_csv(index=False), [],
                 ["column 'load'", "row 5 holds inf", "--fill"]),
    "minus inf cell": (with_cell("-inf").to_csv(index=False), [],
                       ["column 'load'", "row 5 holds -inf"]),
    "Infinity text": (with_cell("Infinity", row=9).to_csv(index=False), [],
                      ["row 9 holds inf"]),
    "1e308": (with_cell(1e308).to_csv(index=False), [],
              ["beyond ±1e+30", "row 5 holds 1e+308"]),
    "1e400 overflows": (with_cell("1e400").to_csv(index=False), [], ["row 5 holds inf"]),
    "huge covariate": (series_frame(temp=np.r_[np.ones(N - 1), -1e35]).to_csv(index=False),
                       ["--future-covariate", "temp"], ["column 'temp'", "row 47 holds -1e+35"]),
    "non-numeric target": (with_cell("high", row=3).to_csv(index=False), [],
                           ["column 'load'", "not numeric", "row 3 holds 'high'"]),
    "mixed time zones": (mixed_zones().to_csv(index=False), [],
                         ["time column 'date'", "mixes time zones"]),
    "empty file": ("", [], ["cannot read it as a table"]),
    "header only": ("date,load\n", [], ["has no rows"]),
    "missing time stamp": (nat_stamp().to_csv(index=False), [],
                           ["time column 'date'", "row 7"]),
    "duplicate time stamp": (pd.concat([series_frame(), series_frame().iloc[[3]]]).to_csv(
        index=False), [], ["duplicate time stamp"]),
    "no series id": (with_cell(None, row=2, column="id",
                                     frame=series_frame(id="a")).to_csv(index=False),
                     ["--id-col", "id"], ["id column 'id'", "row 2 has no series id"]),
    "empty target with fill": (series_frame(load=np.full(N, np.nan)).to_csv(index=False),
                               ["--fill", "ffill"], ["column 'load'", "no values to fill"]),
    "nan without fill": (with_cell(np.nan, row=4).to_csv(index=False), [],
                         ["missing values (NaN)", "column 'load'"]),
    "unknown target": (series_frame().to_csv(index=False), ["--target", "x$"],
                       ["column 'x$' not found"]),
}


@pytest.mark.parametrize("case", list(BAD_CSV))
def test_forecast_bad_csv_fails_before_training(cli, case):
    content, extra, fragments = BAD_CSV[case]
    (cli.cwd / "data.csv").write_text(content)
    outcome = cli(["forecast", "--data", "data.csv", *FAST, *extra, "--out", "out"])
    outcome.assert_user_error(*fragments, code=1)
    cli.assert_untouched()


# -- forecast: bad options -----------------------------------------------------------------
BAD_OPTIONS = {
    "hidden size 0": (["--hidden-size", "0"], ["hidden_size", "got 0"]),
    "hidden size negative": (["--hidden-size", "-3"], ["hidden_size", "got -3"]),
    "cell nope": (["--cell", "nope"], ["cell must be one of lstm, peephole", "'nope'"]),
    "level 1.5": (["--level", "1.5"], ["level", "(0, 1)", "1.5"]),
    "level 0": (["--level", "0"], ["level", "got [0.0]"]),
    "level nan": (["--level", "nan"], ["level", "got [nan]"]),
    "level inf": (["--level", "inf"], ["level", "got [inf]"]),
    "num layers 0": (["--num-layers", "0"], ["num_layers", "got 0"]),
    "n models 0": (["--n-models", "0"], ["n_models", "got 0"]),
    "horizon 0": (["--horizon", "0"], ["horizon", "got 0"]),
    "lookback 0": (["--lookback", "0"], ["lookback", "got 0"]),
    "season 0": (["--season", "0"], ["season", "got 0"]),
    "test size negative": (["--test-size", "-1"],
                           ["test_size must be an integer in [0, ", "got -1"]),
    "epochs 0": (["--epochs", "0"], ["[train] epochs", "got 0"]),
    "fill nope": (["--fill", "nope"], ["--fill", "'nope' is not one of 'ffill', 'linear'"]),
    "strategy nope": (["--strategy", "nope"], ["strategy", "'nope'"]),
    "distribution nope": (["--distribution", "nope"], ["distribution", "'nope'"]),
    "seasonality nope": (["--seasonality", "nope"], ["--seasonality", "'nope' is not one of"]),
}


@pytest.mark.parametrize("case", list(BAD_OPTIONS))
def test_forecast_bad_option_fails_before_training(cli, case):
    extra, fragments = BAD_OPTIONS[case]
    series_frame().to_csv(cli.cwd / "data.csv", index=False)
    outcome = cli(["forecast", "--data", "data.csv", *FAST, *extra, "--out", "out"])
    outcome.assert_user_error(*fragments, code=2)
    cli.assert_untouched()


def test_forecast_multiplicative_season_of_a_series_with_a_negative_value_fails_before_training(
        cli):
    with_cell(-1.0).to_csv(cli.cwd / "data.csv", index=False)
    outcome = cli(["forecast", "--data", "data.csv", *FAST, "--seasonality", "multiplicative",
                   "--out", "out"])
    outcome.assert_user_error("seasonality='multiplicative' needs every value before the "
                              "test part > 0", code=2)
    cli.assert_untouched()


# -- forecast: odd but legitimate input runs to the end -------------------------------------
def run_forecast(cli, content: str, *extra: str) -> pd.DataFrame:
    """Run ``lstmkit forecast`` on ``content``; its forecast.csv (the outcome in ``.attrs``)."""
    (cli.cwd / "data.csv").write_text(content)
    outcome = cli(["forecast", "--data", "data.csv", *FAST, *extra, "--out", "out"])
    outcome.assert_ok()
    cli.assert_untouched(allowed=["out"])
    assert (cli.cwd / "out" / "forecast.png").is_file()
    table = pd.read_csv(cli.cwd / "out" / "forecast.csv", dtype={"series": str})
    table.attrs["outcome"] = outcome
    return table


def test_forecast_constant_target_gives_finite_forecast_and_undefined_mase(cli):
    table = run_forecast(cli, series_frame(load=np.full(N, 7.0)).to_csv(index=False))
    assert np.isfinite(table["forecast"]).all()
    np.testing.assert_allclose(table["forecast"], 7.0, atol=1e-3)
    metrics = json.loads((cli.cwd / "out" / "metrics.json").read_text())
    assert metrics["model"]["MASE"] is None and metrics["naive"]["MASE"] is None
    assert metrics["naive"]["MAE"] == 0.0


def test_forecast_test_size_zero_forecasts_the_future_only(cli):
    table = run_forecast(cli, series_frame().to_csv(index=False), "--test-size", "0")
    assert set(table["part"]) == {"future"} and len(table) == 3
    assert np.isfinite(table["forecast"]).all()
    metrics = json.loads((cli.cwd / "out" / "metrics.json").read_text())
    assert metrics["test_size"] == 0 and "no test part" in metrics["note"]
    assert "no test part (--test-size 0)" in table.attrs["outcome"].out


def test_forecast_mathtext_column_name_is_plotted(cli):
    frame = series_frame().rename(columns={"load": "$x_$"})
    table = run_forecast(cli, frame.to_csv(index=False))
    assert set(table["target"]) == {"$x_$"}


def test_forecast_ids_007_and_7_0_stay_two_series(cli):
    table = run_forecast(cli, two_ids("007", "7.0"), "--id-col", "id")
    assert set(table["series"]) == {"007", "7.0"}


def test_forecast_infinities_are_filled_with_fill(cli):
    frame = with_cell("inf")
    frame.loc[9, "load"] = 1e308
    table = run_forecast(cli, frame.to_csv(index=False), "--fill", "linear")
    assert np.isfinite(table[["forecast", "lower_80", "upper_80"]].to_numpy()).all()


def test_forecast_formula_ids_are_escaped_in_both_csvs(cli, capsys):
    content = two_ids("=HYPERLINK(1)", "-2")
    table = run_forecast(cli, content, "--id-col", "id")
    assert set(table["series"]) == {"'=HYPERLINK(1)", "'-2"}
    assert table["forecast"].dtype == np.float64
    outcome = cli(["forecast", "predict", "out", "--data", "data.csv"])
    outcome.assert_ok()
    rows = pd.read_csv(pd.io.common.StringIO(outcome.out), dtype={"series": str})
    assert set(rows["series"]) == {"'=HYPERLINK(1)", "'-2"}


# -- text train: bad overrides -------------------------------------------------------------
BAD_TEXT = {
    "lr inf": ("--train.lr=inf", ["[train] lr", "> 0", "got inf"]),
    "lr nan": ("--train.lr=nan", ["[train] lr", "got nan"]),
    "lr zero": ("--train.lr=0", ["[train] lr", "got 0"]),
    "grad clip nan": ("--train.grad_clip=nan", ["[train] grad_clip", "got nan"]),
    "grad clip inf": ("--train.grad_clip=inf", ["[train] grad_clip", "got inf"]),
    "weight decay negative": ("--train.weight_decay=-0.1", ["[train] weight_decay", "-0.1"]),
    "epochs zero": ("--train.epochs=0", ["[train] epochs", "got 0"]),
    "warmup negative": ("--train.warmup_steps=-5", ["[train] warmup_steps", "got -5"]),
    "max nonfinite zero": ("--train.max_nonfinite=0", ["[train] max_nonfinite", "got 0"]),
    "hidden size zero": ("--task.hidden_size=0",
                         ["[task]", "hidden_size must be an integer", "got 0"]),
    "cell nope": ("--task.cell=nope", ["[task] cell must be one of lstm", "'nope'"]),
    "dropout one": ("--task.dropout=1.0", ["[task] dropout", "[0, 1)", "got 1.0"]),
    "output dropout nan": ("--task.output_dropout=nan", ["[task] output_dropout", "nan"]),
    "batch size zero": ("--task.batch_size=0", ["[task] batch_size", "got 0"]),
    "bptt negative": ("--task.bptt=-1", ["[task] bptt", "got -1"]),
    "test fraction": ("--task.test_fraction=0.7", ["[task] test_fraction", "0.7"]),
    "minutes inf": ("--task.minutes=inf", ["[task] minutes", "got inf"]),
    "embedding size zero": ("--task.embedding_size=0", ["[task] embedding_size", "got 0"]),
}


@pytest.mark.parametrize("case", list(BAD_TEXT))
def test_text_train_bad_override_fails_before_training(cli, case):
    override, fragments = BAD_TEXT[case]
    outcome = cli(["text", "train", "--no-tracking", "--out", "run", override])
    outcome.assert_user_error(*fragments, code=2)
    cli.assert_untouched()


# -- train CONFIG: bad [train] / [task] values ------------------------------------------------
BAD_CONFIG = {
    "toml lr inf": ('[experiment]\ntask = "adding"\n[train]\nlr = inf\n', ".toml",
                    ["[train] lr", "got inf"]),
    "toml grad clip nan": ('[experiment]\ntask = "adding"\n[train]\ngrad_clip = nan\n',
                           ".toml", ["[train] grad_clip", "got nan"]),
    "toml weight decay negative": ('[experiment]\ntask = "adding"\n[train]\n'
                                   'weight_decay = -1.0\n', ".toml", ["weight_decay", "-1.0"]),
    "toml epochs zero": ('[experiment]\ntask = "adding"\n[train]\nepochs = 0\n', ".toml",
                         ["[train] epochs", "got 0"]),
    "yaml lr inf": ("experiment:\n  task: adding\ntrain:\n  lr: .inf\n", ".yaml",
                    ["[train] lr", "got inf"]),
    "yaml lr nan": ("experiment:\n  task: adding\ntrain:\n  lr: .nan\n", ".yaml",
                    ["[train] lr", "got nan"]),
    "adding hidden size zero": ('[experiment]\ntask = "adding"\n[task]\nhidden_size = 0\n',
                                ".toml", ["[task]", "hidden_size must be an integer", "got 0"]),
    "adding cell nope": ('[experiment]\ntask = "adding"\n[task]\ncell = "nope"\n', ".toml",
                         ["[task]", "cell must be one of", "'nope'"]),
    "adding seq len zero": ('[experiment]\ntask = "adding"\n[task]\nseq_len = 0\n', ".toml",
                            ["[task]", "seq_len must be an integer >= 1", "got 0"]),
    "adding batch size negative": ('[experiment]\ntask = "adding"\n[task]\nbatch_size = -4\n',
                                   ".toml", ["[task]", "batch_size must be an integer",
                                              "got -4"]),
    "forecast level": ('[experiment]\ntask = "forecast"\ndata = "airline"\n[task]\n'
                       'level = 1.5\n', ".toml", ["level", "1.5"]),
    "forecast hidden size": ('[experiment]\ntask = "forecast"\ndata = "airline"\n[task]\n'
                             'hidden_size = 0\n', ".toml", ["hidden_size", "got 0"]),
    "forecast cell": ('[experiment]\ntask = "forecast"\ndata = "airline"\n[task]\n'
                      'cell = "nope"\n', ".toml", ["cell must be one of", "'nope'"]),
    "forecast dropout nan": ('[experiment]\ntask = "forecast"\ndata = "airline"\n[task]\n'
                             'dropout = nan\n', ".toml", ["dropout", "got nan"]),
    "text lr inf": ('[experiment]\ntask = "text"\ndata = "shakespeare"\n[train]\nlr = inf\n',
                    ".toml", ["[train] lr", "got inf"]),
}


@pytest.mark.parametrize("case", list(BAD_CONFIG))
def test_train_config_bad_value_fails_before_training(cli, case):
    content, suffix, fragments = BAD_CONFIG[case]
    (cli.cwd / f"exp{suffix}").write_text(content)
    outcome = cli(["train", f"exp{suffix}", "--no-tracking"])
    outcome.assert_user_error(*fragments, code=2)
    cli.assert_untouched()

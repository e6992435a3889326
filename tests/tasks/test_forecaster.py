"""``Forecaster``: no leakage, shapes, intervals, modes, many series and covariates,
pinned errors, save and load."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from lstmkit.errors import ConfigError, DatasetError, ModelFileError, TrainingStopped
from lstmkit.tasks.forecasting import Forecaster
from lstmkit.training import Callback, TrainConfig

TINY = {"hidden_size": 8, "n_models": 1, "horizon": 6, "lookback": 12, "test_size": 12,
        "n_paths": 40, "train": TrainConfig(epochs=2, lr=1e-2)}


def seasonal(n: int = 96, seed: int = 0, **extra) -> pd.DataFrame:
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(0, 0.3, n)
    return pd.DataFrame({"month": pd.date_range("2000-01-01", periods=n, freq="MS"),
                         "sales": 20 + 0.1 * t + 3 * np.sin(2 * np.pi * t / 12) + noise,
                         **extra})


@pytest.fixture(scope="module")
def fitted():
    return Forecaster(**TINY).fit(seasonal())


def test_forecaster_predict_before_fit_raises_not_fitted():
    message = (r"^This Forecaster instance is not fitted yet: call fit\(...\) or "
               r"Forecaster.load\(path\) first$")
    with pytest.raises(NotFittedError, match=message):
        Forecaster().predict()
    with pytest.raises(NotFittedError, match=message):
        Forecaster(horizon=6).check(seasonal()).predict()  # checked, not fitted


def test_forecaster_unknown_argument_lists_valid_ones():
    with pytest.raises(ConfigError, match=r"^Forecaster: unknown argument horizn; valid: "
                                          r"target, time_col, .*, n_paths, num_threads, train, "
                                          r"progress$"):
        Forecaster(horizn=3)


def test_forecaster_clones_with_its_parameters_and_refits_the_same(fitted):
    twin = clone(fitted)
    assert twin.get_params() == fitted.get_params() and "network_" not in vars(twin)
    twin.fit(seasonal())
    pd.testing.assert_frame_equal(twin.predict(), fitted.predict())


def test_forecaster_scaler_statistics_are_the_training_part_only(fitted):
    split = fitted.splits_[0]
    train = seasonal()["sales"].to_numpy()[:split.n_train]
    assert split.n_train == 96 - 12 - 6
    assert not fitted.resolved_.log  # log scale only when asked for
    scaler = fitted.scalers_.target  # uncentred when a multiplicative season is possible
    assert scaler.mean_[0, 0] == pytest.approx(train.mean() if scaler.center else 0.0)
    assert scaler.std_[0, 0] == pytest.approx(train.std())


def test_forecaster_test_values_change_nothing_before_evaluation(fitted):
    changed = seasonal()
    changed.loc[84:, "sales"] *= 10
    other = Forecaster(**TINY).fit(changed)
    for a, b in zip(fitted.network_.state_dict().values(), other.network_.state_dict().values(),
                    strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    first, _ = fitted.evaluate()
    second, _ = other.evaluate()
    np.testing.assert_array_equal(first["forecast"], second["forecast"])
    assert not np.array_equal(first["actual"], second["actual"])


def test_forecaster_predict_shapes_and_time_stamps(fitted):
    frame = fitted.predict()
    assert list(frame.columns) == ["series", "time", "target", "forecast", "lower_80",
                                   "upper_80"]
    assert len(frame) == 6
    assert frame["time"].iloc[0] == pd.Timestamp("2008-01-01")
    assert len(fitted.predict(steps=15)) == 15


@pytest.mark.parametrize("steps", [6, 15])
def test_forecaster_intervals_are_ordered_and_nested(steps):
    model = Forecaster(**{**TINY, "level": (0.5, 0.9)}).fit(seasonal())
    f = model.predict(steps=steps)
    assert (f["lower_90"] <= f["lower_50"]).all() and (f["lower_50"] <= f["forecast"]).all()
    assert (f["forecast"] <= f["upper_50"]).all() and (f["upper_50"] <= f["upper_90"]).all()


def test_forecaster_autoregressive_and_gaussian_modes_forecast_all_steps():
    for options in ({"strategy": "autoregressive"}, {"distribution": "gaussian"}):
        model = Forecaster(**{**TINY, **options}).fit(seasonal())
        assert model.network_.horizon == (1 if "strategy" in options else 6)
        f = model.predict(steps=8)
        assert len(f) == 8 and np.isfinite(f["forecast"]).all()
        assert (f["lower_80"] <= f["upper_80"]).all()


@pytest.mark.parametrize("encoder", [{"cell": "gru"}, {"cell": "peephole", "num_layers": 2},
                                     {"cell": "layernorm", "bidirectional": True}])
def test_forecaster_runs_any_cell_stacked_or_bidirectional(encoder):
    model = Forecaster(**{**TINY, **encoder}).fit(seasonal())
    assert len(model.predict()) == 6


def test_forecaster_many_series_with_targets_and_covariates():
    frames = []
    for store in ("a", "b"):
        frame = seasonal(seed=ord(store))
        frame["visits"] = frame["sales"] * 2 + 1
        frame["promo"] = (np.arange(96) % 5 == 0).astype(float)
        frame["temperature"] = np.cos(np.arange(96))
        frames.append(frame.assign(store=store))
    data = pd.concat(frames, ignore_index=True)
    model = Forecaster(**{**TINY, "test_size": 6}, target=["sales", "visits"], id_col="store",
                       past_covariates=["temperature"], future_covariates=["promo"])
    model.fit(data)
    future = pd.DataFrame({"store": ["a"] * 6 + ["b"] * 6, "promo": [1.0, 0.0] * 6})
    frame = model.predict(future=future)
    assert len(frame) == 2 * 2 * 6
    assert set(frame["series"]) == {"a", "b"} and set(frame["target"]) == {"sales", "visits"}
    forecasts, metrics = model.evaluate()
    assert len(forecasts) == 2 * 2 * 6 and "model" in metrics


def test_forecaster_past_covariates_refuse_autoregressive_mode():
    with pytest.raises(ConfigError, match="autoregressive forecasting cannot use past "
                                          "covariates"):
        Forecaster(strategy="autoregressive", past_covariates=["temperature"])


def test_forecaster_short_series_error_is_pinned():
    with pytest.raises(DatasetError, match=r"^the series is too short: 30 rows, but lookback 12 "
                                           r"\+ horizon 6 \+ validation 6 \+ test 12 need at "
                                           r"least 36; shorten --lookback, --horizon or "
                                           r"--test-size$"):
        Forecaster(**TINY).fit(seasonal(30))


def test_forecaster_save_load_gives_identical_predictions(fitted, tmp_path):
    fitted.save(tmp_path / "model")
    loaded = Forecaster.load(tmp_path / "model")
    pd.testing.assert_frame_equal(loaded.predict(seasonal()), fitted.predict())
    pd.testing.assert_frame_equal(loaded.predict(seasonal(), steps=15),
                                  fitted.predict(steps=15))


def older_layout(path) -> None:
    """Rewrite a saved forecaster's config.json as lstmkit wrote it before the one task
    framework: ``options``, ``train``, ``resolved``, ... side by side."""
    header = json.loads((path / "config.json").read_text())
    config = header["config"]
    header["config"] = {"options": config["settings"], "train": config["train"],
                        **config["fitted"]}
    (path / "config.json").write_text(json.dumps(header))


def test_forecaster_loads_a_model_saved_in_the_older_layout(fitted, tmp_path):
    older_layout(fitted.save(tmp_path / "model"))
    loaded = Forecaster.load(tmp_path / "model")
    pd.testing.assert_frame_equal(loaded.predict(seasonal()), fitted.predict())


def test_forecaster_refuses_an_unknown_older_layout_naming_the_file(fitted, tmp_path):
    path = fitted.save(tmp_path / "model")
    header = json.loads((path / "config.json").read_text())
    header["config"] = {"params": header["config"]["settings"]}
    (path / "config.json").write_text(json.dumps(header))
    with pytest.raises(ModelFileError, match=r"^\S+/model/config.json: written by an older "
                       r"lstmkit model format \(its config holds params, not settings, train, "
                       r"fitted\); retrain the Forecaster with this lstmkit$"):
        Forecaster.load(path)


def test_forecaster_evaluate_reports_model_and_baselines(fitted):
    forecasts, metrics = fitted.evaluate()
    assert len(forecasts) == 12 and forecasts["actual"].notna().all()
    assert {"model", "naive", "seasonal_naive", "drift"} <= set(metrics)
    assert set(metrics["model"]) == {"MAE", "RMSE", "MAPE", "sMAPE", "MASE", "OWA", "MSIS",
                                     "coverage_80"}


def test_forecaster_backtest_rolls_the_origin_through_the_test_part(fitted):
    forecasts, metrics = fitted.backtest(step=3)
    assert forecasts["origin"].nunique() == 3
    assert len(forecasts) == 3 * 6 and metrics["model"]["MAE"] > 0


class StopAfter(Callback):
    """Interrupts training at the end of an epoch, as a crash would."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, trainer, metrics) -> None:
        if metrics["epoch"] == self.epoch:
            raise TrainingStopped("stopped for the test")


def test_forecaster_resume_ends_with_the_uninterrupted_weights(tmp_path):
    options = {**TINY, "train": TrainConfig(epochs=4, lr=1e-2)}
    whole = Forecaster(**options).fit(seasonal())
    with pytest.raises(TrainingStopped):
        Forecaster(**options).fit(seasonal(), callbacks=[StopAfter(3)],
                                  checkpoint_dir=tmp_path)
    resumed = Forecaster(**options).fit(seasonal(), checkpoint_dir=tmp_path, resume=True)
    for a, b in zip(whole.network_.state_dict().values(), resumed.network_.state_dict().values(),
                    strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize(("options", "message"), [
    ({"hidden_size": 0}, r"hidden_size must be an integer in \[1, 65536\], got 0"),
    ({"cell": "nope"}, "cell must be one of lstm, peephole, multiplicative, layernorm, gru, "
                       "rnn(, [a-z-]+)*; got 'nope'"),  # and any cell a test registered
    ({"level": 1.5}, r"level must be a finite number in \(0, 1\) or a list of them "
                     r"\(at least 1\), got 1.5"),
    ({"level": float("nan")}, r"level must be a finite number in \(0, 1\) or a list of them "
                              r"\(at least 1\), got nan"),
    ({"dropout": 1.0}, r"dropout must be a finite number in \[0, 1\), got 1.0"),
    ({"test_size": -1}, r"test_size must be an integer in \[0, 1000000\], got -1"),
    ({"n_models": True}, r"n_models must be an integer in \[1, 1000\], got True"),
])
def test_forecaster_options_out_of_range_raise_config_error(options, message):
    with pytest.raises(ConfigError, match="^Forecaster: " + message):
        Forecaster(**options)


@pytest.mark.parametrize(("field", "value"), [("lr", float("inf")), ("grad_clip", float("nan")),
                                              ("weight_decay", -0.1), ("epochs", 0)])
def test_train_config_non_finite_or_out_of_range_raise(field, value):
    with pytest.raises(ConfigError, match=rf"^\[train\] {field} must be "):
        TrainConfig(**{field: value})

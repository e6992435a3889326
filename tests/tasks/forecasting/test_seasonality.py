"""The ``seasonal`` model's multiplicative season: the window decomposition, its choice
on the training windows, the uncentred scaler it needs, and save/load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from lstmkit.data.scaling import SeriesScaler
from lstmkit.errors import ConfigError, DatasetError
from lstmkit.models.forecast_net import ForecastNet
from lstmkit.models.seasonal_window import choose_anchor, decompose_window, multiplicative_fits
from lstmkit.tasks.forecasting import Forecaster
from lstmkit.training import TrainConfig

RATIOS = torch.tensor([1.2, 0.7, 1.0, 1.1])  # mean 1: a season's swing in proportion


def growing(n: int = 96, seed: int = 0, *, multiplicative: bool = True) -> pd.DataFrame:
    """A positive monthly series whose yearly swing grows with its level (synthetic)."""
    t = np.arange(n)
    level = 50 + 1.5 * t
    season = np.sin(2 * np.pi * t / 12)
    values = level * (1 + 0.3 * season) if multiplicative else level + 30 * season
    noise = np.random.default_rng(seed).normal(0, 0.5, n)
    return pd.DataFrame({"month": pd.date_range("2000-01-01", periods=n, freq="MS"),
                         "sales": values + noise})


def test_a_multiplicative_window_continues_level_times_season_exactly():
    z = (5.0 * RATIOS.repeat(3)).view(1, 12, 1)
    window = decompose_window(z, 4, 6, damping=0.0, multiplicative=True)
    torch.testing.assert_close(window.normalised, torch.zeros(1, 12, 1))
    torch.testing.assert_close(window.anchor.flatten(), 5.0 * RATIOS[torch.arange(6) % 4])
    additive = decompose_window(z, 4, 6, damping=0.0)  # same here: a flat level
    torch.testing.assert_close(additive.anchor, window.anchor)


def test_a_multiplicative_season_scales_with_the_trending_level():
    # level 10, 12, 14 over three seasons (slope 2 per season = 0.5 per row)
    level = 10.0 + 0.5 * torch.arange(12.0)
    z = (level * RATIOS.repeat(3)).view(1, 12, 1)
    anchor = decompose_window(z, 4, 4, damping=1.0, multiplicative=True).anchor.flatten()
    ahead = 10.0 + 0.5 * torch.arange(12.0, 16.0)
    torch.testing.assert_close(anchor, ahead * RATIOS, rtol=0.03, atol=0.0)
    additive = decompose_window(z, 4, 4, damping=1.0).anchor.flatten()
    assert (additive - ahead * RATIOS).abs().mean() > 2 * (anchor - ahead * RATIOS).abs().mean()


@pytest.mark.parametrize("multiplicative", [True, False])
def test_choose_anchor_picks_the_form_that_forecasts_the_training_windows(multiplicative):
    values = torch.tensor(growing(120, multiplicative=multiplicative)["sales"].to_numpy(),
                          dtype=torch.float32)
    starts = range(0, 120 - 36 - 12, 3)
    windows = torch.stack([values[s:s + 36] for s in starts]).unsqueeze(-1)
    targets = torch.stack([values[s + 36:s + 48] for s in starts]).unsqueeze(-1)
    assert choose_anchor(windows, targets, 12, forms=(False, True))[2] is multiplicative
    assert choose_anchor(windows, targets, 12)[2] is False  # additive unless offered


def test_the_additive_seasonal_net_does_not_depend_on_where_zero_is():
    """Why an uncentred scaler changes nothing for the additive anchor: shifting the
    window shifts the forecast by the same amount."""
    torch.manual_seed(0)
    net = ForecastNet(input_size=1, n_targets=1, n_known=0, horizon=3, hidden_size=4, season=4)
    x, future = torch.randn(2, 8, 1), torch.zeros(2, 3, 0)
    torch.testing.assert_close(net(x + 7.0, future), net(x, future) + 7.0)


def test_an_uncentred_scaler_keeps_zero_and_round_trips():
    scaler = SeriesScaler(center=False).fit(["a"], [np.array([[2.0], [4.0]])])
    assert scaler.transform("a", np.array([[0.0], [4.0]])).ravel().tolist() == [0.0, 4.0]
    again = SeriesScaler.from_dict(scaler.to_dict(), columns=1)
    assert again.center is False
    assert again.transform("new", np.array([[3.0]]), history=np.array([[1.0], [3.0]])) == 3.0
    old = {k: v for k, v in SeriesScaler().fit(["a"], [np.ones((2, 1))]).to_dict().items()
           if k != "center"}  # saved before the flag existed: centred
    assert SeriesScaler.from_dict(old, columns=1).center is True


def fit(data: pd.DataFrame, **settings) -> Forecaster:
    return Forecaster(horizon=12, test_size=12, n_models=1, hidden_size=4, n_paths=10,
                      train=TrainConfig(epochs=2, seed=0), **settings).fit(data)


def test_auto_seasonality_chooses_multiplicative_for_a_growing_swing_and_round_trips(tmp_path):
    data = growing()
    model = fit(data)
    assert model.resolved_.multiplicative is True
    assert model.scalers_.target.center is False
    model.save(tmp_path / "m")
    loaded = Forecaster.load(tmp_path / "m")
    assert loaded.resolved_ == model.resolved_
    pd.testing.assert_frame_equal(loaded.predict(data), model.predict(data))


def test_a_series_with_values_at_or_below_zero_stays_additive_and_centred():
    data = growing()
    data.loc[5, "sales"] = -1.0
    model = fit(data)
    assert model.resolved_.multiplicative is False and model.scalers_.target.center is True
    with pytest.raises(ConfigError, match=r"seasonality='multiplicative' needs every value "
                                          r"before the test part > 0"):
        fit(data, seasonality="multiplicative")


def test_additive_seasonality_is_kept_when_asked_for():
    model = fit(growing(), seasonality="additive")
    assert model.resolved_.multiplicative is False and model.scalers_.target.center is True


def test_a_multiplicative_model_reads_a_single_zero_but_refuses_a_season_at_or_below_zero():
    data = growing()
    model = fit(data, seasonality="multiplicative")
    data.loc[90, "sales"] = 0.0  # one value: its season still averages above zero
    assert np.isfinite(model.predict(data)["forecast"]).all()
    data.loc[84:95, "sales"] = -1.0  # a whole season of the last lookback rows
    with pytest.raises(DatasetError, match=r"the last 36 values of the series have a season "
                                           r"whose mean .*<= 0.*seasonality='additive'"):
        model.predict(data)


def test_multiplicative_fits_follows_what_the_decomposition_divides_by():
    z = (5.0 * RATIOS.repeat(3)).view(1, 12, 1).repeat(3, 1, 1)
    z[1, 5] = 0.0  # one zero: seasons and profile stay positive
    z[2, 8:] = -1.0  # the last season below zero
    assert multiplicative_fits(z, 4).tolist() == [True, True, False]
    z[1, 9] = -50.0  # the last season's ratio for that phase turns negative
    assert multiplicative_fits(z, 4, recent=1.0)[1].item() is False

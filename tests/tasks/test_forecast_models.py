"""The forecaster's ``model`` variants: the seasonal window decomposition, automatic
log, learning on small synthetic data, and save/load of each variant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from lstmkit.errors import DatasetError
from lstmkit.models.forecast_net import ForecastNet
from lstmkit.models.seasonal_window import choose_anchor, decompose_window
from lstmkit.tasks.forecasting import Forecaster
from lstmkit.tasks.forecasting.training import choose_blend
from lstmkit.training import TrainConfig

MODELS = ("seasonal", "lstm")


def trending_seasonal(n: int = 144, seed: int = 0, level: float = 20.0) -> pd.DataFrame:
    """A monthly series with a linear trend, a yearly season and noise (synthetic)."""
    t = np.arange(n)
    noise = np.random.default_rng(seed).normal(0, 0.2, n)
    return pd.DataFrame({"month": pd.date_range("2000-01-01", periods=n, freq="MS"),
                         "sales": level + 0.15 * t + 3 * np.sin(2 * np.pi * t / 12) + noise})


def test_decompose_window_continues_level_and_season_exactly():
    pattern = torch.tensor([1.0, -2.0, 0.5, 0.5])
    z = (pattern.repeat(3) + 7.0).view(1, 12, 1).repeat(2, 1, 3)  # (B, L, C)
    window = decompose_window(z, 4, 6)
    torch.testing.assert_close(window.normalised, torch.zeros(2, 12, 3))
    expected = (7.0 + pattern[torch.arange(6) % 4]).view(1, 6, 1).expand(2, 6, 3)
    torch.testing.assert_close(window.anchor, expected)


def test_decompose_window_uses_whole_seasons_at_the_end_of_the_window():
    # 2 rows of junk before two whole seasons: the profile and the phase ignore them
    z = torch.tensor([100.0, -100.0, 0.0, 2.0, 4.0, 0.0, 2.0, 4.0]).view(1, 8, 1)
    window = decompose_window(z, 3, 4)
    assert window.anchor.flatten().tolist() == pytest.approx([0.0, 2.0, 4.0, 0.0])


def test_decompose_window_without_a_season_is_the_last_value():
    z = torch.arange(6.0).view(1, 6, 1)
    assert decompose_window(z, 1, 2).anchor.flatten().tolist() == [5.0, 5.0]


def test_decompose_window_continues_the_trend_damped():
    z = torch.arange(8.0).view(1, 8, 1)  # a line of slope 1, season 2: no profile
    window = decompose_window(z, 2, 3, damping=0.5)
    assert window.anchor.flatten().tolist() == pytest.approx([7.5, 7.75, 7.875])
    undamped = decompose_window(z, 2, 3, damping=1.0)
    assert undamped.anchor.flatten().tolist() == pytest.approx([8.0, 9.0, 10.0])


def test_decompose_window_recent_weight_follows_the_last_season():
    old, new = torch.tensor([1.0, -1.0, 0.0]), torch.tensor([0.0, 2.0, -2.0])
    z = torch.cat([old, old, new]).view(1, 9, 1)
    last = decompose_window(z, 3, 3, damping=0.0, recent=1.0).anchor.flatten()
    torch.testing.assert_close(last, new)  # the last season's mean is 0
    half = decompose_window(z, 3, 3, damping=0.0, recent=0.5).anchor.flatten()
    average = decompose_window(z, 3, 3, damping=0.0).anchor.flatten()
    torch.testing.assert_close(half, (average + new) / 2)


def test_choose_anchor_picks_the_constants_that_forecast_the_training_windows_best():
    # a seasonal pattern that changed in the last season and stays changed, on a flat
    # level: no trend (damping 0) and the last season's profile (weight 1) forecast it
    old, new = torch.tensor([1.0, -1.0, 0.0, 0.0]), torch.tensor([0.0, 0.0, 2.0, -2.0])
    windows = torch.cat([old, old, new]).view(1, 12, 1).repeat(4, 1, 1)
    targets = new.view(1, 4, 1).repeat(4, 1, 1) + 0.01 * torch.randn(4, 4, 1)
    assert choose_anchor(windows, targets, 4) == (0.0, 1.0, False)


def test_seasonal_net_blend_zero_forecasts_the_anchor_and_keeps_the_interval_offsets():
    torch.manual_seed(0)
    net = ForecastNet(input_size=1, n_targets=1, n_known=0, horizon=3, hidden_size=4, season=4)
    x, future = torch.randn(2, 8, 1), torch.zeros(2, 3, 0)
    full = net(x, future)
    net.blend = 0.0
    anchored = net(x, future)
    torch.testing.assert_close(net.dist.point(anchored), net.anchor(x))
    torch.testing.assert_close(anchored - net.dist.point(anchored)[..., None],
                               full - net.dist.point(full)[..., None])


@pytest.mark.parametrize(("truth", "expected"), [("anchor", 0.0), ("network", 1.0)])
def test_choose_blend_keeps_the_correction_only_where_validation_says_it_helps(truth, expected):
    torch.manual_seed(0)
    net = ForecastNet(input_size=1, n_targets=1, n_known=0, horizon=3, hidden_size=4, season=4)
    x, future = torch.randn(16, 8, 1), torch.zeros(16, 3, 0)
    with torch.no_grad():
        y = net.anchor(x) if truth == "anchor" else net.dist.point(net(x, future))

    class Fitted:  # what choose_blend reads and writes of the forecaster
        resolved_ = Forecaster(horizon=3).check(trending_seasonal(72)).resolved_

    fitted = Fitted()
    choose_blend(fitted, [net], (x, future, y, None))
    assert net.blend == expected and fitted.resolved_.blend == expected


def test_only_the_median_loss_moves_the_point_forecast():
    net = ForecastNet(input_size=1, n_targets=1, n_known=0, horizon=2, hidden_size=4)
    raw = torch.randn(3, 2, 1, 3, requires_grad=True)
    out = net._constrain(raw)
    out[..., [0, 2]].sum().backward()  # the outer quantiles only
    assert raw.grad[..., 1].abs().max() == 0 and raw.grad[..., [0, 2]].abs().min() > 0


def test_seasonal_net_gradients_reach_the_encoder():
    net = ForecastNet(input_size=1, n_targets=1, n_known=0, horizon=3, hidden_size=4, season=4)
    out = net(torch.randn(2, 8, 1), torch.zeros(2, 3, 0))
    out.sum().backward()
    assert out.shape == (2, 3, 1, 3)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.encoder.parameters())


@pytest.mark.parametrize(("model", "log", "expected"), [
    ("seasonal", None, False), ("lstm", None, False), ("seasonal", True, True)])
def test_forecaster_log_scale_only_when_asked_for(model, log, expected):
    data = trending_seasonal(72, level=10.0)
    fitted = Forecaster(model=model, horizon=6, test_size=6, n_models=1, hidden_size=4,
                        log=log, train=TrainConfig(epochs=1)).check(data)
    assert fitted.resolved_.log is expected


def test_seasonal_model_beats_seasonal_naive_on_a_trending_seasonal_series():
    model = Forecaster(horizon=12, test_size=12, hidden_size=16, n_models=1, calendar=False,
                       train=TrainConfig(epochs=30, lr=1e-2, seed=0))
    metrics = model.fit(trending_seasonal()).evaluate()[1]
    # seasonal naive lags the trend by a year (MASE ~ 1.8 here); the model must not
    assert metrics["model"]["MASE"] < 0.6 * metrics["seasonal_naive"]["MASE"]


@pytest.mark.parametrize("model", MODELS)
def test_forecaster_each_model_round_trips_through_save_and_load(model, tmp_path):
    data = trending_seasonal(72)
    fitted = Forecaster(model=model, horizon=6, test_size=6, n_models=2, hidden_size=4,
                        n_paths=10, train=TrainConfig(epochs=2)).fit(data)
    fitted.save(tmp_path / "m")
    loaded = Forecaster.load(tmp_path / "m")
    assert loaded.settings.model == model and loaded.resolved_ == fitted.resolved_
    pd.testing.assert_frame_equal(loaded.predict(data), fitted.predict(data))


def test_a_series_too_short_for_the_default_lookback_falls_back_to_a_shorter_one_and_says_so():
    data = trending_seasonal(60)  # 60 = 18 test + 18 validation + 18 horizon + only 6 rows
    model = Forecaster(model="seasonal", horizon=18, test_size=18, n_models=1, hidden_size=4,
                       n_paths=10, train=TrainConfig(epochs=1))
    with pytest.warns(UserWarning, match="using lookback 12 and validation part 12"):
        model.fit(data)
    assert (model.resolved_.lookback, model.resolved_.val_size) == (12, 12)
    assert len(model.predict(data)) == 18


def test_a_series_too_short_even_for_one_season_is_still_an_error():
    with pytest.raises(DatasetError, match="too short"):
        Forecaster(horizon=18, test_size=18, val_size=18, n_models=1).check(trending_seasonal(60))


def test_forecaster_trains_on_the_threads_asked_for_and_restores_torch_setting():
    before = torch.get_num_threads()
    model = Forecaster(horizon=6, test_size=6, n_models=1, hidden_size=4, n_paths=10,
                       num_threads=1, train=TrainConfig(epochs=1)).fit(trending_seasonal(72))
    assert model.threads_ == 1 and torch.get_num_threads() == before
    assert Forecaster().num_threads == "auto"


def test_a_forecaster_saved_before_model_and_num_threads_existed_loads_as_it_was(tmp_path):
    import json

    data = trending_seasonal(72)
    fitted = Forecaster(model="lstm", horizon=6, test_size=6, n_models=1, hidden_size=4,
                        n_paths=10, train=TrainConfig(epochs=1)).fit(data)
    fitted.save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    saved = json.loads(path.read_text())
    for key in ("model", "num_threads"):
        del saved["config"]["settings"][key]
    path.write_text(json.dumps(saved))
    loaded = Forecaster.load(tmp_path / "m")
    assert (loaded.settings.model, loaded.num_threads) == ("lstm", "auto")
    pd.testing.assert_frame_equal(loaded.predict(data), fitted.predict(data))


@pytest.mark.parametrize("id_embedding", [0, 2])
def test_an_id_embedding_tells_apart_series_whose_windows_are_the_same(id_embedding):
    torch.manual_seed(0)
    net = ForecastNet(input_size=1, n_targets=1, n_known=0, horizon=1, hidden_size=4,
                      window_norm=False, n_series=2, id_embedding=id_embedding)
    x, future = torch.zeros(8, 5, 1), torch.zeros(8, 1, 0)
    series = torch.arange(8) % 2
    y = (2.0 * series - 1.0).view(8, 1, 1)  # series 0 goes to -1, series 1 to +1
    optimizer = torch.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(150):
        optimizer.zero_grad()
        loss = net.dist.loss(net(x, future, series), y)
        loss.backward()
        optimizer.step()
    error = (net.dist.point(net(x, future, series)) - y).abs().max()
    assert (error < 0.1) if id_embedding else (error > 0.9)


def test_a_series_not_seen_in_training_gets_the_mean_id_vector():
    torch.manual_seed(0)
    net = ForecastNet(input_size=1, n_targets=1, n_known=0, horizon=2, hidden_size=4,
                      n_series=3, id_embedding=2)
    x, future = torch.randn(2, 6, 1), torch.zeros(2, 2, 0)
    unseen = net(x, future, torch.tensor([-1, -1]))
    torch.testing.assert_close(net(x, future), unseen)  # no index: the mean vector too
    with torch.no_grad():
        net.series_embedding.weight[:] = net.series_embedding.weight.mean(0)
    torch.testing.assert_close(net(x, future, torch.tensor([0, 2])), unseen)


def test_a_global_forecaster_with_an_id_embedding_round_trips_and_forecasts_new_series(
        tmp_path):
    frame = pd.concat([trending_seasonal(60, seed=k, level=10.0 * (k + 1)).assign(id=f"s{k}")
                       for k in range(3)], ignore_index=True)
    fitted = Forecaster(id_col="id", horizon=4, test_size=4,
                        id_embedding=2, n_models=1, hidden_size=4, n_paths=10,
                        train=TrainConfig(epochs=2)).fit(frame)
    fitted.save(tmp_path / "m")
    loaded = Forecaster.load(tmp_path / "m")
    assert loaded.network_.members[0].series_embedding.weight.shape == (3, 2)
    pd.testing.assert_frame_equal(loaded.predict(frame), fitted.predict(frame))
    new = loaded.predict(frame[frame["id"] == "s1"].assign(id="new"))
    assert list(new["series"].unique()) == ["new"] and np.isfinite(new["forecast"]).all()


def test_an_ensemble_normalises_once_and_equals_its_members_mean():
    from lstmkit.models.forecast_net import ForecastEnsemble

    torch.manual_seed(0)
    nets = [ForecastNet(input_size=1, n_targets=1, n_known=0, horizon=3, hidden_size=4,
                        season=4) for _ in range(3)]
    x, future = torch.randn(2, 8, 1), torch.zeros(2, 3, 0)
    expected = torch.stack([n(x, future) for n in nets]).mean(0)
    torch.testing.assert_close(ForecastEnsemble(nets)(x, future), expected)
    nets[1].damping = 0.5  # members that normalise differently each do their own
    expected = torch.stack([n(x, future) for n in nets]).mean(0)
    torch.testing.assert_close(ForecastEnsemble(nets)(x, future), expected)


def test_beyond_the_horizon_anchor_rolls_the_first_block_as_is_and_later_blocks_on_anchors():
    from lstmkit.tasks.forecasting.rollout import rollout

    torch.manual_seed(0)
    net = ForecastNet(input_size=1, n_targets=1, n_known=0, horizon=4, hidden_size=4,
                      season=4).eval()
    x = 5 + torch.randn(2, 12, 1)
    known = torch.zeros(2, 12, 0)
    corrected = rollout(net, x, known, 12, levels=(0.8,), n_paths=5)
    anchored = rollout(net, x, known, 12, levels=(0.8,), n_paths=5, beyond="anchor")
    torch.testing.assert_close(anchored.point[:, :4], corrected.point[:, :4])
    window = torch.cat([x, anchored.point[:, :4]], dim=1)[:, -12:]  # the rolled window
    torch.testing.assert_close(anchored.point[:, 4:8], net.anchor(window))
    assert not torch.allclose(anchored.point[:, 4:], corrected.point[:, 4:])
    lower, upper = anchored.bounds[0.8]
    assert (lower <= anchored.point).all() and (anchored.point <= upper).all()


def test_beyond_the_horizon_continue_puts_the_rolled_correction_on_the_origins_anchor():
    from lstmkit.tasks.forecasting.rollout import rollout

    torch.manual_seed(0)
    net = ForecastNet(input_size=1, n_targets=1, n_known=0, horizon=4, hidden_size=4,
                      season=4, damping=0.8).eval()
    x = 5 + torch.arange(12.0).view(1, 12, 1) / 4 + 0.3 * torch.randn(2, 12, 1)
    known = torch.zeros(2, 12, 0)
    corrected = rollout(net, x, known, 12, levels=(0.8,), n_paths=5)
    continued = rollout(net, x, known, 12, levels=(0.8,), n_paths=5, beyond="continue")
    torch.testing.assert_close(continued.point[:, :4], corrected.point[:, :4])
    window = torch.cat([x, continued.point[:, :4]], dim=1)[:, -12:]  # the rolled window
    with torch.no_grad():
        correction = net.dist.point(net(window, known[:, :4])) - net.anchor(window)
        origin = net.anchor(x, 12)  # the damped trend carried on over all 12 steps
    torch.testing.assert_close(continued.point[:, 4:8], origin[:, 4:8] + correction)
    torch.testing.assert_close(origin[:, :4], net.anchor(x))  # its first block is K's
    lower, upper = continued.bounds[0.8]
    assert (lower <= continued.point).all() and (continued.point <= upper).all()

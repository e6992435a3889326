"""The gold-standard baselines (statsforecast), M4's Naive2 and the statsforecast-absent
fallback."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from lstmkit.tasks.forecasting.metrics import mase, mase_scale

base = importlib.import_module("lstmkit.tasks.forecasting.baselines")  # the package's
# ``baselines`` is the function of that name

T = np.arange(96)
SEASONAL = 100 + 0.5 * T + 10 * np.sin(2 * np.pi * T / 12)  # trend + season, no noise
RANDOM_WALK = 50 + np.cumsum(np.random.default_rng(0).normal(0, 1, 96))


def split_mase(fn, y: np.ndarray, steps: int = 12, season: int = 12) -> float:
    point, _, _ = fn(y[:-steps], steps, season, 0.8)
    return mase(y[-steps:], point, mase_scale(y[:-steps], season))


def test_auto_ets_beats_naive_on_a_clean_seasonal_trend_series():
    pytest.importorskip("statsforecast")
    found = base.baselines()
    assert split_mase(found["AutoETS"], SEASONAL) < 0.25 * split_mase(found["naive"], SEASONAL)


@pytest.mark.parametrize("name", base.STATSFORECAST)
def test_statsforecast_baseline_interval_holds_its_point(name):
    pytest.importorskip("statsforecast")
    point, lower, upper = base.baselines()[name](SEASONAL, 18, 12, 0.8)
    assert point.shape == lower.shape == upper.shape == (18,)
    assert (lower <= point).all() and (point <= upper).all() and (upper > lower).any()


def test_statsforecast_fit_on_keeps_the_parameters_of_the_prefix():
    pytest.importorskip("statsforecast")
    from statsforecast.models import AutoETS

    fn = base.baselines()["AutoETS"]
    fixed = fn(SEASONAL, 6, 12, 0.8, fit_on=72)[0]
    expected = AutoETS(season_length=12).fit(SEASONAL[:72]).forward(y=SEASONAL, h=6)["mean"]
    np.testing.assert_allclose(fixed, expected)
    refit = fn(SEASONAL, 6, 12, 0.8)[0]
    np.testing.assert_allclose(refit, AutoETS(season_length=12).forecast(
        y=SEASONAL, h=6)["mean"])


@pytest.mark.parametrize(("season", "approximate"), [(12, False), (24, True)])
def test_auto_arima_approximates_only_for_seasons_longer_than_twelve(season, approximate):
    pytest.importorskip("statsforecast")
    y = np.ascontiguousarray(SEASONAL[:72])
    model = base._fitted("AutoARIMA", y.tobytes(), season)
    assert model.approximation is approximate


def test_statsforecast_tiny_history_gives_nan_not_an_error():
    pytest.importorskip("statsforecast")
    point, lower, _ = base.baselines()["AutoETS"](np.array([1.0, 2.0, 3.0]), 2, 1, 0.8)
    assert np.isnan(point).all() and np.isnan(lower).all()


def test_naive2_equals_naive_on_a_non_seasonal_series():
    assert not base.is_seasonal(RANDOM_WALK, 12)
    for got, want in zip(base.naive2(RANDOM_WALK, 18, 12, 0.8),
                         base.naive(RANDOM_WALK, 18, 12, 0.8), strict=True):
        np.testing.assert_array_equal(got, want)


def test_naive2_reseasonalises_the_last_adjusted_value():
    y = SEASONAL - 0.5 * T + 5  # positive, seasonal, no trend
    assert base.is_seasonal(y, 12)
    index = base.seasonal_indices(y, 12)
    point, lower, upper = base.naive2(y, 14, 12, 0.8)
    level = y[-1] / index[95 % 12]
    np.testing.assert_allclose(point, level * index[np.arange(96, 110) % 12])
    assert (lower < point).all() and (point < upper).all()


def test_seasonal_indices_match_statsmodels_classical_decomposition():
    statsmodels = pytest.importorskip("statsmodels.tsa.seasonal")
    y = SEASONAL * (1 + 0.05 * np.random.default_rng(1).normal(size=96))
    for season in (12, 7):
        reference = statsmodels.seasonal_decompose(y, model="multiplicative",
                                                   period=season).seasonal[:season]
        np.testing.assert_allclose(base.seasonal_indices(y, season), reference, rtol=1e-10)


def test_seasonality_test_follows_m4_limits():
    assert not base.is_seasonal(SEASONAL[:35], 12)  # shorter than three seasons
    assert not base.is_seasonal(np.full(48, 3.0), 12)  # constant
    assert not base.is_seasonal(SEASONAL, 1)


def hide_statsforecast(monkeypatch):
    monkeypatch.setitem(sys.modules, "statsforecast", None)  # find_spec -> None


def test_without_statsforecast_holt_winters_stands_in(monkeypatch):
    pytest.importorskip("statsmodels")
    hide_statsforecast(monkeypatch)
    found = base.baselines()
    assert "exponential_smoothing" in found and not set(base.STATSFORECAST) & set(found)
    assert base.skipped_baselines() == (
        "baselines skipped: AutoETS, AutoARIMA, AutoTheta (statsforecast is not installed: "
        "pip install 'lstmkit[forecast]'); Holt-Winters (statsmodels) is shown instead")


def test_summary_prints_the_skip_line_without_statsforecast(monkeypatch, capsys):
    from lstmkit.cli.forecast import print_summary

    monkeypatch.setenv("COLUMNS", "120")
    metrics = {"model": {"MASE": 0.9, "coverage_80": 0.8},
               "naive": {"MASE": 1.2, "coverage_80": 0.7}}
    model = SimpleNamespace(resolved_=SimpleNamespace(test_size=3, horizon=3, season=12))
    print_summary(metrics, model, Path("out"))
    assert "skipped" not in capsys.readouterr().out or not base._installed("statsforecast")
    hide_statsforecast(monkeypatch)
    print_summary(metrics, model, Path("out"))
    lines = capsys.readouterr().out.splitlines()
    assert sum("baselines skipped: AutoETS, AutoARIMA, AutoTheta" in ln for ln in lines) == 1
    assert "LSTM model ranks 1 of 2 by MASE (1 = best)" in "\n".join(lines)


def test_summary_table_fits_80_columns_with_every_baseline(monkeypatch, capsys):
    from lstmkit.cli.forecast import print_summary

    monkeypatch.setenv("COLUMNS", "80")
    names = ["model", "naive", "seasonal_naive", "drift", "naive2", *base.STATSFORECAST]
    metrics = {name: {"MAE": 1234.5, "RMSE": 2345.6, "MAPE": 12.34, "sMAPE": 12.34,
                      "MASE": 1.0 + k / 10, "OWA": 0.95, "MSIS": 12.34, "coverage_80": 0.8}
               for k, name in enumerate(names)}
    model = SimpleNamespace(resolved_=SimpleNamespace(test_size=36, horizon=12, season=12))
    print_summary(metrics, model, Path("out"))
    rows = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("│")]
    shown = ["LSTM model", "naive", "seasonal naive", "drift", "naive2", *base.STATSFORECAST]
    assert [row.split("│")[1].strip() for row in rows] == shown  # one line per forecaster
    assert all("12.34" in row and "80" in row for row in rows)

"""Forecast metrics and baselines against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from lstmkit.tasks.forecasting.baselines import (
    baselines,
    drift,
    exponential_smoothing,
    naive,
    seasonal_naive,
)
from lstmkit.tasks.forecasting.metrics import mase_scale, score


def test_score_matches_hand_computed_values():
    actual, forecast = np.array([100.0, 200.0]), np.array([110.0, 180.0])
    s = score(actual, forecast, scale=10.0, lower=np.array([90.0, 190.0]),
              upper=np.array([120.0, 210.0]))
    assert s["MAE"] == 15.0
    assert s["RMSE"] == pytest.approx(np.sqrt((100 + 400) / 2))
    assert s["MAPE"] == pytest.approx(10.0)
    assert s["sMAPE"] == pytest.approx(100 * (10 / 210 + 20 / 380))
    assert s["MASE"] == 1.5
    assert s["coverage"] == 1.0


def test_mase_scale_is_in_sample_seasonal_naive_mae():
    history = np.array([1.0, 2.0, 3.0, 5.0, 4.0, 6.0])
    assert mase_scale(history, season=2) == pytest.approx(np.mean([2.0, 3.0, 1.0, 1.0]))


def test_baselines_point_forecasts_and_widening_intervals():
    history = np.array([1.0, 3.0, 2.0, 4.0, 4.0, 5.0])
    point, lower, upper = seasonal_naive(history, 4, 2, 0.8)
    np.testing.assert_array_equal(point, [4.0, 5.0, 4.0, 5.0])
    assert (upper[2:] - lower[2:] > upper[:2] - lower[:2]).all()
    assert naive(history, 2, 1, 0.8)[0].tolist() == [5.0, 5.0]
    assert drift(history, 1, 1, 0.8)[0].tolist() == [pytest.approx(5.8)]
    assert list(baselines())[:3] == ["naive", "seasonal_naive", "drift"]


def test_exponential_smoothing_baseline_when_statsmodels_is_installed():
    pytest.importorskip("statsmodels")
    t = np.arange(48)
    history = 100 + t + 10 * np.sin(2 * np.pi * t / 12)
    point, lower, upper = exponential_smoothing(history, 12, 12, 0.8)
    expected = 148 + np.arange(1, 13) + 10 * np.sin(2 * np.pi * (48 + np.arange(12)) / 12)
    np.testing.assert_allclose(point, expected, rtol=0.02)
    assert (lower <= point).all() and (point <= upper).all()

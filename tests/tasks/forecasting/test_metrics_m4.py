"""M4's OWA and MSIS, coverage and the model's rank, against hand computations."""

from __future__ import annotations

import numpy as np
import pytest

from lstmkit.tasks.forecasting.evaluation import _named, rank
from lstmkit.tasks.forecasting.metrics import METRICS, msis, owa, score


def test_msis_matches_a_hand_computation():
    actual = np.array([10.0, 14.0, 7.0, 11.0])
    lower, upper = np.array([8.0, 9.0, 9.0, 10.0]), np.array([12.0, 13.0, 11.0, 12.0])
    # widths 4 4 2 2; y=14 is 1 above (penalty 1 * 2 / 0.05 = 40); y=7 is 2 below (80)
    expected = (4 + 4 + 40 + 2 + 80 + 2) / 4 / 2.0
    assert msis(actual, lower, upper, scale=2.0, level=0.95) == pytest.approx(expected)
    assert np.isnan(msis(actual, None, None, scale=2.0, level=0.95))
    assert np.isnan(msis(actual, lower, upper, scale=0.0, level=0.95))


def test_owa_is_the_mean_of_the_two_ratios_and_one_for_naive2():
    assert owa(12.0, 0.9, 16.0, 1.2) == pytest.approx(0.5 * (12 / 16 + 0.9 / 1.2))
    assert owa(13.7, 1.31, 13.7, 1.31) == 1.0
    assert owa(None, 1.0, 10.0, 1.0) is None and owa(10.0, 1.0, 10.0, 0.0) is None


def test_named_metrics_give_naive2_an_owa_of_one_in_report_order():
    naive2 = {"MAE": 2.0, "RMSE": 3.0, "MAPE": 5.0, "sMAPE": 4.8, "MASE": 1.3, "MSIS": 9.0,
              "coverage": 0.7}
    named = _named(dict(naive2), dict(naive2), 0.9)
    assert named["OWA"] == 1.0
    assert list(named) == [m if m != "coverage" else "coverage_90" for m in METRICS]
    model = _named({**naive2, "sMAPE": 2.4, "MASE": 1.3}, naive2, 0.9)
    assert model["OWA"] == pytest.approx(0.75)


def test_score_includes_msis_at_the_stated_level():
    actual = np.array([1.0, 5.0])
    s = score(actual, np.array([1.0, 1.0]), scale=1.0, lower=np.zeros(2),
              upper=np.full(2, 2.0), level=0.8)
    assert s["MSIS"] == pytest.approx((2 + 2 + 3 * 2 / 0.2) / 2)
    assert s["coverage"] == 0.5 and "OWA" not in s


def test_rank_counts_better_forecasters_and_shares_ties():
    metrics = {"model": {"MASE": 1.0}, "a": {"MASE": 0.5}, "b": {"MASE": 1.0},
               "c": {"MASE": None}, "d": {"MASE": 2.0}}
    assert rank(metrics) == (2, 4)
    assert rank(metrics, who="b") == (2, 4)
    assert rank({"model": {"MASE": None}, "a": {"MASE": 1.0}}) is None

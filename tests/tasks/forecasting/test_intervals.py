"""Conformal calibration of the forecaster's intervals: the quantile, the scores, the
scaling of the intervals, coverage on data with known noise, and saving it."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from lstmkit.data.windows import Split
from lstmkit.errors import ModelFileError
from lstmkit.tasks.forecasting import Forecaster
from lstmkit.tasks.forecasting.intervals import (
    _actuals,
    apply_calibration,
    conformal_quantile,
    score_rows,
)
from lstmkit.tasks.forecasting.prediction import forecast_after
from lstmkit.training import TrainConfig


def frame_of(point: np.ndarray, bounds: dict[str, tuple[np.ndarray, np.ndarray]]
             ) -> pd.DataFrame:
    """Rows (window, step) of a forecast frame: one series per window, one target."""
    windows, steps = point.shape
    columns = {"series": np.repeat(np.arange(windows).astype(str), steps), "target": "y",
               "forecast": point.ravel()}
    for name, (lower, upper) in bounds.items():
        columns[f"lower_{name}"], columns[f"upper_{name}"] = lower.ravel(), upper.ravel()
    return pd.DataFrame(columns)


def test_conformal_quantile_is_the_finite_sample_corrected_order_statistic():
    scores = np.arange(1.0, 11.0)
    assert conformal_quantile(scores, 0.8) == 9.0  # ceil(11 * 0.8) = 9th smallest
    assert conformal_quantile(scores, 0.95) == 10.0  # beyond n: the largest
    assert conformal_quantile(np.array([np.inf, 2.0, np.nan]), 0.5) == 2.0
    assert conformal_quantile(np.array([]), 0.8) == 1.0


def test_scores_are_the_distance_over_the_interval_half_on_the_side_of_the_actual():
    frame = frame_of(np.array([[10.0, 10.0, 10.0]]),
                     {"80": (np.array([[8.0, 6.0, 9.0]]), np.array([[11.0, 14.0, 12.0]]))})
    actual = np.array([[7.0, 12.0, 10.0]])
    np.testing.assert_allclose(score_rows(frame, actual, 0.8, 3), [[1.5, 0.5, 0.0]])


def test_calibration_with_known_noise_meets_the_level_per_step():
    rng = np.random.default_rng(0)
    sigma = np.array([0.5, 1.0, 2.0, 3.0])  # the noise grows with the step
    steps, point = len(sigma), np.zeros((3000, len(sigma)))
    raw = {"80": (point - 1.0, point + 1.0), "50": (point - 0.5, point + 0.5)}
    actual = rng.normal(0, sigma, size=point.shape)
    frame = frame_of(point, raw)
    factors = {name: [conformal_quantile(score_rows(frame, actual, lv, steps)[:, h], lv)
                      for h in range(steps)] for name, lv in (("80", 0.8), ("50", 0.5))}
    fresh = rng.normal(0, sigma, size=point.shape)
    calibrated = apply_calibration(frame_of(point, raw), {"factors": factors}, steps)
    for name, lv in (("80", 0.8), ("50", 0.5)):
        inside = ((fresh.ravel() >= calibrated[f"lower_{name}"]) &
                  (fresh.ravel() <= calibrated[f"upper_{name}"])).to_numpy()
        per_step = inside.reshape(-1, steps).mean(axis=0)
        np.testing.assert_allclose(per_step, lv, atol=0.03)
    raw_inside = np.abs(fresh) <= 1.0
    assert raw_inside[:, 3].mean() < 0.4  # the uncalibrated 80% interval fell far short


def test_apply_calibration_scales_about_the_point_keeps_nesting_and_extends():
    point = np.array([[10.0, 10.0, 10.0]])
    frame = frame_of(point, {"50": (point - 1, point + 2), "80": (point - 2, point + 3)})
    out = apply_calibration(frame.copy(), {"factors": {"50": [2.0, 0.5], "80": [1.0, 1.0]}}, 3)
    np.testing.assert_allclose(out["lower_50"], [8.0, 9.5, 9.5])  # step 3 reuses step 2
    np.testing.assert_allclose(out["upper_50"], [14.0, 11.0, 11.0])
    np.testing.assert_allclose(out["lower_80"], [8.0, 8.0, 8.0])
    np.testing.assert_allclose(out["upper_80"], [14.0, 13.0, 13.0])  # holds the 50% one
    assert apply_calibration(frame, None, 3) is frame


def test_calibration_actuals_keep_to_their_part_and_never_read_the_test_part():
    targets = np.arange(20.0)[:, None]
    targets[15:] = np.inf  # the test part: reading it would show
    split = Split(n_train=10, origin=15, n=20)
    np.testing.assert_array_equal(_actuals(targets, split, 8, 4, "validation"),
                                  [[np.nan, np.nan, 10.0, 11.0]])
    np.testing.assert_array_equal(_actuals(targets, split, 12, 4, "training"),
                                  [[12.0, 13.0, 14.0, np.nan]])


def known_noise_series(n_series: int = 8, n: int = 108) -> pd.DataFrame:
    rng, t = np.random.default_rng(3), np.arange(n)
    return pd.concat([pd.DataFrame({
        "store": f"s{k}", "month": pd.date_range("2000-01-01", periods=n, freq="MS"),
        "sales": 30 + k + 4 * np.sin(2 * np.pi * (t + k) / 12) + rng.normal(0, 1.0, n)})
        for k in range(n_series)], ignore_index=True)


@pytest.fixture(scope="module")
def calibrated():
    model = Forecaster(id_col="store", horizon=6, lookback=12, test_size=12, hidden_size=8,
                       n_models=1, n_paths=40, train=TrainConfig(epochs=3, lr=1e-2))
    return model.fit(known_noise_series())


def test_forecaster_calibrates_on_the_part_before_the_test_part(calibrated):
    state = calibrated.conformal_
    assert state["method"] == "split-conformal, normalised, per step"
    assert state["part"] == "validation"  # 6 validation rows x 8 series per step
    assert len(state["factors"]["80"]) == 12 and state["scores"] == 8 * 6
    assert all(f > 0 for f in state["factors"]["80"])


def coverage_on_test_parts(model: Forecaster) -> float:
    """Coverage of the 80% interval over the test parts (no baselines: fast)."""
    data = model.data_
    ends = [s.origin for s in model.splits_]
    frame = forecast_after(model, data, ends, 12, [np.zeros((12, 0)) for _ in data.ids])
    actual = np.concatenate([t[e:e + 12, 0] for t, e in zip(data.targets, ends, strict=True)])
    return float(np.mean((actual >= frame["lower_80"]) & (actual <= frame["upper_80"])))


def test_forecaster_calibrated_coverage_lands_near_the_level(calibrated):
    after = coverage_on_test_parts(calibrated)
    state, calibrated.conformal_ = calibrated.conformal_, None
    try:
        before = coverage_on_test_parts(calibrated)
    finally:
        calibrated.conformal_ = state
    assert abs(after - 0.8) < 0.12  # 96 test points of 8 series: the noise is ~0.05
    assert after != before


def test_forecaster_saves_and_loads_its_calibration(calibrated, tmp_path):
    calibrated.save(tmp_path / "m")
    fitted = json.loads((tmp_path / "m" / "config.json").read_text())["config"]["fitted"]
    assert fitted["conformal"] == calibrated.conformal_
    loaded = Forecaster.load(tmp_path / "m")
    assert loaded.conformal_ == calibrated.conformal_
    history = known_noise_series()
    pd.testing.assert_frame_equal(loaded.predict(history), calibrated.predict(history))


@pytest.mark.parametrize(("factors", "got"), [
    ({"80": [1.0, -0.5]}, "got levels 80 with [2] factors"),
    ({"90": [1.0]}, "got levels 90 with [1] factors"),
    ({"80": []}, "got levels 80 with [0] factors"),
])
def test_forecaster_load_refuses_a_damaged_calibration(calibrated, tmp_path, factors, got):
    calibrated.save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    content = json.loads(path.read_text())
    content["config"]["fitted"]["conformal"]["factors"] = factors
    path.write_text(json.dumps(content))
    message = (f"config.json: field config.fitted.conformal.factors: expected, for each "
               f"level (80), 1 to 100000 finite factors >= 0; {got}")
    with pytest.raises(ModelFileError, match=re.escape(message)):
        Forecaster.load(tmp_path / "m")

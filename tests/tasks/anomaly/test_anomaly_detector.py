"""AnomalyDetector: fit, score, flag, evaluate, save/load, on tiny synthetic series."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from lstmkit.errors import DatasetError
from lstmkit.models.anomaly_nets import NextStepNet, WindowAutoencoder
from lstmkit.tasks.anomaly import AnomalyDetector
from lstmkit.tasks.anomaly.datasets import synthetic_anomalies
from lstmkit.tasks.anomaly.errors_per_step import prediction_errors, reconstruction_errors
from lstmkit.training import TrainConfig

TINY = {"window": 16, "hidden_size": 8, "train": TrainConfig(epochs=3, lr=1e-2)}


@pytest.fixture(scope="module")
def frame():
    return synthetic_anomalies(2, 800, seed=1)


@pytest.fixture(scope="module", params=["prediction", "reconstruction"])
def fitted(request, frame):
    model = AnomalyDetector(detector=request.param, label_col="label", id_col="series",
                            **TINY)
    return model.fit(frame)


def test_detector_scores_one_row_per_input_row_in_input_order(fitted, frame):
    shuffled = frame.sample(frac=1.0, random_state=0)
    table = fitted.score(shuffled)
    assert len(table) == len(frame) and table["row"].tolist() == list(range(len(frame)))
    assert table["series"].tolist() == shuffled["series"].tolist()
    assert np.isfinite(table["score"]).all()
    test = table[table["part"] == "test"]
    assert table.loc[table["part"] == "train", "flag"].sum() == 0
    assert set(test["flag"]) <= {0, 1}


def test_detector_scores_are_normalised_on_the_validation_part(fitted, frame):
    table = fitted.score(frame)
    first = table[table["series"] == "s0"]
    val = first["score"].to_numpy()[180:240]  # the end of the training part (240 rows)
    assert abs(np.median(val)) < 2.0


def test_detector_scores_anomalies_above_normal_points(fitted, frame):
    table = fitted.score(frame)
    test = table[table["part"] == "test"]
    labelled = test.groupby("label")["score"].mean()
    assert labelled[1] > labelled[0]


def test_detector_evaluate_reports_model_random_and_baselines(fitted):
    metrics = fitted.evaluate()
    assert {"model", "random", "diff_zscore", "seasonal_naive", "pca",
            "isolation_forest"} <= set(metrics)
    assert "point-adjusted" in metrics["warning"]
    for key in ("f1", "event_f1", "pr_auc", "vus_pr", "pa20_f1", "pa_f1"):
        assert 0.0 <= metrics["model"][key] <= 1.0
    assert metrics["model"]["vus_pr"] > metrics["random"]["vus_pr"]


def test_detector_events_name_series_and_channels(fitted, frame):
    events = fitted.events(frame, test_only=True)
    assert list(events.columns[:3]) == ["series", "start", "end"]
    assert (events["start"] <= events["end"]).all()
    assert set(events["channels"]) <= {"value"}


def test_detector_save_load_scores_the_same(fitted, frame, tmp_path):
    loaded = AnomalyDetector.load(fitted.save(tmp_path / "model"))
    pd.testing.assert_frame_equal(fitted.predict(frame), loaded.predict(frame))
    with pytest.raises(DatasetError, match="loaded from disk"):
        loaded.score()


def test_detector_multivariate_events_name_the_channel_that_moved():
    rng = np.random.default_rng(0)
    t = np.arange(1500)
    a = np.sin(t / 8) + 0.05 * rng.standard_normal(1500)
    b = np.cos(t / 5) + 0.05 * rng.standard_normal(1500)
    b[1100:1110] += 4.0
    frame = pd.DataFrame({"a": a, "b": b})
    model = AnomalyDetector(threshold="fixed", fixed_threshold=8.0, train_part=0.5,
                            **TINY).fit(frame)
    events = model.events(frame, test_only=True)
    hit = events[(events["start"] <= 1109) & (events["end"] >= 1100)]
    assert len(hit) >= 1 and "b" in hit["channels"].iloc[0].split(";")


def test_detector_quantile_threshold_flags_about_the_contamination_of_validation(frame):
    model = AnomalyDetector(threshold="quantile", contamination=0.05, label_col="label",
                            id_col="series", **TINY).fit(frame)
    assert model.threshold_ is not None and np.isfinite(model.threshold_)


def test_detector_warns_about_anomalies_in_the_training_part():
    frame = synthetic_anomalies(1, 800, seed=2)
    frame.loc[10:12, "label"] = 1
    with pytest.warns(UserWarning, match="lie in the training part"):
        AnomalyDetector(label_col="label", id_col="series", **TINY).fit(frame)


def test_detector_warns_about_a_suspicious_label_density():
    frame = synthetic_anomalies(1, 800, seed=2)
    frame.loc[300:700, "label"] = 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AnomalyDetector(label_col="label", id_col="series", **TINY).fit(frame)
    assert any("above max_density" in str(w.message) for w in caught)


def test_detector_warns_about_a_duplicated_channel_and_refuses_a_column_named_twice():
    frame = synthetic_anomalies(1, 800, seed=2)
    frame["copy"] = frame["value"]
    with pytest.warns(UserWarning, match="channels 'value' and 'copy' are identical"):
        AnomalyDetector(label_col="label", id_col="series", **TINY).fit(frame)
    with pytest.raises(DatasetError, match=r"column 'value' of .* is named more than once"):
        AnomalyDetector(label_col="label", id_col="series", columns=["value", "value"],
                        **TINY).fit(frame)
    frame["copy"] += 1e-3  # a different channel: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        AnomalyDetector(label_col="label", id_col="series", **TINY).fit(frame)


def test_evaluate_warns_when_the_test_part_lies_beyond_the_training_level():
    frame = synthetic_anomalies(1, 800, seed=2)
    model = AnomalyDetector(label_col="label", id_col="series", **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model.evaluate()  # a stationary series: no warning
    trending = frame.assign(value=frame["value"] + np.linspace(0, 40, len(frame)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AnomalyDetector(label_col="label", id_col="series", **TINY).fit(trending)
    with pytest.warns(UserWarning, match=r"of the test steps of column 'value' lie more than 3 "
                                         r"standard deviations .* relative=True"):
        model.evaluate()


def test_prediction_errors_take_the_earliest_chunk_and_match_a_direct_pass():
    torch.manual_seed(0)
    net = NextStepNet(2, 6).eval()
    values = np.random.default_rng(0).standard_normal((50, 2))
    errors = prediction_errors(net, values, 8)
    with torch.no_grad():  # reference: the first window read from the start
        direct = net(torch.as_tensor(values[None, :8], dtype=torch.float32))[0].numpy()
    np.testing.assert_allclose(errors[1:9], np.abs(direct - values[1:9]), rtol=1e-5,
                               atol=1e-6)
    assert (errors[0] == 0).all() and errors.shape == values.shape


def test_reconstruction_errors_average_the_windows_holding_a_step():
    torch.manual_seed(0)
    net = WindowAutoencoder(1, 4).eval()
    values = np.random.default_rng(0).standard_normal((12, 1))
    errors = reconstruction_errors(net, values, 8)  # windows at 0 and 4 (stride 4)
    with torch.no_grad():
        first = net(torch.as_tensor(values[None, :8], dtype=torch.float32))[0].numpy()
    np.testing.assert_allclose(errors[0], np.abs(first[0] - values[0]), rtol=1e-5)


def test_window_autoencoder_learns_to_reconstruct_a_sine():
    torch.manual_seed(0)
    x = torch.sin(torch.arange(16.0)[None, :, None] / 2 + torch.rand(64, 1, 1) * 6)
    net = WindowAutoencoder(1, 16)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    first = None
    for _ in range(150):
        loss = torch.nn.functional.mse_loss(net(x), x)
        first = first if first is not None else loss.item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < first / 5

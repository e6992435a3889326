"""The state-novelty score term (novelty.py): batch states, streaming parity, the
scorings, persistence, and that it stays high through a sustained level shift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import pairwise_distances

from lstmkit.errors import ConfigError
from lstmkit.models.anomaly_nets import NextStepNet
from lstmkit.tasks.anomaly import AnomalyDetector
from lstmkit.tasks.anomaly.errors_per_step import prediction_errors, prediction_outputs
from lstmkit.tasks.anomaly.novelty import StateNovelty, combine
from lstmkit.tasks.anomaly.streaming import PredictionStream
from lstmkit.training import TrainConfig


def _fit(frame, **settings):
    first = frame.groupby("series").head(400)
    model = AnomalyDetector(label_col="label", id_col="series", hidden_size=6, window=16,
                            train_part=250, train=TrainConfig(epochs=1), merge_gap=0,
                            min_event_length=1, **settings)
    with pytest.warns(UserWarning, match="lie in the training part"):
        return model.fit(first), frame.drop(first.index)


def test_batch_states_are_those_the_kept_next_step_prediction_is_made_from():
    torch.manual_seed(0)
    network = NextStepNet(2, 5).eval()
    values = np.random.default_rng(0).standard_normal((53, 2))
    errors, states = prediction_outputs(network, values, 10, states=True)
    np.testing.assert_allclose(errors, prediction_errors(network, values, 10), atol=1e-12)
    with torch.no_grad():  # a state predicts the next step: the head of it is that
        predicted = network.head(torch.as_tensor(states[:-1], dtype=torch.float32))
    np.testing.assert_allclose(np.abs(predicted.numpy() - values[1:]), errors[1:],
                               atol=1e-5)


def test_stream_states_equal_the_batch_states():
    torch.manual_seed(1)
    network = NextStepNet(1, 4).eval()
    values = np.random.default_rng(1).standard_normal((70, 1))
    _, batch = prediction_outputs(network, values, 8, states=True)
    stream = PredictionStream(network, 8, 1, states=True)
    stream.prime(values[:23])
    pieces = [stream.push(values[a:b])[1] for a, b in ((23, 24), (24, 40), (40, 70))]
    np.testing.assert_allclose(np.concatenate(pieces), batch[23:], atol=1e-5)


def test_distances_are_those_to_the_nearest_centre():
    states = np.random.default_rng(2).standard_normal((400, 6))
    novelty = StateNovelty.fit(states)
    assert novelty.centers.shape == (32, 6)
    probe = np.random.default_rng(3).standard_normal((50, 6)) * 3
    expected = pairwise_distances(probe, novelty.centers).min(axis=1, keepdims=True)
    np.testing.assert_allclose(novelty.distances(probe), expected, atol=1e-9)
    # the few-states path (streaming) agrees with the many-states path (batch)
    few = np.concatenate([novelty.distances(probe[i:i + 3]) for i in range(0, 50, 3)])
    np.testing.assert_allclose(few, expected, atol=1e-9)


def test_combine_takes_the_scoring_asked_for():
    error, state = np.array([1.0, 5.0, -1.0]), np.array([3.0, 1.0, 0.0])
    assert combine(error, state, "error").tolist() == [1.0, 5.0, -1.0]
    assert combine(error, state, "state").tolist() == [3.0, 1.0, 0.0]
    assert combine(error, state, "max").tolist() == [3.0, 5.0, 0.0]
    assert combine(error, state, "mean").tolist() == [2.0, 3.0, -0.5]


@pytest.mark.parametrize("scoring", ["state", "max", "mean"])
def test_stream_scores_and_flags_equal_the_batch_run_with_state_novelty(frame, scoring):
    model, rest = _fit(frame, scoring=scoring, threshold="quantile")
    out = pd.concat([model.update(rest.iloc[i:i + 13]) for i in range(0, len(rest), 13)],
                    ignore_index=True)
    batch = model.predict(frame)
    for name in ("s0", "s1"):
        mine = out[out.series == name]
        expected = batch[batch.series == name].reset_index(drop=True).iloc[mine["step"]]
        assert mine["step"].tolist() == list(range(400, 700))
        np.testing.assert_allclose(mine["score"], expected["score"], atol=1e-5)
        assert mine["flag"].tolist() == expected["flag"].tolist()


def test_a_detector_with_state_novelty_round_trips(frame, tmp_path):
    model, _ = _fit(frame, scoring="max")
    loaded = AnomalyDetector.load(model.save(tmp_path / "model"))
    assert loaded.settings.score_terms == "max"
    np.testing.assert_allclose(loaded.score(frame)["score"], model.score(frame)["score"],
                               atol=1e-9)


def test_a_detector_saved_before_scoring_existed_loads_as_error_scoring(frame, tmp_path,
                                                                        saved_without):
    model, _ = _fit(frame, scoring="error")
    loaded = saved_without(model, tmp_path / "model", "scoring")  # the layout of session 7
    assert loaded.settings.score_terms == "error" and loaded.novelty_ is None
    np.testing.assert_allclose(loaded.score(frame)["score"], model.score(frame)["score"],
                               atol=1e-9)


def test_reconstruction_refuses_a_state_scoring():
    with pytest.raises(ConfigError, match="scoring='max' needs detector='prediction'"):
        AnomalyDetector(detector="reconstruction", scoring="max").settings  # noqa: B018


def test_state_novelty_stays_high_through_a_sustained_level_shift():
    # SYNTHETIC: a noisy sine, then a 150-step stretch 6 standard deviations above
    # anything in training: the state term alone (scoring="state") stays above every
    # normal step's score for the whole stretch, not only at its onset.
    rng = np.random.default_rng(0)
    t = np.arange(1600)
    values = np.sin(2 * np.pi * t / 30) + 0.05 * rng.standard_normal(len(t))
    values[1200:1350] += 6.0
    frame = pd.DataFrame({"value": values})
    model = AnomalyDetector(window=16, hidden_size=8, train_part=800, scoring="state",
                            train=TrainConfig(epochs=4, lr=1e-2, seed=0)).fit(frame)
    scores = model.score(frame)["score"].to_numpy()
    normal = np.r_[scores[850:1200], scores[1400:]]
    assert scores[1250:1350].min() > normal.max()

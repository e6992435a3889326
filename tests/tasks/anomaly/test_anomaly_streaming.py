"""AnomalyDetector.update: streaming scores equal a batch run on the concatenated series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from lstmkit.errors import ConfigError, DatasetError
from lstmkit.models.anomaly_nets import NextStepNet
from lstmkit.tasks.anomaly import AnomalyDetector
from lstmkit.tasks.anomaly.errors_per_step import prediction_errors
from lstmkit.tasks.anomaly.scoring import ewma
from lstmkit.tasks.anomaly.streaming import EwmaState
from lstmkit.training import TrainConfig

PIECES = (3, 1, 17, 64, 5, 110)  # uneven update sizes, cycled


def _fit(frame, **settings):
    first = frame.groupby("series").head(400)
    model = AnomalyDetector(label_col="label", id_col="series", hidden_size=6,
                            train_part=250, train=TrainConfig(epochs=1), **settings)
    return model.fit(first), frame.drop(first.index)


def _stream(model, rest):
    out, i, k = [], 0, 0
    while i < len(rest):
        size = PIECES[k % len(PIECES)]
        out.append(model.update(rest.iloc[i:i + size]))
        i, k = i + size, k + 1
    return pd.concat(out, ignore_index=True)


def _batch(model, frame, name):
    return model.predict(frame).query("series == @name").reset_index(drop=True)


@pytest.mark.parametrize(("window", "cell", "layers", "relative"),
                         [(16, "lstm", 1, False), (15, "gru", 2, False), (16, "lstm", 1, True)])
def test_prediction_stream_scores_and_flags_equal_the_batch_run(frame, window, cell, layers,
                                                               relative):
    # the stream flags at arrival, before event post-processing: compare without it
    model, rest = _fit(frame, window=window, cell=cell, num_layers=layers,
                       threshold="quantile", merge_gap=0, min_event_length=1,
                       relative=relative)
    out = _stream(model, rest)
    for name in ("s0", "s1"):
        mine, batch = out[out.series == name], _batch(model, frame, name)
        assert mine["step"].tolist() == list(range(400, 700))  # every row, at once
        expected = batch.iloc[mine["step"]]
        np.testing.assert_allclose(mine["score"], expected["score"], atol=1e-5)
        np.testing.assert_allclose(mine["score_square"], expected["score_square"],
                                   atol=1e-5)
        assert mine["flag"].tolist() == expected["flag"].tolist()


def test_reconstruction_stream_emits_each_step_once_when_final(frame):
    model, rest = _fit(frame, detector="reconstruction", window=16)
    part = rest[rest.series == "s0"]
    emitted = []
    for i in range(0, len(part), 7):
        out = model.update(part.iloc[i:i + 7])
        emitted.append(out)
        seen = 400 + min(i + 7, len(part))
        # latency below window: every step up to seen - window is out
        steps = pd.concat(emitted)["step"]
        assert seen - 16 < 392 or steps.max() >= seen - 16
    out = pd.concat(emitted, ignore_index=True)
    assert out["step"].tolist() == list(range(out["step"].min(), out["step"].max() + 1))
    assert out["step"].min() <= 400  # steps of the fit data still pending come out first
    batch = _batch(model, frame[frame.series == "s0"], "s0")
    np.testing.assert_allclose(out["score"], batch["score"].iloc[out["step"]], atol=1e-5)


def test_batch_prediction_errors_do_not_depend_on_where_the_series_ends():
    torch.manual_seed(0)
    network = NextStepNet(2, 5).eval()
    values = np.random.default_rng(0).standard_normal((90, 2))
    full = prediction_errors(network, values, 10)
    for end in (2, 11, 47):
        np.testing.assert_allclose(prediction_errors(network, values[:end], 10),
                                   full[:end], atol=1e-6)


@pytest.mark.parametrize("relative", [False, True])
def test_vectorised_prediction_errors_match_a_per_step_reference(relative):
    torch.manual_seed(1)
    network = NextStepNet(1, 4, relative=relative).eval()
    values = np.random.default_rng(1).standard_normal((41, 1))
    window, stride = 8, 4
    reference = np.zeros_like(values)
    with torch.no_grad():
        for t in range(1, len(values)):
            start = next(s for s in range(0, t, stride) if s + window >= t)
            chunk = torch.as_tensor(values[None, start:t], dtype=torch.float32)
            reference[t] = np.abs(network(chunk)[0, -1].numpy() - values[t])
    np.testing.assert_allclose(prediction_errors(network, values, window), reference,
                               atol=1e-6)


def test_a_relative_network_reads_a_level_shifted_series_with_the_same_errors():
    torch.manual_seed(2)
    values = np.random.default_rng(2).standard_normal((70, 2))
    relative, absolute = NextStepNet(2, 5, relative=True).eval(), NextStepNet(2, 5).eval()
    absolute.load_state_dict(relative.state_dict())
    shifted = values + np.array([50.0, -30.0])
    np.testing.assert_allclose(prediction_errors(relative, shifted, 10),
                               prediction_errors(relative, values, 10), atol=1e-4)
    assert (prediction_errors(absolute, shifted, 10)[1:].mean()
            > 5 * prediction_errors(absolute, values, 10)[1:].mean())


def test_relative_needs_the_prediction_detector():
    with pytest.raises(ConfigError, match="relative=True needs detector='prediction'"):
        AnomalyDetector(detector="reconstruction", relative=True).fit(np.zeros((100, 1)))


def test_ewma_state_continues_across_pushes_like_pandas():
    errors = np.random.default_rng(3).random((50, 2))
    state = EwmaState(8)
    pieces = [state.push(errors[a:b]) for a, b in ((0, 1), (1, 20), (20, 50))]
    np.testing.assert_allclose(np.concatenate(pieces), ewma(errors, 8), rtol=1e-12)


def test_loaded_detector_streams_after_the_history_it_is_given(frame, tmp_path):
    model, rest = _fit(frame, window=16, threshold="fixed")
    loaded = AnomalyDetector.load(model.save(tmp_path / "model"))
    part = rest[rest.series == "s1"]
    with pytest.raises(DatasetError, match="series 'new' was not seen in fit; start its"):
        AnomalyDetector.load(tmp_path / "model").update(part.assign(series="new"))
    loaded.reset_stream(frame[frame.series == "s1"].head(400))
    out = pd.concat([loaded.update(part.iloc[i:i + 9]) for i in range(0, len(part), 9)])
    batch = _batch(model, frame[frame.series == "s1"], "s1")
    np.testing.assert_allclose(out["score"], batch["score"].iloc[out["step"]], atol=1e-5)


def test_stream_flags_a_spike_at_arrival_with_the_dynamic_threshold():
    t = np.arange(1000)
    values = np.sin(2 * np.pi * t / 25) + 0.05 * np.random.default_rng(0).standard_normal(
        1000)
    values[800] += 5.0
    frame = pd.DataFrame({"value": values})
    # scoring="error": with the state term (scoring="max") the state's slow return after
    # the spike makes a plateau whose peak Hundman's pruning drops (docs/anomaly.md)
    model = AnomalyDetector(window=16, hidden_size=8, train_part=300, threshold="dynamic",
                            smoothing=8, scoring="error", train=TrainConfig(epochs=3, lr=1e-2)
                            ).fit(frame[:500])
    out = pd.concat([model.update(frame[i:i + 10]) for i in range(500, 1000, 10)])
    flagged = out.loc[out["flag"] == 1, "step"].tolist()
    assert 800 in flagged and len(flagged) <= 10


@pytest.mark.parametrize(("rows", "message"), [
    (pd.DataFrame({"series": ["s0"], "other": [1.0]}), "column 'value' not found"),
    (pd.DataFrame({"series": ["s0"], "value": [np.nan], "square": [1.0]}),
     "column 'value' of the new rows holds nan at row 0; expected a finite number"),
    (pd.DataFrame({"series": ["s0"], "value": ["x"], "square": [1.0]}),
     "holds 'x' at row 0"),
])
def test_update_refuses_bad_rows_naming_the_column(frame, rows, message):
    model, _ = _fit(frame, window=16)
    with pytest.raises(DatasetError, match=message):
        model.update(rows)


def test_a_series_unknown_to_fit_is_standardised_by_its_own_training_part(frame):
    model, _ = _fit(frame, window=16)
    other = frame[frame.series == "s1"].assign(series="new")
    table = model.score(other)
    train = table[table["part"] == "train"]
    assert len(train) == 250  # train_part=250
    for column in ("score_value", "score_square"):
        assert abs(train[column].mean()) < 1e-9 and train[column].std(ddof=0) == (
            pytest.approx(1.0))

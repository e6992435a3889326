"""LSTM-FCN's input standardization (``standardize``): the statistics it keeps, the
padding, the identity before it is fitted, and the classifier's fit / save / load."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmkit import SequenceClassifier
from lstmkit.models.lstm_fcn import LSTMFCN
from lstmkit.tasks.classification.ensemble import members_of
from lstmkit.training import TrainConfig


def _ragged(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """(6, 9, 2) series of lengths 4-9, features on scales 5 and 0.1, padded with 0."""
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([9, 4, 7, 9, 5, 8])
    x = torch.randn(6, 9, 2, generator=gen) * torch.tensor([5.0, 0.1]) + torch.tensor([3.0, -1.0])
    x[torch.arange(9)[None, :] >= lengths[:, None]] = 0.0
    return x, lengths


@pytest.mark.parametrize("differences", [False, True])
def test_fit_standardization_gives_every_input_feature_mean_0_sd_1_on_the_valid_steps(
        differences):
    x, lengths = _ragged()
    net = LSTMFCN(2, 3, hidden_size=4, filters=(4, 4, 4), differences=differences,
                  standardize=True)
    net.fit_standardization(x, lengths)
    inputs = net._inputs(x, lengths)
    assert inputs.shape[2] == (4 if differences else 2)
    valid = torch.arange(9)[None, :] < lengths[:, None]
    torch.testing.assert_close(inputs[valid].mean(0), torch.zeros(inputs.shape[2]),
                               atol=1e-5, rtol=0)
    torch.testing.assert_close(inputs[valid].std(0, correction=0),
                               torch.ones(inputs.shape[2]), atol=1e-5, rtol=0)
    assert inputs[~valid].abs().max() == 0  # the padding stays 0


def test_standardization_is_the_identity_until_fitted_and_a_constant_keeps_scale_1():
    torch.manual_seed(0)
    x, lengths = _ragged()
    plain = LSTMFCN(2, 3, hidden_size=4, filters=(4, 4, 4)).eval()
    scaled = LSTMFCN(2, 3, hidden_size=4, filters=(4, 4, 4), standardize=True).eval()
    scaled.load_state_dict(plain.state_dict(), strict=False)
    torch.testing.assert_close(scaled(x, lengths), plain(x, lengths))
    x[..., 1] = torch.where(x[..., 1] != 0, 2.0, 0.0)  # a constant feature
    scaled.fit_standardization(x, lengths)
    assert scaled.input_scale[1] == 1.0 and scaled.input_shift[1] == 2.0


def test_classifier_standardizes_on_its_training_series_learns_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    y = np.arange(32) % 2
    ramp = np.linspace(-1, 1, 12)
    X = 50.0 + 20.0 * (np.where(y[:, None] == 1, ramp, -ramp) + 0.3 * rng.normal(size=(32, 12)))
    model = SequenceClassifier(hidden_size=8, filters=(4, 4, 4), batch_size=8, n_models=2,
                               standardize=True, progress=False,
                               train=TrainConfig(epochs=15, lr=1e-2)).fit(X, y)
    expected = torch.tensor([X.mean(), 1 / X.std()], dtype=torch.float32)
    for member in members_of(model.network_):  # no split: every series is a training one
        torch.testing.assert_close(member.input_shift[0], expected[0])
        torch.testing.assert_close(member.input_scale[0], expected[1])
    assert model.score(X, y) >= 0.9
    model.save(tmp_path / "m")
    again = SequenceClassifier.load(tmp_path / "m")
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X), rtol=1e-6)


def test_classifier_saved_before_standardize_loads_without_it(tmp_path, waves,
                                                              saved_without):
    X, y = waves(16, 0)
    model = SequenceClassifier(hidden_size=4, filters=(4, 4, 4), n_models=1, progress=False,
                               train=TrainConfig(epochs=1)).fit(X, y)
    again = saved_without(model, tmp_path / "m", "standardize")
    assert again.settings.standardize is False and not again.network_.standardize
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X), rtol=1e-6)

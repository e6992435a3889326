"""LSTM-FCN's first-difference input (``differences``): values, padding, the
convolution's fast path, errors, and the classifier's fit / save / load with it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmkit import SequenceClassifier
from lstmkit.models.lstm_fcn import LSTMFCN, with_differences
from lstmkit.training import TrainConfig


def test_with_differences_appends_the_first_difference_and_zeroes_the_padding():
    x = torch.tensor([[[1.0, 10.0], [3.0, 7.0], [6.0, 7.0], [0.0, 0.0]],
                      [[2.0, 0.0], [2.0, 1.0], [5.0, 3.0], [4.0, 6.0]]])
    out = with_differences(x, torch.tensor([3, 4]))
    assert out.shape == (2, 4, 4)  # (B, T, I) -> (B, T, 2I)
    torch.testing.assert_close(out[..., :2], x)
    torch.testing.assert_close(out[0, :, 2:], torch.tensor([[0.0, 0.0], [2.0, -3.0],
                                                            [3.0, 0.0], [0.0, 0.0]]))
    torch.testing.assert_close(out[1, :, 3], torch.tensor([0.0, 1.0, 2.0, 3.0]))


def test_lstm_fcn_with_differences_is_the_plain_network_fed_the_differences():
    torch.manual_seed(0)
    net = LSTMFCN(3, 4, hidden_size=5, filters=(6, 6, 6), differences=True).eval()
    plain = LSTMFCN(6, 4, hidden_size=5, filters=(6, 6, 6)).eval()
    plain.load_state_dict(net.state_dict())
    assert net.conv.convs[0].in_channels == 6
    x, lengths = torch.randn(5, 9, 3), torch.full((5,), 9)
    torch.testing.assert_close(net(x, lengths), plain(with_differences(x, lengths), lengths))


def test_lstm_fcn_with_differences_a_padded_series_scores_as_alone():
    torch.manual_seed(1)
    net = LSTMFCN(2, 3, hidden_size=4, filters=(4, 4, 4), differences=True).eval()
    x = torch.randn(1, 7, 2)
    padded = torch.cat([x, torch.zeros(1, 5, 2)], dim=1)  # 5 steps of padding
    torch.testing.assert_close(net(padded, torch.tensor([7])), net(x, torch.tensor([7])))


def test_lstm_fcn_with_differences_keeps_the_unfolded_fast_path():
    # a univariate series gives 2 input channels x kernel 8 = 16 <= 64: the matrix product
    torch.manual_seed(2)
    net = LSTMFCN(1, 2, hidden_size=4, filters=(8, 8, 8), differences=True)
    net.train()
    net(torch.randn(16, 20, 1), torch.full((16,), 20))  # batch-norm statistics move
    net.eval()
    x, lengths = torch.randn(4, 20, 1), torch.full((4,), 20)
    fast = net(x, lengths)
    net.conv.fast_inference = False
    torch.testing.assert_close(fast, net(x, lengths), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("setting", ["differences", "standardize"])
def test_lstm_fcn_differences_and_standardize_need_numeric_series(setting):
    with pytest.raises(ValueError, match="LSTMFCN: differences and standardize need numeric "
                                         "series, got token ids"):
        LSTMFCN(1, 2, vocab_size=10, **{setting: True})


def test_classifier_differences_on_by_default_and_ignored_by_text_and_lstm():
    texts = ["good fine great", "bad awful poor"] * 6
    labels = ["pos", "neg"] * 6
    text = SequenceClassifier(n_models=1, hidden_size=4, filters=(4, 4, 4), progress=False,
                              train=TrainConfig(epochs=1)).fit(texts, labels)
    assert text.settings.differences and not text.network_.differences
    series = np.random.default_rng(0).normal(size=(8, 6, 2)).astype(np.float32)
    lstm = SequenceClassifier(n_models=1, model="lstm", hidden_size=4, progress=False,
                              train=TrainConfig(epochs=1)).fit(series, np.arange(8) % 2)
    reads = [w.shape[1] for k, w in lstm.network_.state_dict().items() if "weight_ih_l0" in k]
    assert reads == [2]  # the 2 features alone
    assert SequenceClassifier(differences=False).settings.differences is False


def test_classifier_saved_before_differences_loads_with_them_off(tmp_path, saved_without):
    X = np.random.default_rng(0).normal(size=(8, 6)).astype(np.float32)
    model = SequenceClassifier(n_models=1, hidden_size=4, filters=(4, 4, 4), progress=False,
                               differences=False, train=TrainConfig(epochs=1))
    again = saved_without(model.fit(X, np.arange(8) % 2), tmp_path / "m", "differences")
    assert not again.settings.differences and again.network_.conv.convs[0].in_channels == 1
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X), rtol=1e-6)


def test_classifier_with_differences_fits_variable_length_multivariate_and_round_trips(
        tmp_path):
    rng = np.random.default_rng(0)
    y = np.arange(24) % 2
    X = [np.cumsum(rng.normal(0.4 if label else -0.4, 0.3, size=(int(n), 2)), axis=0)
         .astype(np.float32) for label, n in zip(y, rng.integers(8, 15, size=24), strict=True)]
    model = SequenceClassifier(n_models=1, hidden_size=8, filters=(4, 8, 4), batch_size=8,
                               progress=False,
                               differences=True, train=TrainConfig(epochs=30, lr=1e-2))
    model.fit(X, y)
    assert model.network_.conv.convs[0].in_channels == 4  # 2 features and their differences
    assert model.score(X, y) >= 0.9
    model.save(tmp_path / "m")
    again = SequenceClassifier.load(tmp_path / "m")
    assert again.settings.differences
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X), rtol=1e-6)

"""The classification networks: masked pooling, padding invariance, LSTM-FCN's branches."""

from __future__ import annotations

import pytest
import torch

from lstmkit.models.lstm_fcn import LSTMFCN
from lstmkit.models.pooling import POOLINGS, MaskedPooling
from lstmkit.models.sequence_classifier import RecurrentClassifier
from lstmkit.models.sequence_encoder import SequenceEncoder


@pytest.mark.parametrize("mode", ["mean", "max", "last"])
def test_pooling_ignores_the_padded_steps(mode):
    torch.manual_seed(0)
    x, lengths = torch.randn(3, 6, 4), torch.tensor([6, 2, 4])
    garbage = x.clone()
    garbage[1, 2:] = 1e6
    garbage[2, 4:] = -1e6
    pool = MaskedPooling(mode, 4)
    torch.testing.assert_close(pool(x, lengths), pool(garbage, lengths))
    expected = {"mean": x[1, :2].mean(0), "max": x[1, :2].amax(0), "last": x[1, 1]}[mode]
    torch.testing.assert_close(pool(x, lengths)[1], expected)


def test_pooling_last_of_two_directions_takes_each_final_state():
    x, lengths = torch.arange(2 * 5 * 4, dtype=torch.float32).reshape(2, 5, 4), torch.tensor(
        [5, 3])
    out = MaskedPooling("last", 4, directions=2)(x, lengths)
    torch.testing.assert_close(out[1], torch.cat([x[1, 2, :2], x[1, 0, 2:]]))


def test_pooling_attention_weights_only_valid_steps():
    torch.manual_seed(0)
    pool = MaskedPooling("attention", 3)
    x = torch.randn(1, 4, 3)
    alone = pool(x[:, :2], torch.tensor([2]))
    torch.testing.assert_close(pool(x, torch.tensor([2])), alone)


def test_pooling_unknown_mode_is_named():
    with pytest.raises(ValueError, match="MaskedPooling: expected mode in last, mean"):
        MaskedPooling("median", 3)


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_encoder_a_padded_sequence_encodes_as_alone(pooling, bidirectional):
    torch.manual_seed(0)
    enc = SequenceEncoder(2, 5, cell="gru", bidirectional=bidirectional, pooling=pooling).eval()
    short = torch.randn(1, 3, 2)
    padded = torch.cat([short, torch.randn(1, 4, 2)], dim=1)
    torch.testing.assert_close(enc(padded, torch.tensor([3])), enc(short, torch.tensor([3])))


@pytest.mark.parametrize("net", [
    lambda: RecurrentClassifier(2, 3, hidden_size=4, num_layers=2, pooling="mean"),
    lambda: LSTMFCN(2, 3, hidden_size=4, filters=(4, 6, 4))])
def test_classifier_padding_does_not_change_logits(net):
    torch.manual_seed(0)
    model = net().eval()
    short = torch.randn(1, 9, 2)
    padded = torch.cat([short, 100 * torch.randn(1, 5, 2)], dim=1)
    torch.testing.assert_close(model(padded, torch.tensor([9])), model(short, torch.tensor([9])))


def test_lstm_fcn_reads_the_time_axis_unless_dimension_shuffle():
    plain = LSTMFCN(3, 2, hidden_size=4, filters=(4, 4, 4))
    shuffled = LSTMFCN(3, 2, hidden_size=4, filters=(4, 4, 4), dimension_shuffle=True,
                       seq_len=20)
    assert plain.recurrent.recurrent.input_size == 3  # T steps of I features
    assert shuffled.recurrent.recurrent.input_size == 20  # I steps of T features
    x = torch.randn(5, 20, 3)
    assert shuffled(x, torch.full((5,), 20)).shape == (5, 2)


def test_lstm_fcn_dimension_shuffle_needs_a_fixed_length():
    with pytest.raises(ValueError, match="dimension_shuffle needs numeric series"):
        LSTMFCN(3, 2, dimension_shuffle=True)


def test_lstm_fcn_even_kernel_keeps_the_length_and_gradients_flow():
    net = LSTMFCN(1, 2, hidden_size=3, filters=(4, 4, 4))
    x = torch.randn(2, 7, 1, requires_grad=True)
    net(x, torch.tensor([7, 5])).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert all(p.grad is not None for p in net.parameters() if p.requires_grad)


def test_lstm_fcn_bf16_inference_agrees_with_float32_and_leaves_training_alone():
    torch.manual_seed(0)
    net = LSTMFCN(2, 3, hidden_size=8, filters=(16, 32, 16), dropout=0.0).eval()
    x, lengths = torch.randn(6, 30, 2), torch.tensor([30, 30, 25, 20, 30, 9])
    with torch.no_grad():
        reference = net(x, lengths)
        net.bf16_inference = True
        fast = net(x, lengths)
    assert fast.dtype == torch.float32
    torch.testing.assert_close(fast, reference, atol=5e-2, rtol=5e-2)
    assert not torch.equal(fast, reference)  # the bfloat16 path did run
    net.train()
    torch.manual_seed(1)
    trained = net(x, lengths)
    net.bf16_inference = False
    torch.manual_seed(1)
    torch.testing.assert_close(trained, net(x, lengths))  # training ignores the flag


@pytest.mark.parametrize("features", [1, 6, 20])  # the unfolded matmul (1, 6) and conv1d (20)
def test_lstm_fcn_folded_batchnorm_inference_agrees_with_the_reference_modules(features):
    torch.manual_seed(0)
    net = LSTMFCN(features, 3, hidden_size=4, filters=(16, 32, 16))
    for norm in net.conv.norms:  # statistics and affine maps far from the identity
        norm.running_mean.normal_()
        norm.running_var.uniform_(0.5, 2.0)
        torch.nn.init.normal_(norm.weight)
        torch.nn.init.normal_(norm.bias)
    net.eval()
    x, lengths = torch.randn(5, 30, features), torch.tensor([30, 12, 30, 7, 30])
    with torch.no_grad():
        fast = net(x, lengths)
        net.conv.fast_inference = False
        reference = net(x, lengths)
    torch.testing.assert_close(fast, reference, atol=1e-5, rtol=1e-5)
    net.train()
    torch.manual_seed(1)
    reference = net(x, lengths)
    net.conv.fast_inference = True
    torch.manual_seed(1)
    torch.testing.assert_close(net(x, lengths), reference)  # training never folds

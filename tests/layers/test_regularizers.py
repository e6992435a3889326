"""Regularisers: the identity in eval, random in training, on any cell."""

import pytest
import torch
from torch.testing import assert_close

import lstmkit

REGULARISERS = [{"dropout": 0.5}, {"input_dropout": 0.5}, {"output_dropout": 0.5},
                {"weight_dropout": 0.5}, {"zoneout": 0.5}]


def _twin(cell, **regs):
    plain = lstmkit.LSTM(4, 6, 2, cell=cell)
    regular = lstmkit.LSTM(4, 6, 2, cell=cell, **regs)
    regular.load_state_dict(plain.state_dict())
    return plain, regular


@pytest.mark.parametrize("regs", REGULARISERS, ids=lambda r: next(iter(r)))
@pytest.mark.parametrize("cell", ["lstm", "layernorm"])
def test_regulariser_is_identity_in_eval(cell, regs):
    plain, regular = _twin(cell, **regs)
    x = torch.randn(5, 3, 4)
    assert_close(regular.eval()(x), plain.eval()(x))


@pytest.mark.parametrize("regs", REGULARISERS, ids=lambda r: next(iter(r)))
def test_regulariser_is_random_in_training(regs):
    _, regular = _twin("peephole", **regs)
    x = torch.randn(5, 3, 4)
    first, second = regular.train()(x)[0], regular(x)[0]
    assert not torch.allclose(first, second)


def test_input_dropout_is_locked_across_time():
    layer = lstmkit.RNN(4, 6, input_dropout=0.5, bias=False)
    with torch.no_grad():
        layer.weight_hh_l0.zero_()  # output at t depends on x_t only
        layer.weight_ih_l0.copy_(torch.eye(6, 4))
    x = torch.ones(8, 2, 4)
    out, _ = layer.train()(x)
    dropped = out[..., :4] == 0  # (T, B, 4): the same units at every step
    assert dropped.any() and torch.equal(dropped, dropped[:1].expand_as(dropped))


def test_weight_dropout_leaves_parameters_untouched():
    layer = lstmkit.GRU(4, 6, weight_dropout=0.9)
    before = layer.weight_hh_l0.detach().clone()
    layer.train()(torch.randn(3, 2, 4))
    assert torch.equal(layer.weight_hh_l0, before)


def test_zoneout_rate_one_minus_epsilon_keeps_initial_state():
    layer = lstmkit.GRU(4, 6, zoneout=0.999999).train()
    h0 = torch.randn(1, 2, 6)
    _, h = layer(torch.randn(5, 2, 4), h0)
    assert_close(h, h0)


def test_zoneout_wrong_number_of_rates_message():
    with pytest.raises(ValueError, match=r"^LSTM: expected zoneout as one rate or 2 rates "
                                         r"\(one per state tensor\), got 3$"):
        lstmkit.LSTM(4, 6, zoneout=(0.1, 0.1, 0.1))

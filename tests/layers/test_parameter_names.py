"""The layer owns its parameters under torch's names and in torch's order (issue 13):
``named_parameters``, ``state_dict``, ``all_weights``, optimizer state, ``reset_parameters``."""

import copy
import itertools

import pytest
import torch
from torch.testing import assert_close

import lstmkit

KINDS = [("LSTM", {}), ("LSTM", {"proj_size": 2}), ("GRU", {}), ("RNN", {})]
SHAPES = list(itertools.product([1, 2, 3], [False, True]))


def _pair(kind, extra, num_layers, bidirectional):
    theirs = getattr(torch.nn, kind)(3, 5, num_layers, bidirectional=bidirectional, **extra)
    ours = getattr(lstmkit, kind)(3, 5, num_layers, bidirectional=bidirectional, **extra)
    return theirs, ours


@pytest.mark.parametrize(("kind", "extra"), KINDS, ids=["lstm", "lstm-proj", "gru", "rnn"])
@pytest.mark.parametrize(("num_layers", "bidirectional"), SHAPES,
                         ids=[f"L{n}-{'bi' if b else 'uni'}" for n, b in SHAPES])
def test_parameter_names_and_order_equal_torchs(kind, extra, num_layers, bidirectional):
    theirs, ours = _pair(kind, extra, num_layers, bidirectional)
    want = [(n, p.shape) for n, p in theirs.named_parameters()]
    assert [(n, p.shape) for n, p in ours.named_parameters()] == want
    assert [p.shape for p in ours.parameters()] == [p.shape for p in theirs.parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours._flat_weights_names == theirs._flat_weights_names
    assert [[w.shape for w in ws] for ws in ours.all_weights] == [
        [w.shape for w in ws] for ws in theirs.all_weights]
    assert all(w is getattr(ours, n) for w, n in zip(ours._flat_weights,
                                                    ours._flat_weights_names, strict=True))


@pytest.mark.parametrize(("cell", "extras"), [
    ("peephole", ["weight_ch"]),
    ("layernorm", ["ln_ih_weight", "ln_hh_weight", "ln_c_weight", "ln_c_bias"]),
    ("multiplicative", ["weight_mx", "weight_mh"]),
])
def test_other_cells_follow_torchs_scheme_with_their_own_parameters(cell, extras):
    layer = lstmkit.LSTM(3, 4, num_layers=2, bidirectional=True, cell=cell)
    base = ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    want = [f"{name}{suffix}" for suffix in ("_l0", "_l0_reverse", "_l1", "_l1_reverse")
            for name in base + extras]
    assert [n for n, _ in layer.named_parameters()] == want
    assert list(layer.state_dict()) == want
    assert layer._flat_weights_names == want


def test_cells_inside_a_layer_read_the_layers_parameters():
    layer = lstmkit.LSTM(3, 4, num_layers=2, bidirectional=True, cell="peephole")
    cell = layer.cells[3]  # layer 1, reverse
    assert list(cell.parameters()) == []
    assert cell.weight_ch is layer.weight_ch_l1_reverse
    weights = cell.weights()
    assert list(weights) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_ch"]
    assert weights["weight_hh"] is layer.weight_hh_l1_reverse
    with pytest.raises(AttributeError, match="weight_nothing"):
        cell.weight_nothing  # noqa: B018
    h, c = cell(torch.randn(2, 8))  # a bound cell still runs one step
    assert h.shape == c.shape == (2, 4)


@pytest.mark.parametrize("cls", [lstmkit.LSTMCell, lstmkit.PeepholeLSTMCell,
                                 lstmkit.LayerNormLSTMCell, lstmkit.MultiplicativeLSTMCell,
                                 lstmkit.GRUCell, lstmkit.RNNCell])
def test_a_cell_on_its_own_keeps_its_parameters(cls):
    cell = cls(3, 4)
    names = [n for n, _ in cell.named_parameters()]
    assert names[:2] == ["weight_ih", "weight_hh"] and names == list(cell.weights())
    out = cell(torch.randn(2, 3))
    (out[0] if isinstance(out, tuple) else out).sum().backward()
    assert cell.weight_hh.grad is not None


def test_reset_parameters_initialises_again_like_the_cells():
    layer = lstmkit.LSTM(3, 4, cell="layernorm", forget_bias=1.0)
    with torch.no_grad():
        for p in layer.parameters():
            p.fill_(7.0)
    layer.reset_parameters()
    assert layer.weight_hh_l0.abs().max() <= 0.5  # uniform in +-1/sqrt(4)
    assert torch.equal(layer.bias_ih_l0[4:8], torch.ones(4))  # the forget bias
    assert torch.equal(layer.ln_hh_weight_l0, torch.ones(16))  # the gains


def test_old_parameter_keys_load_into_the_new_names():
    layer = lstmkit.LSTM(3, 4, num_layers=2, bidirectional=True, cell="peephole")
    suffixes = ["_l0", "_l0_reverse", "_l1", "_l1_reverse"]  # cells 0..3
    old = {f"cells.{k}.{name.removesuffix(suffixes[k])}": getattr(layer, name).detach() + 1.0
           for k, names in enumerate(layer._all_weights) for name in names}
    assert len(old) == 20 and "cells.3.weight_ch" in old
    twin = lstmkit.LSTM(3, 4, num_layers=2, bidirectional=True, cell="peephole")
    twin.load_state_dict(old)
    assert torch.equal(twin.weight_ch_l1_reverse, old["cells.3.weight_ch"])


def _train(model, optimizer, batches):
    losses = []
    for x, y in batches:
        optimizer.zero_grad()
        out, _ = model(x)
        loss = (out[-1] - y).square().mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_optimizer_state_of_nn_lstm_training_continues_identically_in_lstmkit():
    batches = [(torch.randn(6, 4, 3), torch.randn(4, 2)) for _ in range(8)]
    theirs = torch.nn.LSTM(3, 5, 2, bidirectional=True, proj_size=1)
    adam = torch.optim.Adam(theirs.parameters(), lr=0.05)
    _train(theirs, adam, batches[:3])
    ours = lstmkit.LSTM(3, 5, 2, bidirectional=True, proj_size=1)
    ours.load_state_dict(theirs.state_dict())
    our_adam = torch.optim.Adam(ours.parameters(), lr=0.05)
    our_adam.load_state_dict(copy.deepcopy(adam.state_dict()))  # not shared with adam's
    want = _train(theirs, adam, batches[3:])
    got = _train(ours, our_adam, batches[3:])
    assert_close(got, want, rtol=1e-5, atol=1e-6)
    assert want[-1] != want[0]  # the steps did move the weights
    for name, p in theirs.named_parameters():
        assert_close(getattr(ours, name), p, rtol=1e-4, atol=1e-5, msg=name)


def test_a_copied_layer_runs_on_its_own_parameters():
    layer = lstmkit.LSTM(3, 4, num_layers=2, cell="peephole")
    twin = copy.deepcopy(layer)
    with torch.no_grad():
        twin.weight_hh_l1.zero_()
    assert twin.cells[1].weights()["weight_hh"] is twin.weight_hh_l1
    assert not torch.equal(layer.weight_hh_l1, twin.weight_hh_l1)
    x = torch.randn(5, 2, 3)
    assert not torch.allclose(layer(x)[0], twin(x)[0])


def test_functional_call_runs_on_the_given_parameters():
    layer = lstmkit.GRU(3, 4, num_layers=2)
    params = {name: torch.zeros_like(p) for name, p in layer.named_parameters()}
    out, h = torch.func.functional_call(layer, params, (torch.randn(5, 2, 3),))
    assert torch.equal(out, torch.zeros(5, 2, 4))  # all-zero weights: h stays 0
    assert torch.equal(h, torch.zeros(2, 2, 4))
    assert layer.weight_hh_l0.abs().sum() > 0  # the layer's own are untouched

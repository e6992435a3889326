"""lstmkit.LSTM / GRU / RNN against torch.nn: outputs, states and every gradient."""

import itertools

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence
from torch.testing import assert_close

import lstmkit

CONFIGS = list(itertools.product([1, 2, 3], [False, True], [False, True]))


def _pair(kind, num_layers, bidirectional, batch_first, **kw):
    theirs = getattr(torch.nn, kind)(5, 6, num_layers, batch_first=batch_first,
                                     bidirectional=bidirectional, **kw)
    ours = getattr(lstmkit, kind)(5, 6, num_layers, batch_first=batch_first,
                                  bidirectional=bidirectional, **kw)
    ours.load_state_dict(theirs.state_dict())
    return theirs, ours


def _initial_state(kind, theirs, batch):
    n = theirs.num_layers * (2 if theirs.bidirectional else 1)
    h = torch.randn(n, batch, getattr(theirs, "proj_size", 0) or theirs.hidden_size)
    return (h, torch.randn(n, batch, theirs.hidden_size)) if kind == "LSTM" else h


def _assert_same_run(theirs, ours, x, hx):
    out_t, st_t = theirs(x, hx)
    out_o, st_o = ours(x, hx)
    assert_close(out_o, out_t)
    assert_close(st_o, st_t)
    loss_t = out_t.square().sum() + sum(s.sum() for s in (st_t if isinstance(st_t, tuple)
                                                          else (st_t,)))
    loss_o = out_o.square().sum() + sum(s.sum() for s in (st_o if isinstance(st_o, tuple)
                                                          else (st_o,)))
    loss_t.backward()
    loss_o.backward()
    for name, p in theirs.named_parameters():
        assert_close(getattr(ours, name).grad, p.grad, msg=f"gradient of {name}")


@pytest.mark.parametrize(("kind", "extra"), [("LSTM", {}), ("LSTM", {"proj_size": 3}),
                                             ("GRU", {}), ("RNN", {}),
                                             ("RNN", {"nonlinearity": "relu"})])
@pytest.mark.parametrize(("num_layers", "bidirectional", "batch_first"), CONFIGS)
def test_layer_matches_torch(kind, extra, num_layers, bidirectional, batch_first):
    theirs, ours = _pair(kind, num_layers, bidirectional, batch_first, **extra)
    x = torch.randn(4, 7, 5) if batch_first else torch.randn(7, 4, 5)
    _assert_same_run(theirs, ours, x, _initial_state(kind, theirs, 4))


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_layer_packed_sequence_matches_torch(kind, bidirectional):
    theirs, ours = _pair(kind, 2, bidirectional, False)
    x, lengths = torch.randn(6, 4, 5), torch.tensor([3, 6, 1, 4])
    packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
    out_t, st_t = theirs(packed)
    out_o, st_o = ours(packed)
    assert_close(out_o.data, out_t.data)
    assert torch.equal(out_o.batch_sizes, out_t.batch_sizes)
    assert torch.equal(out_o.unsorted_indices, out_t.unsorted_indices)
    assert_close(st_o, st_t)
    out_t.data.sum().backward()
    out_o.data.sum().backward()
    for name, p in theirs.named_parameters():
        assert_close(getattr(ours, name).grad, p.grad, msg=f"gradient of {name}")


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_layer_lengths_match_torch_packed(kind):
    theirs, ours = _pair(kind, 2, True, True)
    x, lengths = torch.randn(4, 6, 5), torch.tensor([3, 6, 1, 4])
    out_t, st_t = theirs(pack_padded_sequence(x, lengths, batch_first=True,
                                              enforce_sorted=False))
    out_t, _ = torch.nn.utils.rnn.pad_packed_sequence(out_t, batch_first=True, total_length=6)
    out_o, st_o = ours(x, lengths=lengths)
    assert_close(out_o, out_t)
    assert_close(st_o, st_t)


def test_lstm_state_dict_round_trips_into_torch():
    ours = lstmkit.LSTM(5, 6, 2, bidirectional=True, proj_size=2)
    theirs = torch.nn.LSTM(5, 6, 2, bidirectional=True, proj_size=2)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(3, 2, 5)
    assert_close(ours(x)[0], theirs(x)[0])


def test_layer_flat_parameter_attributes_are_the_cells_parameters():
    lstm = lstmkit.LSTM(5, 6, 2, bidirectional=True)
    assert lstm.weight_hh_l1_reverse is lstm.cells[3].weight_hh
    with pytest.raises(AttributeError):
        _ = lstmkit.LSTM(5, 6).weight_hh_l0_reverse


def test_unbatched_input_matches_torch():
    theirs, ours = _pair("LSTM", 2, True, False)
    x = torch.randn(7, 5)
    out_t, (h_t, c_t) = theirs(x)
    out_o, (h_o, c_o) = ours(x)
    assert out_o.shape == (7, 12) and h_o.shape == (4, 6)
    assert_close(out_o, out_t)
    assert_close((h_o, c_o), (h_t, c_t))

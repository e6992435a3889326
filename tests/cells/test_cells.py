"""Cells: parity with torch's cells, the paper equations, gradients, errors."""

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

import lstmkit
from lstmkit.cells import (
    GRUCell,
    LayerNormLSTMCell,
    LSTMCell,
    MultiplicativeLSTMCell,
    PeepholeLSTMCell,
    RNNCell,
)

ALL_CELLS = [LSTMCell, PeepholeLSTMCell, MultiplicativeLSTMCell, LayerNormLSTMCell, GRUCell,
             RNNCell]


@pytest.mark.parametrize(("ours", "theirs"), [(LSTMCell, torch.nn.LSTMCell),
                                              (GRUCell, torch.nn.GRUCell),
                                              (RNNCell, torch.nn.RNNCell)])
def test_cell_matches_torch_cell(ours, theirs):
    ref = theirs(6, 5)
    cell = ours(6, 5)
    cell.load_state_dict(ref.state_dict())
    x = torch.randn(4, 6)
    hx = ref(x)
    state = (torch.randn(4, 5), torch.randn(4, 5)) if ours is LSTMCell else torch.randn(4, 5)
    assert_close(cell(x), hx)
    assert_close(cell(x, state), ref(x, state))


def _lstm_reference(x, h, c, w_ih, w_hh, b, peep=None, ln=False):
    """The classic/peephole/layer-norm equations written out gate by gate."""
    gx, gh = x @ w_ih.t(), h @ w_hh.t()
    if ln:
        gx, gh = F.layer_norm(gx, gx.shape[-1:]), F.layer_norm(gh, gh.shape[-1:])
    zi, zf, zg, zo = (gx + gh + b).chunk(4, dim=1)
    pi, pf, po = peep.chunk(3) if peep is not None else (0, 0, 0)
    i, f, g = torch.sigmoid(zi + pi * c), torch.sigmoid(zf + pf * c), torch.tanh(zg)
    c1 = f * c + i * g
    o = torch.sigmoid(zo + po * c1)
    c_out = F.layer_norm(c1, c1.shape[-1:]) if ln else c1
    return o * torch.tanh(c_out), c1


def test_peephole_cell_follows_gers_equations():
    cell = PeepholeLSTMCell(3, 4)
    x, h, c = torch.randn(2, 3), torch.randn(2, 4), torch.randn(2, 4)
    expected = _lstm_reference(x, h, c, cell.weight_ih, cell.weight_hh,
                               cell.bias_ih + cell.bias_hh, peep=cell.weight_ch)
    assert_close(cell(x, (h, c)), expected)


def test_peephole_cell_with_zero_peepholes_equals_classic():
    classic = LSTMCell(3, 4)
    peep = PeepholeLSTMCell(3, 4)
    peep.load_state_dict({**classic.state_dict(), "weight_ch": torch.zeros(12)})
    x, state = torch.randn(5, 3), (torch.randn(5, 4), torch.randn(5, 4))
    assert_close(peep(x, state), classic(x, state))


def test_layernorm_cell_follows_ba_equations():
    cell = LayerNormLSTMCell(3, 4)
    x, h, c = torch.randn(2, 3), torch.randn(2, 4), torch.randn(2, 4)
    expected = _lstm_reference(x, h, c, cell.weight_ih, cell.weight_hh,
                               cell.bias_ih + cell.bias_hh, ln=True)
    assert_close(cell(x, (h, c)), expected)


def test_multiplicative_cell_follows_krause_equations():
    cell = MultiplicativeLSTMCell(3, 4)
    x, h, c = torch.randn(2, 3), torch.randn(2, 4), torch.randn(2, 4)
    m = (x @ cell.weight_mx.t()) * (h @ cell.weight_mh.t())
    zi, zf, zg, zo = (x @ cell.weight_ih.t() + m @ cell.weight_hh.t() + cell.bias_ih
                      + cell.bias_hh).chunk(4, dim=1)
    c1 = torch.sigmoid(zf) * c + torch.sigmoid(zi) * torch.tanh(zg)
    assert_close(cell(x, (h, c)), (torch.sigmoid(zo) * torch.tanh(c1), c1))


@pytest.mark.parametrize("cls", ALL_CELLS)
def test_cell_gradcheck_float64(cls):
    cell = cls(3, 4, dtype=torch.float64)
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    state = tuple(torch.randn(2, s, dtype=torch.float64, requires_grad=True)
                  for s in cell.state_sizes())

    def run(x, *state):
        out = cell(x, state)
        return out if isinstance(out, tuple) else (out,)

    assert torch.autograd.gradcheck(run, (x, *state))
    params = tuple(cell.parameters())
    weights = cell.weights()

    def run_params(*values):
        w = dict(zip(weights, values, strict=True))
        new_state, _ = cell.step(cell.project_input(x, w), state, w)
        return new_state

    assert torch.autograd.gradcheck(run_params, params)


@pytest.mark.parametrize("cls", [LSTMCell, PeepholeLSTMCell, MultiplicativeLSTMCell,
                                 LayerNormLSTMCell])
def test_lstm_family_cell_projection_shapes(cls):
    cell = cls(3, 8, proj_size=2)
    h, c = cell(torch.randn(5, 3))
    assert h.shape == (5, 2) and c.shape == (5, 8)
    h2, c2 = cell(torch.randn(5, 3), (h, c))
    assert h2.shape == (5, 2) and c2.shape == (5, 8)


@pytest.mark.parametrize("cls", ALL_CELLS)
def test_cell_unbatched_equals_batch_of_one(cls):
    cell = cls(3, 4)
    x = torch.randn(3)
    single, batched = cell(x), cell(x.unsqueeze(0))
    if isinstance(single, tuple):
        for s, b in zip(single, batched, strict=True):
            assert_close(s, b.squeeze(0))
    else:
        assert_close(single, batched.squeeze(0))


def test_lstm_cell_forget_bias_initialisation():
    cell = LSTMCell(3, 4, forget_bias=1.0)
    assert_close(cell.bias_ih[4:8], torch.ones(4))
    assert_close(cell.bias_hh[4:8], torch.zeros(4))


def test_cell_bad_input_shape_message():
    with pytest.raises(ValueError, match=r"^PeepholeLSTMCell: expected input of shape "
                                         r"\(B, 32\), got \(8, 16\)$"):
        PeepholeLSTMCell(32, 8)(torch.randn(8, 16))


def test_cell_bad_state_shape_message():
    with pytest.raises(ValueError, match=r"^LSTMCell: expected hx\[1\] of shape \(2, 4\), "
                                         r"got \(2, 5\)$"):
        LSTMCell(3, 4)(torch.randn(2, 3), (torch.zeros(2, 4), torch.zeros(2, 5)))


def test_cell_bad_dtype_message():
    with pytest.raises(TypeError, match=r"^GRUCell: expected input of dtype torch.float32, "
                                        r"got torch.int64$"):
        GRUCell(3, 4)(torch.ones(2, 3, dtype=torch.int64))


def test_rnn_cell_unknown_nonlinearity_message():
    with pytest.raises(ValueError, match=r"^RNNCell: expected nonlinearity one of "
                                         r"\('tanh', 'relu'\), got 'gelu'$"):
        RNNCell(3, 4, nonlinearity="gelu")


def test_cell_names_lists_every_builtin_cell():
    assert set(lstmkit.cell_names()) >= {"lstm", "peephole", "multiplicative", "layernorm",
                                         "gru", "rnn"}

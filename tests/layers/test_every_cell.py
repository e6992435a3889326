"""Behaviour every cell must have inside a layer: lengths, streaming, stacking, custom cells."""

import pytest
import torch
from torch.testing import assert_close

import lstmkit
from lstmkit.cells import RecurrentCell

LSTM_CELLS = ["lstm", "peephole", "multiplicative", "layernorm"]


def _layers(num_layers=2, bidirectional=True, **kw):
    yield from (lstmkit.LSTM(3, 5, num_layers, bidirectional=bidirectional, cell=c, **kw)
                for c in LSTM_CELLS)
    yield lstmkit.GRU(3, 5, num_layers, bidirectional=bidirectional, **kw)
    yield lstmkit.RNN(3, 5, num_layers, bidirectional=bidirectional, **kw)


def _parts(state):
    return state if isinstance(state, tuple) else (state,)


@pytest.mark.parametrize("layer", list(_layers()), ids=lambda m: m.cells[0].__class__.__name__)
def test_layer_padded_batch_with_lengths_equals_each_sequence_alone(layer):
    x, lengths = torch.randn(6, 3, 3), torch.tensor([6, 2, 4])
    out, state = layer(x, lengths=lengths)
    for b, n in enumerate(lengths.tolist()):
        alone_out, alone_state = layer(x[:n, b:b + 1])
        assert_close(out[:n, b:b + 1], alone_out)
        assert torch.all(out[n:, b] == 0)
        for s, a in zip(_parts(state), _parts(alone_state), strict=True):
            assert_close(s[:, b:b + 1], a)


@pytest.mark.parametrize("layer", list(_layers(bidirectional=False)),
                         ids=lambda m: m.cells[0].__class__.__name__)
def test_layer_step_by_step_equals_whole_sequence(layer):
    x = torch.randn(7, 2, 3)
    whole, whole_state = layer(x)
    state, steps = None, []
    for t in range(x.shape[0]):
        out, state = layer.step(x[t], state)
        steps.append(out)
    assert_close(torch.stack(steps), whole)
    assert_close(_parts(state), _parts(whole_state))


def test_layer_step_rejects_bidirectional():
    with pytest.raises(ValueError, match=r"^LSTM: step\(\) needs a unidirectional layer"):
        lstmkit.LSTM(3, 5, bidirectional=True).step(torch.randn(2, 3))


def test_layer_state_carried_across_chunks_equals_one_run_and_detach_cuts_graph():
    lstm = lstmkit.LSTM(3, 5, 2)
    x = torch.randn(8, 2, 3)
    whole, _ = lstm(x)
    first, state = lstm(x[:5])
    state = lstmkit.detach_state(state)
    assert not any(s.requires_grad for s in state)
    second, _ = lstm(x[5:], state)
    assert_close(torch.cat([first, second]), whole)


class MinimalGatedCell(RecurrentCell):
    """A user-written cell: h_t = (1 - z) * h + z * tanh(W x + U h), one gate z."""

    gate_names = ("z",)

    def __init__(self, input_size, hidden_size, bias=True, *, device=None, dtype=None):
        super().__init__(input_size, hidden_size)
        f = {"device": device, "dtype": dtype}
        self.weight_ih = self._new_parameter(2 * hidden_size, input_size, factory=f)
        self.weight_hh = self._new_parameter(2 * hidden_size, hidden_size, factory=f)
        self.reset_parameters()

    def project_input(self, x, weights):
        return x @ weights["weight_ih"].t()

    def step(self, xp, state, weights):
        (h,) = state
        zx, cx = xp.chunk(2, dim=1)
        zh, ch = (h @ weights["weight_hh"].t()).chunk(2, dim=1)
        z = torch.sigmoid(zx + zh)
        return ((1 - z) * h + z * torch.tanh(cx + ch),), {"z": z}


def test_user_cell_runs_stacked_and_bidirectional():
    layer = lstmkit.Recurrent(3, 4, num_layers=2, bidirectional=True, cell=MinimalGatedCell)
    x = torch.randn(5, 2, 3)
    out, h = layer(x)
    assert out.shape == (5, 2, 8) and h.shape == (4, 2, 4)
    # the reverse direction of layer 0 at t = 0 has read the whole sequence
    rev = layer.cells[1]
    state = rev.init_state(2)
    for t in reversed(range(5)):
        state, _ = rev.step(rev.project_input(x[t], rev.weights()), state, rev.weights())
    assert_close(h[1], state[0])
    out.sum().backward()
    assert all(p.grad is not None for p in layer.parameters())


def test_user_cell_registered_by_name():
    lstmkit.register_cell("minimal-gated", MinimalGatedCell)
    layer = lstmkit.Recurrent(3, 4, cell="minimal-gated")
    assert isinstance(layer.cells[0], MinimalGatedCell)
    assert "minimal-gated" in lstmkit.cell_names()


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@pytest.mark.parametrize("layer", list(_layers(num_layers=1, bidirectional=False)),
                         ids=lambda m: m.cells[0].__class__.__name__)
def test_runner_over_zero_steps_returns_empty_output_and_the_state_unchanged(layer, reverse):
    from lstmkit.layers.direction import run_direction
    from lstmkit.layers.fused import fused_run_direction

    cell = layer.cells[0]
    state = tuple(torch.randn(2, s) for s in cell.state_sizes())
    x = torch.randn(0, 2, 3)  # (T=0, B, I): the layers refuse it; the runners stay total
    assert fused_run_direction(cell, x, state, cell.weights(), reverse=reverse) is None
    result = run_direction(cell, x, state, cell.weights(), reverse=reverse, trace=True)
    assert result.output.shape == (0, 2, cell.output_size)
    assert all(a is b for a, b in zip(result.state, state, strict=True))
    assert set(result.gates) == set(cell.gate_names)
    assert all(g.shape == (0, 2, cell.hidden_size) for g in result.gates.values())

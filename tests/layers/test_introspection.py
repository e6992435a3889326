"""Gate and state traces reproduce what the layer computed."""

import pytest
import torch
from torch.testing import assert_close

import lstmkit


def test_classic_trace_reproduces_output():
    lstm = lstmkit.LSTM(3, 5, 2, bidirectional=True)
    x = torch.randn(6, 2, 3)
    out, (_, c_n), trace = lstm(x, return_gates=True)
    gates, states = trace.gates, trace.states
    assert gates["o"].shape == (2, 2, 6, 2, 5)
    assert_close(states["h"], gates["o"] * torch.tanh(states["c"]))  # h = o * tanh(c)
    assert_close(torch.cat([states["h"][1, 0], states["h"][1, 1]], dim=-1), out)
    c_prev = torch.cat([torch.zeros(2, 2, 1, 2, 5), states["c"][:, :, :-1]], dim=2)
    forward_c = gates["f"] * c_prev + gates["i"] * gates["g"]  # c_t = f c + i g (forward)
    assert_close(forward_c[:, 0], states["c"][:, 0])
    assert_close(states["c"][-1, 0, -1], c_n[2])  # final state of the forward direction


def test_trace_follows_batch_first_layout():
    gru = lstmkit.GRU(3, 4, batch_first=True)
    out, _, trace = gru(torch.randn(2, 7, 3), return_gates=True)
    assert set(trace.gates) == {"r", "z", "n"}
    assert trace.gates["z"].shape == (1, 1, 2, 7, 4)
    assert_close(trace.states["h"][0, 0], out)


@pytest.mark.parametrize("cell", ["peephole", "multiplicative", "layernorm"])
def test_variant_trace_has_gates_in_unit_interval(cell):
    lstm = lstmkit.LSTM(3, 4, cell=cell)
    _, _, trace = lstm(torch.randn(5, 2, 3), return_gates=True)
    for name in ("i", "f", "o"):
        assert torch.all((trace.gates[name] >= 0) & (trace.gates[name] <= 1))

"""gradcheck of every kernel's backward in float64, lengths included, and the streaming
single step against the whole sequence."""

from __future__ import annotations

import pytest
import torch
from torch.autograd import gradcheck
from torch.testing import assert_close

import lstmkit
from lstmkit.kernels.ops import SPECS, FusedRecurrence

T, B, H, F_IN = 3, 2, 3, 2


def _double(*shape):
    return (torch.randn(*shape, dtype=torch.float64) * 0.5).requires_grad_()


def _arguments(name: str):
    """(first input, recurrent arguments) of each kernel at small sizes."""
    h0, w = _double(B, H), _double(4 * H, H)
    if name == "lstm":
        return _double(T, B, F_IN), (_double(4 * H, F_IN), _double(4 * H), h0, _double(B, H),
                                     w, _double(3 * H))
    if name == "layernorm":
        gains = (_double(4 * H) + 1).detach().requires_grad_()
        in_gains = (_double(4 * H) + 1).detach().requires_grad_()
        return _double(T, B, F_IN), (_double(4 * H, F_IN), in_gains, _double(4 * H), h0,
                                     _double(B, H), w, gains, _double(H), _double(H))
    if name == "multiplicative":
        return _double(T, B, 5 * H), (h0, _double(B, H), _double(H, H), w)
    if name == "gru":
        return _double(T, B, 3 * H), (h0, _double(3 * H, H), _double(H))
    return _double(T, B, H), (h0, _double(H, H))


@pytest.mark.parametrize("with_lengths", [False, True], ids=["full", "lengths"])
@pytest.mark.parametrize("name", sorted(SPECS))
def test_kernel_gradcheck_float64(kernels, name, with_lengths):
    torch.manual_seed(0)
    first, args = _arguments(name)
    lengths = torch.tensor([T, 2]) if with_lengths else None

    def fn(first, *args):
        return FusedRecurrence.apply(SPECS[name], lengths, first, *args)

    assert gradcheck(fn, (first, *args), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("layers", [1, 2])
def test_kernel_streaming_step_matches_sequence(kernels, layers):
    torch.manual_seed(0)
    model = lstmkit.LSTM(5, 8, num_layers=layers).eval()
    x = torch.randn(4, 3, 5)
    with torch.no_grad():
        expected, expected_state = model(x)
        state, outputs = None, []
        for t in range(4):
            out, state = model.step(x[t], state)
            outputs.append(out)
    assert_close(torch.stack(outputs), expected)
    assert_close(state, expected_state)


def test_kernel_streaming_step_unbatched(kernels):
    model = lstmkit.LSTM(5, 8, num_layers=2).eval()
    x = torch.randn(5)
    with torch.no_grad():
        out, (h, c) = model.step(x)
        expected, (eh, ec) = model(x.unsqueeze(0))
    assert out.shape == (8,) and h.shape == (2, 8)
    assert_close(out, expected[0])
    assert_close((h, c), (eh, ec))

"""torch.compile of every cell: outputs and every gradient equal eager (float32, 1e-5)."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from .conftest import CELLS, make_layer

T, B, F_IN, H = 5, 3, 4, 5
TOL = {"rtol": 1e-5, "atol": 1e-5}


def _loss_and_grads(layer, x, hx, lengths):
    """Output, final state and the gradients of a loss touching all of them."""
    output, final = layer(x, hx, lengths=lengths)
    final = final if isinstance(final, tuple) else (final,)
    torch.manual_seed(1)
    loss = (output * torch.randn_like(output)).sum()
    loss = loss + sum((s * torch.randn_like(s)).sum() for s in final)
    inputs = [x, *(hx if isinstance(hx, tuple) else (hx,)), *layer.parameters()]
    return output, final, torch.autograd.grad(loss, inputs)


def _inputs(layer, layers, directions, with_lengths):
    torch.manual_seed(0)
    x = torch.randn(T, B, F_IN, requires_grad=True)
    hx = tuple(torch.randn(layers * directions, B, s, requires_grad=True)
               for s in layer.cells[0].state_sizes())
    lengths = torch.tensor([T, 2, 1]) if with_lengths else None
    return x, (hx if len(hx) > 1 else hx[0]), lengths


@pytest.mark.parametrize("with_lengths", [False, True], ids=["full", "lengths"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_compile_matches_eager_in_training(kernels, cell, layers, bidirectional,
                                           with_lengths):
    layer = make_layer(cell, F_IN, H, num_layers=layers, bidirectional=bidirectional)
    x, hx, lengths = _inputs(layer, layers, 1 + bidirectional, with_lengths)
    expected = _loss_and_grads(layer, x, hx, lengths)
    compiled = torch.compile(layer, backend="aot_eager", fullgraph=True)
    actual = _loss_and_grads(compiled, x, hx, lengths)
    assert_close(actual, expected, **TOL)


@pytest.mark.parametrize("cell", CELLS)
def test_compile_matches_eager_in_inference_without_graph_break(kernels, cell):
    layer = make_layer(cell, F_IN, H, num_layers=2, bidirectional=True).eval()
    x, _, lengths = _inputs(layer, 2, 2, True)
    with torch.no_grad():
        expected = layer(x, lengths=lengths)
        actual = torch.compile(layer, backend="aot_eager", fullgraph=True)(x, lengths=lengths)
    assert_close(actual, expected, **TOL)


def test_compile_streaming_step_of_stacked_lstm(kernels):
    layer = make_layer("lstm", F_IN, H, num_layers=2).eval()
    x = torch.randn(B, F_IN)
    state = (torch.randn(2, B, H), torch.randn(2, B, H))
    with torch.no_grad():
        expected = layer.step(x, state)
        actual = torch.compile(layer.step, backend="aot_eager", fullgraph=True)(x, state)
    assert_close(actual, expected, **TOL)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_compile_with_inductor_matches_eager(kernels, cell):
    layer = make_layer(cell, F_IN, H, num_layers=2, bidirectional=True)
    x, hx, lengths = _inputs(layer, 2, 2, True)
    expected = _loss_and_grads(layer, x, hx, lengths)
    actual = _loss_and_grads(torch.compile(layer, backend="inductor"), x, hx, lengths)
    assert_close(actual, expected, **TOL)


def test_compiled_model_trains_like_eager(kernels):
    """Three optimizer steps of a compiled layer land on the eager parameters."""
    eager, compiled_layer = make_layer("layernorm", F_IN, H), make_layer("layernorm", F_IN, H)
    compiled = torch.compile(compiled_layer, backend="aot_eager")
    x = torch.randn(T, B, F_IN)
    for model, module in ((eager, eager), (compiled, compiled_layer)):
        opt = torch.optim.SGD(module.parameters(), lr=0.1)
        for _ in range(3):
            opt.zero_grad()
            model(x)[0].square().mean().backward()
            opt.step()
    assert_close(list(compiled_layer.parameters()), list(eager.parameters()), **TOL)

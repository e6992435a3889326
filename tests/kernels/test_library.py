"""The torch.library registrations of the kernels (what compile and export trace): fake
implementations match the real outputs, the autograd formula matches the eager path."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from lstmkit.kernels import ops, portable
from lstmkit.layers.fused import _CELLS

T, B, F_IN, H = 4, 3, 5, 6
KERNELS = ("lstm", "peephole", "layernorm", "multiplicative", "gru", "rnn_tanh", "rnn_relu")


def _case(model_factory, name, lengths):
    """(spec, first, args, lengths) of the first cell of a layer of kernel ``name``."""
    model = model_factory(name, F_IN, H, dtype=torch.float64)
    cell = model.cells[0]
    torch.manual_seed(0)
    x = torch.randn(T, B, F_IN, dtype=torch.float64)
    weights = cell.weights()
    spec = ops.SPECS[name if name in ops.SPECS else "lstm"]
    first = x if spec.projects_input else cell.project_input(x, weights).detach()
    state = tuple(torch.randn(B, s, dtype=torch.float64) for s in cell.state_sizes())
    args = tuple(a.detach() if a is not None else None
                 for a in _CELLS[type(cell)][1](cell, state, weights))
    lens = torch.tensor([T, 2, 1]) if lengths else None
    return spec, first, args, lens


@pytest.mark.parametrize("save", [False, True])
@pytest.mark.parametrize("lengths", [False, True])
@pytest.mark.parametrize("name", KERNELS)
def test_recurrence_op_passes_opcheck(kernels, model_factory, name, lengths, save):
    spec, first, args, lens = _case(model_factory, name, lengths)
    present = [a is not None for a in args]
    tensors = [a.requires_grad_(save) for a in args if a is not None]
    first.requires_grad_(save)
    utils = ("test_schema", "test_autograd_registration", "test_faketensor",
             "test_aot_dispatch_dynamic")
    if lengths and save:  # saved buffers are left unwritten past a sequence's end (never
        utils = utils[:-1]  # read by backward), so two runs of the op differ there
    torch.library.opcheck(torch.ops.lstmkit.recurrence.default,
                          (spec.name, first, tensors, present, lens, save), test_utils=utils)


@pytest.mark.parametrize("name", KERNELS)
def test_recurrence_op_gradients_match_the_eager_function(kernels, model_factory, name):
    spec, first, args, lens = _case(model_factory, name, True)
    leaves = [first, *(a for a in args if a is not None)]
    for t in leaves:
        t.requires_grad_()

    def grads(outputs):
        hs, finals = outputs
        loss = hs.sin().sum() + sum(f.cos().sum() for f in finals)
        return torch.autograd.grad(loss, leaves)

    eager = grads(ops.run(spec, first, args, lens))
    outs = ops._call(spec, first, args, lens, True)
    op = grads((outs[0], tuple(outs[1: 1 + spec.num_states])))
    assert_close(op, eager)


@pytest.mark.parametrize("lengths", [False, True])
@pytest.mark.parametrize("name", KERNELS)
def test_portable_recurrence_matches_the_kernel(kernels, model_factory, name, lengths):
    spec, first, args, lens = _case(model_factory, name, lengths)
    with torch.no_grad():
        expected = ops.run(spec, first, args, lens)
        actual = portable.recurrence(spec.name, first, args, lens)
    assert_close(actual[0] * _mask(lens), expected[0] * _mask(lens))
    assert_close(actual[1], expected[1])


def _mask(lengths):
    if lengths is None:
        return torch.ones(T, B, 1, dtype=torch.float64)
    return (torch.arange(T)[:, None] < lengths[None]).unsqueeze(-1).double()  # (T, B, 1)


def test_portable_lstm_step_matches_the_kernel(kernels, model_factory):
    model = model_factory("lstm", F_IN, H, num_layers=2).eval()
    x, h, c = torch.randn(B, F_IN), torch.randn(2, B, H), torch.randn(2, B, H)
    weights = list(model.parameters())  # torch order: w_ih, w_hh, b_ih, b_hh per layer
    with torch.no_grad():
        assert_close(portable.lstm_step(x, h, c, weights),
                     list(torch.ops.lstmkit.lstm_step(x, h, c, weights)))

"""Property-based tests of the layers over random tiny shapes, empty batches and empty
sequences included: torch's shape rule, fused kernels equal to the reference path, and
step-by-step equal to the whole sequence, for every cell, stacked and bidirectional."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

import lstmkit
from lstmkit.layers import recurrent as layer_module

CELLS = ("lstm", "peephole", "multiplicative", "layernorm", "gru", "rnn_tanh", "rnn_relu")
SETTINGS = settings(max_examples=50, deadline=None, derandomize=True, database=None)


@st.composite
def layer_cases(draw, *, bidirectional=None, min_steps=0):
    """A layer's constructor options and an input batch (some with lengths)."""
    case = {
        "cell": draw(st.sampled_from(CELLS)),
        "num_layers": draw(st.integers(1, 2)),
        "bidirectional": draw(st.booleans()) if bidirectional is None else bidirectional,
        "batch_first": draw(st.booleans()),
        "input_size": draw(st.integers(1, 3)),
        "hidden_size": draw(st.integers(1, 4)),
        "batch": draw(st.integers(0, 3)),
        "steps": draw(st.integers(min_steps, 4)),
        "seed": draw(st.integers(0, 2**16)),
    }
    lengths = None
    if case["steps"] > 0 and draw(st.booleans()):
        lengths = draw(st.lists(st.integers(1, case["steps"]), min_size=case["batch"],
                                max_size=case["batch"]))
    case["lengths"] = lengths
    return case


def build(case: dict, *, dtype=torch.float64, torch_twin: bool = False):
    """lstmkit's layer for ``case`` (or torch's of the same family) and its input."""
    torch.manual_seed(case["seed"])
    cell = case["cell"]
    options = {k: case[k] for k in ("num_layers", "bidirectional", "batch_first")}
    sizes = (case["input_size"], case["hidden_size"])
    if torch_twin:
        cls = nn.GRU if cell == "gru" else nn.RNN if cell.startswith("rnn") else nn.LSTM
        model = cls(*sizes, **options, dtype=dtype)
    elif cell == "gru":
        model = lstmkit.GRU(*sizes, **options, dtype=dtype)
    elif cell.startswith("rnn"):
        model = lstmkit.RNN(*sizes, nonlinearity=cell[4:], **options, dtype=dtype)
    else:
        model = lstmkit.LSTM(*sizes, cell=cell, **options, dtype=dtype)
    batch, steps = case["batch"], case["steps"]
    shape = (batch, steps) if case["batch_first"] else (steps, batch)
    return model, torch.randn(*shape, case["input_size"], dtype=dtype)


def parts(state) -> tuple:
    return state if isinstance(state, tuple) else (state,)


def torch_shapes(case: dict) -> tuple:
    """torch's rule: output (T, B, D*H) (batch_first: (B, T, D*H)); each state
    (L*D, B, H)."""
    d = 2 if case["bidirectional"] else 1
    t, b, h = case["steps"], case["batch"], case["hidden_size"]
    output = (b, t, d * h) if case["batch_first"] else (t, b, d * h)
    states = 1 if case["cell"] == "gru" or case["cell"].startswith("rnn") else 2
    return output, ((case["num_layers"] * d, b, h),) * states


def run(model, x, lengths, *, reference: bool):
    """Forward and backward of a loss over the output and final state; returns the
    output, the state and every gradient, on the kernels or the reference path."""
    with pytest.MonkeyPatch.context() as patch:
        if reference:
            patch.setattr(layer_module, "fused_run_direction", lambda *a, **k: None)
        model.zero_grad()
        x = x.detach().requires_grad_()
        output, state = model(x, lengths=lengths)
        (output.sum() + sum((s * s).sum() for s in parts(state))).backward()
    grads = {"x": x.grad, **{n: p.grad for n, p in model.named_parameters()}}
    return output.detach(), tuple(s.detach() for s in parts(state)), grads


@SETTINGS
@given(case=layer_cases())
def test_layer_output_shapes_follow_torchs_rule(case):
    model, x = build(case)
    if case["steps"] == 0:  # torch refuses an empty sequence, and so does lstmkit
        with pytest.raises(ValueError, match="expected a sequence of at least one step"):
            model(x)
        return
    output, state = model(x, lengths=case["lengths"])
    got = (tuple(output.shape), tuple(tuple(s.shape) for s in parts(state)))
    assert got == torch_shapes(case)
    twin, _ = build(case, torch_twin=True)
    want_output, want_state = twin(x)
    assert got == (tuple(want_output.shape), tuple(tuple(s.shape) for s in parts(want_state)))


@SETTINGS
@given(case=layer_cases(min_steps=1))
def test_layer_kernels_equal_reference(case):
    model, x = build(case)
    out, state, grads = run(model, x, case["lengths"], reference=False)
    ref_out, ref_state, ref_grads = run(model, x, case["lengths"], reference=True)
    assert_close(out, ref_out)
    assert_close(state, ref_state)
    for name, grad in grads.items():
        assert_close(grad, ref_grads[name], atol=1e-9, rtol=1e-7, msg=name)


@SETTINGS
@given(case=layer_cases(bidirectional=False, min_steps=1))
def test_layer_step_by_step_equals_whole_sequence(case):
    model, x = build(case)
    model.eval()
    with torch.no_grad():
        whole, whole_state = model(x)
        time_major = x.transpose(0, 1) if case["batch_first"] else x  # (B, T, I) -> (T, B, I)
        state, outputs = None, []
        for step in time_major:
            out, state = model.step(step, state)
            outputs.append(out)
    steps = torch.stack(outputs, 1 if case["batch_first"] else 0)  # T x (B, H)
    assert_close(steps, whole)
    assert_close(parts(state), parts(whole_state))

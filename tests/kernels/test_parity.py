"""The fused kernels against the reference path: outputs, final states, every gradient."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from lstmkit.layers.fused import kernel_for

CELLS = ("lstm", "peephole", "layernorm", "multiplicative", "gru", "rnn_tanh", "rnn_relu")
T, B, F_IN, H = 6, 4, 5, 7
TOLERANCE = {torch.float32: {"rtol": 1e-4, "atol": 2e-5}, torch.float64: {}}


def assert_near(actual, expected, dtype, name=""):
    """assert_close with float32's absolute tolerance scaled by the tensor's magnitude:
    sums over steps of terms of size ~|expected| cancel to small entries in float32."""
    tol = dict(TOLERANCE[dtype])
    if dtype == torch.float32:
        tol["atol"] *= max(1.0, expected.abs().max().item())
    assert_close(actual, expected, **tol, msg=lambda m: f"{name}: {m}")


def _run(model, x, hx, lengths):
    """Forward and backward of a loss touching the output and every final state."""
    model.zero_grad()
    x = x.detach().requires_grad_()
    hx = tuple(s.detach().requires_grad_() for s in hx)
    output, final = model(x, hx if len(hx) > 1 else hx[0], lengths=lengths)
    final = final if isinstance(final, tuple) else (final,)
    torch.manual_seed(1)
    loss = (output * torch.randn_like(output)).sum()
    loss = loss + sum((s * torch.randn_like(s)).sum() for s in final)
    loss.backward()
    grads = {"x": x.grad, **{f"hx{k}": s.grad for k, s in enumerate(hx)}}
    grads.update({n: p.grad for n, p in model.named_parameters()})
    return output.detach(), tuple(s.detach() for s in final), grads


def _inputs(model, dtype, layers, directions, with_lengths):
    torch.manual_seed(0)
    x = torch.randn(T, B, F_IN, dtype=dtype)
    sizes = model.cells[0].state_sizes()
    hx = tuple(torch.randn(layers * directions, B, s, dtype=dtype) for s in sizes)
    lengths = torch.tensor([T, T - 2, 1, T - 1]) if with_lengths else None
    return x, hx, lengths


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("with_lengths", [False, True], ids=["full", "lengths"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_kernel_matches_reference(kernels, reference, model_factory, cell, layers,
                                  bidirectional, with_lengths, dtype):
    model = model_factory(cell, F_IN, H, num_layers=layers, bidirectional=bidirectional,
                          dtype=dtype)
    x, hx, lengths = _inputs(model, dtype, layers, 1 + bidirectional, with_lengths)
    assert kernel_for(model.cells[0], x) is not None
    out, final, grads = _run(model, x, hx, lengths)
    ref_out, ref_final, ref_grads = reference(_run, model, x, hx, lengths)
    tol = TOLERANCE[dtype]
    assert_close(out, ref_out, **tol)
    assert_close(final, ref_final, **tol)
    assert grads.keys() == ref_grads.keys()
    for name, grad in grads.items():
        assert_near(grad, ref_grads[name], dtype, name)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_kernel_matches_reference_batch_first_without_bias(kernels, reference, model_factory,
                                                           cell):
    model = model_factory(cell, F_IN, H, bias=False, batch_first=True, num_layers=2)
    x = torch.randn(B, T, F_IN)
    hx = tuple(torch.zeros(2, B, s) for s in model.cells[0].state_sizes())
    out, final, grads = _run(model, x, hx, None)
    ref_out, ref_final, ref_grads = reference(_run, model, x, hx, None)
    assert_close(out, ref_out, **TOLERANCE[torch.float32])
    assert_close(final, ref_final, **TOLERANCE[torch.float32])
    for name, grad in grads.items():
        assert_near(grad, ref_grads[name], torch.float32, name)


def test_kernel_matches_reference_with_weight_drop(kernels, reference, model_factory):
    model = model_factory("lstm", F_IN, H, weight_dropout=0.5).train()
    x, hx, _ = _inputs(model, torch.float32, 1, 1, False)
    torch.manual_seed(3)
    out = model(x, hx)[0]
    torch.manual_seed(3)
    ref_out = reference(model, x, hx)[0]
    assert_close(out, ref_out, **TOLERANCE[torch.float32])


def test_kernel_matches_reference_without_grad(kernels, reference, model_factory):
    model = model_factory("layernorm", F_IN, H, num_layers=2, bidirectional=True)
    x, hx, lengths = _inputs(model, torch.float32, 2, 2, True)
    with torch.no_grad():
        out, final = model(x, hx, lengths=lengths)
        ref_out, ref_final = reference(lambda: model(x, hx, lengths=lengths))
    assert_close(out, ref_out, **TOLERANCE[torch.float32])
    assert_close(final, ref_final, **TOLERANCE[torch.float32])


def test_dispatch_skips_unsupported_cases(kernels, model_factory):
    x = torch.randn(T, B, F_IN)
    assert kernel_for(model_factory("lstm", F_IN, H, proj_size=3).cells[0], x) is None
    assert kernel_for(model_factory("lstm", F_IN, H).cells[0], x.half()) is None
    assert kernel_for(model_factory("gru", F_IN, H).cells[0], x) is not None


def test_dispatch_honours_lstmkit_kernels_env(kernels, model_factory, monkeypatch):
    monkeypatch.setenv("LSTMKIT_KERNELS", "0")
    assert kernel_for(model_factory("lstm", F_IN, H).cells[0], torch.randn(T, B, F_IN)) is None


@pytest.mark.parametrize("cell", CELLS)
def test_kernel_matches_reference_with_batch_split_over_threads(kernels, reference,
                                                                 model_factory, cell):
    threads = torch.get_num_threads()
    torch.set_num_threads(2)  # batch rows split over 2 threads (B * 4H * H is large enough)
    try:
        model = model_factory(cell, F_IN, 64, bidirectional=True, dtype=torch.float64)
        torch.manual_seed(0)
        x = torch.randn(T, 9, F_IN, dtype=torch.float64)
        hx = tuple(torch.randn(2, 9, s, dtype=torch.float64)
                   for s in model.cells[0].state_sizes())
        lengths = torch.tensor([T, 2, 1, T, 3, T, 4, 5, 1])
        out, final, grads = _run(model, x, hx, lengths)
        ref_out, ref_final, ref_grads = reference(_run, model, x, hx, lengths)
    finally:
        torch.set_num_threads(threads)
    assert_close(out, ref_out)
    assert_close(final, ref_final)
    for name, grad in grads.items():
        assert_near(grad, ref_grads[name], torch.float64, name)


# (batch, hidden) reaching each GEMM of a step on one thread: our register-blocked GEMM
# (<= 64 rows: one partial panel and block; several panels with 8-row blocks and a
# remainder), MKL's packed GEMM (> 64 rows, small), oneDNN's (>= 2^23 multiply-adds).
GEMM_PATHS = {"small-partial": (3, 5), "small-blocks": (19, 20), "mkl-packed": (80, 12),
              "onednn": (72, 256)}


@pytest.mark.parametrize("path", GEMM_PATHS)
@pytest.mark.parametrize("cell", ["lstm", "layernorm", "multiplicative", "gru"])
def test_kernel_matches_reference_on_every_gemm_path(kernels, reference, model_factory,
                                                      cell, path):
    batch, hidden = GEMM_PATHS[path]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # every row in one block: the row counts above are exact
    try:
        model = model_factory(cell, 8, hidden)
        with torch.no_grad():  # weights of a well-conditioned layer of any width
            for name, p in model.named_parameters():
                if "ln_" not in name:
                    p.mul_(2.0 / hidden ** 0.5)
        torch.manual_seed(0)
        x = torch.randn(3, batch, 8)
        hx = tuple(torch.randn(1, batch, s) * 0.5 for s in model.cells[0].state_sizes())
        out, final, grads = _run(model, x, hx, None)
        ref_out, ref_final, ref_grads = reference(_run, model, x, hx, None)
    finally:
        torch.set_num_threads(threads)
    assert_near(out, ref_out, torch.float32)
    for got, want in zip(final, ref_final, strict=True):
        assert_near(got, want, torch.float32)
    for name, grad in grads.items():
        assert_near(grad, ref_grads[name], torch.float32, name)


def test_pooled_buffers_are_reused_without_stale_values(kernels, model_factory):
    """Saved activations come from a pool of recycled blocks (>= 1 MB): a second run
    must not see the first's values, and emptying the pool changes nothing."""
    model = model_factory("layernorm", 8, 64)
    x = torch.randn(300, 16, 8)  # gates (300, 16, 256): 4.9 MB, pooled
    first, _ = model(x)
    first.sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    again, _ = model(x * 1.0)
    again.sum().backward()
    assert_close(again, first, rtol=0, atol=0)
    for p, g in zip(model.parameters(), grads, strict=True):
        assert_close(p.grad, g, rtol=0, atol=0)
    torch.ops.lstmkit.empty_cache()
    with torch.no_grad():
        assert_close(model(x)[0], first.detach(), rtol=0, atol=0)


@pytest.mark.parametrize("with_lengths", [False, True], ids=["full", "lengths"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_kernel_matches_reference_on_an_empty_batch(kernels, reference, model_factory, cell,
                                                    layers, bidirectional, with_lengths):
    model = model_factory(cell, F_IN, H, num_layers=layers, bidirectional=bidirectional)
    directions = 1 + bidirectional
    x = torch.randn(T, 0, F_IN)
    hx = tuple(torch.randn(layers * directions, 0, s) for s in model.cells[0].state_sizes())
    lengths = torch.zeros(0, dtype=torch.int64) if with_lengths else None
    assert kernel_for(model.cells[0], x) is not None
    out, final, grads = _run(model, x, hx, lengths)
    ref_out, ref_final, ref_grads = reference(_run, model, x, hx, lengths)
    assert out.shape == ref_out.shape == (T, 0, directions * H)
    assert_close(final, ref_final)
    assert grads.keys() == ref_grads.keys()
    for name, grad in grads.items():
        assert_close(grad, ref_grads[name], rtol=0, atol=0, msg=name)
        if not name.startswith(("x", "hx")):
            assert not grad.any(), name  # nothing to learn from no rows


@pytest.mark.parametrize("cell", CELLS)
def test_kernel_refuses_an_empty_sequence_forward_and_backward(kernels, model_factory, cell):
    from lstmkit.layers.fused import _CELLS

    cell_module = model_factory(cell, F_IN, H).cells[0]
    weights = cell_module.weights()
    x = torch.randn(1, 2, F_IN)
    spec = kernel_for(cell_module, x)
    first = x if spec.projects_input else cell_module.project_input(x, weights).detach()
    args = _CELLS[type(cell_module)][1](cell_module, cell_module.init_state(2), weights)
    args = tuple(a.detach() if isinstance(a, torch.Tensor) else a for a in args)
    outputs = spec.forward(first, args, None, True)  # one step: what backward needs
    empty = first[:0]  # (0, B, ·)
    with pytest.raises(RuntimeError, match="expected a sequence of at least one step, got T = 0"):
        spec.forward(empty, args, None, True)
    grads = (outputs[0][:0], *(s[0] for s in outputs[:spec.num_states]))
    with pytest.raises(RuntimeError, match="at least one step, got T = 0"):
        spec.backward(grads, args, None, [o[:0] for o in outputs], empty, True)


def test_streaming_step_kernel_on_an_empty_batch(kernels, model_factory):
    model = model_factory("lstm", F_IN, H, num_layers=2).eval()
    with torch.no_grad():
        out, (h, c) = model.step(torch.randn(0, F_IN))
    assert out.shape == (0, H) and h.shape == c.shape == (2, 0, H)
    weights = [p.detach() for p in model.parameters()]
    h1, c1 = torch.ops.lstmkit.lstm_step(torch.randn(0, F_IN), torch.zeros(2, 0, H),
                                         torch.zeros(2, 0, H), weights)
    assert h1.shape == c1.shape == (2, 0, H)

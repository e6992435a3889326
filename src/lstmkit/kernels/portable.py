"""The kernels' contract in plain torch operations, for graphs that must run without
lstmkit: ONNX (and ``torch.export`` with ``portable=True``).

:func:`recurrence` computes exactly what a fused kernel computes (see
:class:`~lstmkit.kernels.ops.KernelSpec`) with the step equations of
:mod:`lstmkit.functional` inside torch's ``scan`` higher-order op, so the time loop stays
a loop in the traced graph (ONNX ``Scan``) and the number of steps stays dynamic. A
sequence past its length keeps its state, as in the kernels. Inference only: the
backward pass is the kernels' business. Enabled by :func:`portable_ops` (a context
manager) and read by :func:`lstmkit.kernels.ops.run`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import Tensor
from torch._higher_order_ops.scan import scan  # prototype API; the ONNX exporter reads it

from .. import functional as LF

_ACTIVE = [False]


def active() -> bool:
    """True inside :func:`portable_ops`."""
    return _ACTIVE[0]


@contextlib.contextmanager
def portable_ops() -> Iterator[None]:
    """Run every recurrent layer through plain torch operations (a ``scan`` over the
    steps) instead of the C++ kernels, for tracing a graph that must run elsewhere."""
    previous, _ACTIVE[0] = _ACTIVE[0], True
    try:
        yield
    finally:
        _ACTIVE[0] = previous


def _lstm(first, args):
    w_ih, bias, h0, c0, w_hh, peep = args
    xp = F.linear(first, w_ih, bias)  # (T, B, I) -> (T, B, 4H)
    if peep is None:
        return xp, (h0, c0), lambda x, h, c: LF.lstm_step(x, h, c, w_hh)[0]
    return xp, (h0, c0), lambda x, h, c: LF.peephole_lstm_step(x, h, c, w_hh, peep)[0]


def _layernorm(first, args):
    w_ih, ln_ih, bias, h0, c0, w_hh, ln_hh, ln_c_w, ln_c_b = args
    xp = LF.layer_norm(F.linear(first, w_ih), ln_ih)  # (T, B, I) -> (T, B, 4H)
    xp = xp if bias is None else xp + bias
    return xp, (h0, c0), lambda x, h, c: LF.layernorm_lstm_step(
        x, h, c, w_hh, ln_hh, ln_c_w, ln_c_b)[0]


def _multiplicative(first, args):
    h0, c0, w_mh, w_hh = args
    return first, (h0, c0), lambda x, h, c: LF.multiplicative_lstm_step(
        x, h, c, w_mh, w_hh)[0]


def _gru(first, args):
    h0, w_hh, b_hn = args
    return first, (h0,), lambda x, h: LF.gru_step(x, h, w_hh, b_hn)[0]


def _rnn(nonlinearity: str):
    def build(first, args):
        h0, w_hh = args
        return first, (h0,), lambda x, h: LF.rnn_step(x, h, w_hh, nonlinearity)[0]
    return build


# kernel name -> (first, args) -> (xp (T, B, G), initial state, step(xp_t, *state) -> state)
_STEPS: dict[str, Callable] = {
    "lstm": _lstm, "layernorm": _layernorm, "multiplicative": _multiplicative, "gru": _gru,
    "rnn_tanh": _rnn("tanh"), "rnn_relu": _rnn("relu"),
}


def recurrence(kernel: str, first: Tensor, args: tuple, lengths: Tensor | None
               ) -> tuple[Tensor, tuple[Tensor, ...]]:
    """``(hs (T, B, H), final state)`` of the kernel ``kernel`` (a key of
    :data:`lstmkit.kernels.ops.SPECS`) on ``first`` and ``args``, in torch operations."""
    xp, init, step = _STEPS[kernel](first, args)
    steps = torch.arange(xp.shape[0], device=xp.device).unsqueeze(1)  # (T, 1)
    if lengths is None:
        valid = torch.ones(xp.shape[0], xp.shape[1], 1, dtype=torch.bool, device=xp.device)
    else:
        valid = (steps < lengths.to(xp.device).unsqueeze(0)).unsqueeze(-1)  # (T, B, 1)

    def combine(state, inputs):
        x_t, keep = inputs
        new = step(x_t, *state)
        new = tuple(torch.where(keep, n, s) for n, s in zip(new, state, strict=True))
        return new, new[0].clone()  # the carry and this step's h (B, H)

    init = tuple(s.clone() for s in init)  # a view of hx specialises the batch in scan
    final, hs = scan(combine, init, (xp, valid))
    return hs, tuple(final)


def lstm_step(x: Tensor, h: Tensor, c: Tensor, weights: list[Tensor]) -> list[Tensor]:
    """The ``lstm_step`` kernel (a stacked classic LSTM, one step) in torch operations:
    x (B, I), h and c (L, B, H), ``weights`` w_ih, w_hh[, b_ih, b_hh] per layer."""
    per_layer = len(weights) // h.shape[0]
    hs, cs = [], []
    for layer in range(h.shape[0]):
        w_ih, w_hh, *biases = weights[layer * per_layer: (layer + 1) * per_layer]
        xp = F.linear(x, w_ih, biases[0] + biases[1] if biases else None)  # (B, 4H)
        (h1, c1), _ = LF.lstm_step(xp, h[layer], c[layer], w_hh)
        hs.append(h1)
        cs.append(c1)
        x = h1
    return [torch.stack(hs), torch.stack(cs)]  # L x (B, H) -> (L, B, H)

"""Autograd functions over the fused C++ kernels, one spec per cell.

A kernel runs one direction of one layer from the input projection ``xp`` (T, B, G)
(computed by ``cell.project_input`` in one GEMM for all steps, so autograd handles the
gradients of ``W_ih``, the biases and the input), or, for the classic, peephole and
layer-norm LSTMs, from the input itself (the kernel projects each step in its loop and
returns the gradients of the input, ``W_ih`` and the biases). Forward returns the hidden state after
every step ``hs`` (T, B, H) and the final state; backward runs the reverse sweep in C++
and returns the gradient of ``xp`` and of every recurrent tensor, the weight gradients
computed as one GEMM over all steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.autograd.function import Function, once_differentiable


def _ops():
    return torch.ops.lstmkit


@dataclass(frozen=True)
class KernelSpec:
    """How one cell maps onto its C++ kernels.

    ``forward(first, args, lengths, save)`` returns ``[hs, (cs,) *saved]``: the state
    tensors after every step (``num_states`` of them), then what backward needs. ``first``
    is the input projection ``xp`` (T, B, G), or with ``projects_input`` the input ``x``
    (T, B, I) itself (the kernel then computes ``W_ih x + b`` step by step).
    ``backward(grads, args, lengths, outputs, first, need_first)`` returns the gradient of
    ``first`` and of every element of ``args``; ``grads`` = (d hs, d final states...).
    """

    forward: Callable[..., list[Tensor]]
    backward: Callable[..., list[Tensor | None]]
    num_states: int
    saves_first: bool = False
    projects_input: bool = False


SPECS: dict[str, KernelSpec] = {
    "lstm": KernelSpec(
        lambda x, a, lens, save: _ops().lstm_forward(x, *a, lens, save),
        lambda g, a, lens, out, x, need: _ops().lstm_backward(*g, x, *a, lens, *out, need),
        2, saves_first=True, projects_input=True),
    "layernorm": KernelSpec(
        lambda x, a, lens, save: _ops().layernorm_lstm_forward(x, *a, lens, save),
        lambda g, a, lens, out, x, need: _ops().layernorm_lstm_backward(*g, x, *a, lens, *out,
                                                                        need),
        2, saves_first=True, projects_input=True),
    "multiplicative": KernelSpec(
        lambda xp, a, lens, save: _ops().mlstm_forward(xp, *a, lens, save),
        lambda g, a, lens, out, xp, need: _ops().mlstm_backward(*g, xp, *a, lens, *out), 2,
        saves_first=True),
    "gru": KernelSpec(
        lambda xp, a, lens, save: _ops().gru_forward(xp, *a, lens, save),
        lambda g, a, lens, out, xp, need: _ops().gru_backward(*g, *a, lens, *out), 1),
    "rnn_tanh": KernelSpec(
        lambda xp, a, lens, save: _ops().rnn_forward(xp, *a, False, lens),
        lambda g, a, lens, out, xp, need: _ops().rnn_backward(*g, *a, False, lens, *out), 1),
    "rnn_relu": KernelSpec(
        lambda xp, a, lens, save: _ops().rnn_forward(xp, *a, True, lens),
        lambda g, a, lens, out, xp, need: _ops().rnn_backward(*g, *a, True, lens, *out), 1),
}


class FusedRecurrence(Function):
    """One direction of one layer through a fused kernel, differentiable."""

    @staticmethod
    def forward(ctx, spec: KernelSpec, lengths: Tensor | None, first: Tensor, *args):
        outputs = spec.forward(first, args, lengths, True)
        states = outputs[: spec.num_states]
        ctx.spec, ctx.lengths, ctx.num_args = spec, lengths, len(args)
        ctx.save_for_backward(first if spec.saves_first else None, *args, *outputs)
        return (states[0], *(s[-1].clone() for s in states))  # hs (T, B, H), finals (B, ·)

    @staticmethod
    @once_differentiable
    def backward(ctx, d_hs: Tensor, *d_finals: Tensor):
        first, *saved = ctx.saved_tensors
        args, outputs = saved[: ctx.num_args], saved[ctx.num_args:]
        grads = ctx.spec.backward((d_hs, *d_finals), args, ctx.lengths, outputs, first,
                                  ctx.needs_input_grad[2])
        return (None, None, *grads)


def run(spec: KernelSpec, first: Tensor, args: tuple, lengths: Tensor | None
        ) -> tuple[Tensor, tuple[Tensor, ...]]:
    """Run a kernel on ``first`` (see :class:`KernelSpec`); returns the hidden state after
    every step (T, B, H) and the final state. Builds the autograd graph only when a
    gradient is needed."""
    if torch.is_grad_enabled() and (first.requires_grad or any(
            isinstance(a, Tensor) and a.requires_grad for a in args)):
        hs, *finals = FusedRecurrence.apply(spec, lengths, first, *args)
        return hs, tuple(finals)
    states = spec.forward(first, args, lengths, False)[: spec.num_states]
    return states[0], tuple(s[-1] for s in states)

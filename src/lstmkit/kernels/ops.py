"""Autograd functions over the fused C++ kernels, one spec per cell.

A kernel runs one direction of one layer from the input projection ``xp`` (T, B, G)
(computed by ``cell.project_input`` in one GEMM for all steps, so autograd handles the
gradients of ``W_ih``, the biases and the input), or, for the classic, peephole and
layer-norm LSTMs, from the input itself (the kernel projects each step in its loop and
returns the gradients of the input, ``W_ih`` and the biases). Forward returns the hidden state after
every step ``hs`` (T, B, H) and the final state; backward runs the reverse sweep in C++
and returns the gradient of ``xp`` and of every recurrent tensor, the weight gradients
computed as one GEMM over all steps.

Eager code calls the C++ ops directly (through :class:`FusedRecurrence` when a gradient is
needed). Under ``torch.compile`` and ``torch.export`` the same kernels run as the custom
ops ``lstmkit::recurrence``, ``lstmkit::recurrence_backward`` and ``lstmkit::lstm_step_op``,
registered through ``torch.library`` with fake (meta) implementations and an autograd
formula, so the tracers see one opaque node per direction and layer. Eager code does not
take that route because a Python-implemented op costs 20-50 us more per call on this CPU,
as much as a small kernel call itself; ``tests/kernels/test_library.py`` checks the two
routes agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.autograd.function import Function, once_differentiable

from . import portable


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
    ``saved(T, K, B, H)`` gives the shapes of the forward's outputs after ``hs`` (``K`` is
    T with ``save``, else 1), for the fake (meta) implementation of ``lstmkit::recurrence``.
    """

    name: str
    forward: Callable[..., list[Tensor]]
    backward: Callable[..., list[Tensor | None]]
    num_states: int
    saved: Callable[..., tuple[tuple[int, ...], ...]] = lambda t, k, b, h: ()
    saves_first: bool = False
    projects_input: bool = False


SPECS: dict[str, KernelSpec] = {
    "lstm": KernelSpec(
        "lstm",
        lambda x, a, lens, save: _ops().lstm_forward(x, *a, lens, save),
        lambda g, a, lens, out, x, need: _ops().lstm_backward(*g, x, *a, lens, *out, need),
        2, lambda t, k, b, h: ((k, b, h), (k, b, 4 * h)),  # cs, gates
        saves_first=True, projects_input=True),
    "layernorm": KernelSpec(
        "layernorm",
        lambda x, a, lens, save: _ops().layernorm_lstm_forward(x, *a, lens, save),
        lambda g, a, lens, out, x, need: _ops().layernorm_lstm_backward(*g, x, *a, lens, *out,
                                                                        need),
        2, lambda t, k, b, h: ((t, b, h), (k, b, 4 * h), (k, b, 4 * h), (k, b, 4 * h),
                               (k, b, h), (k, b, 3)),  # cs, gates, xhat, rhat, chat, rstd
        saves_first=True, projects_input=True),
    "multiplicative": KernelSpec(
        "multiplicative",
        lambda xp, a, lens, save: _ops().mlstm_forward(xp, *a, lens, save),
        lambda g, a, lens, out, xp, need: _ops().mlstm_backward(*g, xp, *a, lens, *out), 2,
        lambda t, k, b, h: ((t, b, h), (k, b, 4 * h), (k, b, h), (k, b, h)),  # cs, gates, hm, m
        saves_first=True),
    "gru": KernelSpec(
        "gru",
        lambda xp, a, lens, save: _ops().gru_forward(xp, *a, lens, save),
        lambda g, a, lens, out, xp, need: _ops().gru_backward(*g, *a, lens, *out), 1,
        lambda t, k, b, h: ((k, b, 4 * h),)),  # gates
    "rnn_tanh": KernelSpec(
        "rnn_tanh",
        lambda xp, a, lens, save: _ops().rnn_forward(xp, *a, False, lens),
        lambda g, a, lens, out, xp, need: _ops().rnn_backward(*g, *a, False, lens, *out), 1),
    "rnn_relu": KernelSpec(
        "rnn_relu",
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
    gradient is needed; under ``torch.compile``/``torch.export`` runs the custom op, and
    inside :func:`~lstmkit.kernels.portable.portable_ops` plain torch operations."""
    if portable.active():  # plain torch operations for a graph that runs without lstmkit
        return portable.recurrence(spec.name, first, args, lengths)
    grad = torch.is_grad_enabled() and (first.requires_grad or any(
        isinstance(a, Tensor) and a.requires_grad for a in args))
    if torch.compiler.is_compiling():
        outs = _call(spec, first, args, lengths, grad)
        return outs[0], tuple(outs[1: 1 + spec.num_states])
    if grad:
        hs, *finals = FusedRecurrence.apply(spec, lengths, first, *args)
        return hs, tuple(finals)
    states = spec.forward(first, args, lengths, False)[: spec.num_states]
    return states[0], tuple(s[-1] for s in states)


def lstm_step(x: Tensor, h: Tensor, c: Tensor, weights: list[Tensor]) -> list[Tensor]:
    """One step of a stacked classic LSTM for inference: ``[h1, c1]`` (L, B, H) each; under
    ``torch.compile``/``torch.export`` through the custom op ``lstmkit::lstm_step_op``."""
    if portable.active():
        return portable.lstm_step(x, h, c, weights)
    if torch.compiler.is_compiling():
        return torch.ops.lstmkit.lstm_step_op(x, h, c, weights)
    return _ops().lstm_step(x, h, c, weights)


# -- torch.library registrations: what the tracers of compile and export see ----------------
# The optional kernel arguments travel as the present tensors ``args`` and a mask
# ``present``: torch.library differentiates a list of tensors, not one that holds None.
def _call(spec: KernelSpec, first: Tensor, args: tuple, lengths: Tensor | None,
          save: bool) -> list[Tensor]:
    present = [a is not None for a in args]
    tensors = [a for a in args if a is not None]
    return torch.ops.lstmkit.recurrence(spec.name, first, tensors, present, lengths, save)


def _full(args: Sequence[Tensor], present: Sequence[bool]) -> list[Tensor | None]:
    it = iter(args)
    return [next(it) if p else None for p in present]


# Defined through torch.library.Library rather than torch.library.custom_op, which would
# import dynamo with lstmkit (seconds of import time for every user).
_LIB = torch.library.Library("lstmkit", "FRAGMENT")
_LIB.define("recurrence(str kernel, Tensor first, Tensor[] args, bool[] present, "
            "Tensor? lengths, bool save) -> Tensor[]")
_LIB.define("recurrence_backward(str kernel, Tensor[] grads, Tensor[] args, bool[] present, "
            "Tensor? lengths, Tensor[] saved, Tensor first, bool need_first) -> Tensor[]")
_LIB.define("lstm_step_op(Tensor x, Tensor h, Tensor c, Tensor[] weights) -> Tensor[]")


def _recurrence(kernel: str, first: Tensor, args: list[Tensor], present: list[bool],
                lengths: Tensor | None, save: bool) -> list[Tensor]:
    """``[hs, *final states, *saved]`` of one direction of one layer."""
    spec = SPECS[kernel]
    outputs = spec.forward(first, _full(args, present), lengths, save)
    finals = [s[-1].clone() for s in outputs[: spec.num_states]]  # (T, B, H) -> (B, H)
    saved = [o if o.is_contiguous() and o.storage_offset() == 0 else o.clone()  # as the fake
             for o in outputs[1:]]
    return [outputs[0], *finals, *saved]


@torch.library.register_fake("lstmkit::recurrence", lib=_LIB)
def _recurrence_fake(kernel, first, args, present, lengths, save):
    spec = SPECS[kernel]
    steps, batch = first.shape[0], first.shape[1]
    hidden = _full(args, present)[{"lstm": 3, "layernorm": 4}.get(kernel, 0)].shape[-1]  # c0
    hs = first.new_empty(steps, batch, hidden)  # (T, B, H)
    finals = [first.new_empty(batch, hidden) for _ in range(spec.num_states)]
    saved = spec.saved(steps, steps if save else 1, batch, hidden)
    return [hs, *finals, *(first.new_empty(shape) for shape in saved)]


def _setup(ctx, inputs, output) -> None:
    kernel, first, args, present, lengths, _ = inputs
    spec = SPECS[kernel]
    ctx.spec, ctx.lengths, ctx.present, ctx.num_args = spec, lengths, present, len(args)
    ctx.save_for_backward(first, *args, output[0], *output[1 + spec.num_states:])


def _backward(ctx, grads):
    spec = ctx.spec
    first, *rest = ctx.saved_tensors
    args, saved = rest[: ctx.num_args], rest[ctx.num_args:]
    hs = saved[0]  # autograd leaves out the gradients of unused outputs: zeros
    head = [grads[0] if grads[0] is not None else torch.zeros_like(hs)]
    head += [g if g is not None else hs.new_zeros(hs.shape[1:])
             for g in grads[1: 1 + spec.num_states]]
    need_first = ctx.needs_input_grad[1]
    out = torch.ops.lstmkit.recurrence_backward(spec.name, head, args, ctx.present,
                                                ctx.lengths, saved, first, need_first)
    grad_args = [g if need else None for g, need in zip(out[1:], ctx.needs_input_grad[2],
                                                        strict=True)]
    return None, (out[0] if need_first else None), grad_args, None, None, None


_LIB.impl("recurrence", _recurrence, "CPU")
torch.library.register_autograd("lstmkit::recurrence", _backward, setup_context=_setup,
                                lib=_LIB)


def _recurrence_backward(kernel: str, grads: list[Tensor], args: list[Tensor],
                         present: list[bool], lengths: Tensor | None, saved: list[Tensor],
                         first: Tensor, need_first: bool) -> list[Tensor]:
    """The gradients of ``first`` and of every present element of ``args`` (an empty
    tensor for the input's gradient when ``need_first`` is False)."""
    full = _full(args, present)
    out = SPECS[kernel].backward([g.contiguous() for g in grads], full, lengths, saved, first,
                                 need_first)
    grad_first = out[0] if out[0] is not None else first.new_empty(0)
    grads = [grad_first, *(g for g, a in zip(out[1:], full, strict=True) if a is not None)]
    return [g.contiguous() for g in grads]  # the fake's strides (weight grads come as W^T)


@torch.library.register_fake("lstmkit::recurrence_backward", lib=_LIB)
def _recurrence_backward_fake(kernel, grads, args, present, lengths, saved, first,
                              need_first):
    projects = SPECS[kernel].projects_input
    grad_first = first.new_empty(first.shape if need_first or not projects else (0,))
    return [grad_first, *(a.new_empty(a.shape) for a in args)]


def _lstm_step_op(x: Tensor, h: Tensor, c: Tensor, weights: list[Tensor]) -> list[Tensor]:
    """One inference step of a stacked classic LSTM: ``[h1, c1]``."""
    return list(_ops().lstm_step(x, h, c, weights))


@torch.library.register_fake("lstmkit::lstm_step_op", lib=_LIB)
def _lstm_step_fake(x, h, c, weights):
    return [h.new_empty(h.shape), c.new_empty(c.shape)]


_LIB.impl("recurrence_backward", _recurrence_backward, "CPU")
_LIB.impl("lstm_step_op", _lstm_step_op, "CPU")

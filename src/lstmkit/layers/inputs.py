"""Turning what a user hands a layer (padded tensors, PackedSequence, lengths, hx) into
the time-major tensors the runner works on, with errors that name the problem."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from ..validation import check_tensor, shape_text


@dataclass
class PreparedInput:
    """A time-major batch ``x`` (T, B, I) and how to give results back in the caller's form."""

    x: Tensor
    lengths: Tensor | None
    unbatched: bool = False
    packed: PackedSequence | None = None


def prepare_input(owner: str, input, *, input_size: int, batch_first: bool, dtype: torch.dtype,
                  lengths=None) -> PreparedInput:
    """Validate ``input`` and return it time-major, with validated ``lengths``."""
    if isinstance(input, PackedSequence):
        if lengths is not None:
            raise ValueError(f"{owner}: lengths= cannot be combined with a PackedSequence, "
                             "which carries its own lengths")
        check_tensor(owner, "input", input.data, dtype)
        x, lens = pad_packed_sequence(input)  # (T, B, I) in the original batch order
        _check_features(owner, x, input_size, "(T, B, {})")
        return PreparedInput(x, lens, packed=input)
    check_tensor(owner, "input", input, dtype)
    layout = "(B, T, {})" if batch_first else "(T, B, {})"
    if input.dim() not in (2, 3):
        raise ValueError(f"{owner}: expected input of shape {layout.format(input_size)} or "
                         f"(T, {input_size}), got {shape_text(tuple(input.shape))}")
    unbatched = input.dim() == 2
    if unbatched:
        _check_features(owner, input, input_size, "(T, {})")
        x = input.unsqueeze(1)  # (T, I) -> (T, 1, I)
    else:
        _check_features(owner, input, input_size, layout)
        x = input.transpose(0, 1) if batch_first else input  # (B, T, I) -> (T, B, I)
    if x.shape[0] == 0:  # torch: "Expected sequence length to be larger than 0 in RNN"
        raise ValueError(f"{owner}: expected a sequence of at least one step (T >= 1), got "
                         f"input of shape {shape_text(tuple(input.shape))}")
    lens = None if lengths is None else check_lengths(owner, lengths, x.shape[1], x.shape[0])
    return PreparedInput(x, lens, unbatched=unbatched)


def _check_features(owner: str, x: Tensor, input_size: int, layout: str) -> None:
    if x.shape[-1] != input_size:
        raise ValueError(f"{owner}: expected input of shape {layout.format(input_size)}, "
                         f"got {shape_text(tuple(x.shape))}")


def check_lengths(owner: str, lengths, batch: int, steps: int) -> Tensor:
    """A (B,) int64 CPU tensor with every length in [1, T]."""
    lens = torch.as_tensor(lengths)
    if lens.numel() == 0 and not isinstance(lengths, Tensor):  # [] (B = 0) comes as float32
        lens = lens.to(torch.int64)
    if lens.dtype.is_floating_point or lens.dtype == torch.bool or lens.dim() != 1:
        raise ValueError(f"{owner}: expected lengths as a 1-D integer tensor of size {batch}, "
                         f"got {lens.dtype} of shape {shape_text(tuple(lens.shape))}")
    if lens.numel() != batch:
        raise ValueError(f"{owner}: expected {batch} lengths (one per sequence), "
                         f"got {lens.numel()}")
    if torch.compiler.is_compiling():  # a traced graph cannot branch on values; the kernels
        return lens.to(torch.int64).cpu()  # read at most T steps whatever a length says
    bad = ((lens < 1) | (lens > steps)).nonzero()
    if bad.numel():
        b = int(bad[0])
        raise ValueError(f"{owner}: expected lengths in [1, {steps}], got {int(lens[b])} "
                         f"at batch index {b}")
    return lens.to(torch.int64).cpu()


def prepare_state(owner: str, hx, *, state_sizes: tuple[int, ...], num_states: int,
                  batch: int, unbatched: bool, dtype: torch.dtype) -> list[Tensor] | None:
    """Validate ``hx`` against the (L*D, B, S) layout; returns one tensor per state part."""
    if hx is None:
        return None
    parts = (hx,) if isinstance(hx, Tensor) else tuple(hx)
    if len(parts) != len(state_sizes):
        raise ValueError(f"{owner}: expected hx as {len(state_sizes)} tensor(s), "
                         f"got {len(parts)}")
    out = []
    for k, (s, width) in enumerate(zip(parts, state_sizes, strict=True)):
        label = "hx" if len(parts) == 1 else f"hx[{k}]"
        check_tensor(owner, label, s, dtype)
        expected = (num_states, width) if unbatched else (num_states, batch, width)
        if tuple(s.shape) != expected:
            raise ValueError(f"{owner}: expected {label} of shape {shape_text(expected)}, "
                             f"got {shape_text(tuple(s.shape))}")
        out.append(s.unsqueeze(1) if unbatched else s)  # (L*D, S) -> (L*D, 1, S)
    return out

"""Run one cell over time in one direction: the reference path every fast path must match.

Everything here is time-major: x (T, B, I), outputs (T, B, O), state tensors (B, S).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..cells.base import RecurrentCell, State
from .regularizers import zoneout


@dataclass
class DirectionResult:
    """Outputs (T, B, O) of one direction, its final state, and its trace if asked for:
    ``gates``/``states`` map names to (T, B, H) tensors in original time order."""

    output: Tensor
    state: State
    gates: dict[str, Tensor] | None = None
    states: dict[str, Tensor] | None = None


def reverse_padded(x: Tensor, lengths: Tensor | None) -> Tensor:
    """Reverse each sequence of a time-major batch within its own length.

    Padding (steps at or past a sequence's length) stays in place, so that the reverse
    direction starts at each sequence's last valid step. It is its own inverse.
    """
    if lengths is None:
        return x.flip(0)
    steps = torch.arange(x.shape[0], device=x.device).unsqueeze(1)  # (T, 1)
    lens = lengths.to(x.device).unsqueeze(0)  # (1, B)
    index = torch.where(steps < lens, lens - 1 - steps, steps)  # (T, B)
    index = index.view(*index.shape, *([1] * (x.dim() - 2))).expand_as(x)
    return x.gather(0, index)


def valid_mask(lengths: Tensor, steps: int, device) -> Tensor:
    """(T, B, 1) bool: True where step t is inside sequence b."""
    t = torch.arange(steps, device=device).unsqueeze(1)  # (T, 1)
    return (t < lengths.to(device).unsqueeze(0)).unsqueeze(-1)  # (T, B) -> (T, B, 1)


def run_direction(
    cell: RecurrentCell,
    x: Tensor,
    state: State,
    weights: dict[str, Tensor],
    *,
    lengths: Tensor | None = None,
    reverse: bool = False,
    zoneout_rates: tuple[float, ...] | None = None,
    training: bool = False,
    trace: bool = False,
) -> DirectionResult:
    """Run ``cell`` over the time-major sequence ``x`` (T, B, I) from ``state``.

    With ``lengths`` (B,), outputs past a sequence's length are zero and its state stops
    at its last valid step. With ``reverse``, each sequence is read backwards from its
    last valid step; outputs come back in the original time order. An empty sequence
    (T = 0) gives an empty output and leaves the state as it came.
    """
    if x.shape[0] == 0:
        return _no_steps(cell, x, state, trace)
    if reverse:
        x = reverse_padded(x, lengths)
    xp = cell.project_input(x, weights)  # (T, B, I) -> (T, B, G): one GEMM for all steps
    mask = valid_mask(lengths, x.shape[0], x.device) if lengths is not None else None
    outputs, gate_steps, state_steps = [], [], []
    for t in range(x.shape[0]):
        new_state, gates = cell.step(xp[t], state, weights)
        if zoneout_rates is not None:
            new_state = zoneout(new_state, state, zoneout_rates, training)
        if mask is not None:
            new_state = tuple(torch.where(mask[t], n, s) for n, s in zip(new_state, state,
                                                                           strict=True))
            outputs.append(new_state[0] * mask[t])
            gates = {k: g * mask[t] for k, g in gates.items()}
        else:
            outputs.append(new_state[0])
        state = new_state
        if trace:
            gate_steps.append(gates)
            state_steps.append(new_state)
    output = torch.stack(outputs)  # T x (B, O) -> (T, B, O)
    if reverse:
        output = reverse_padded(output, lengths)
    result = DirectionResult(output, state)
    if trace:
        result.gates = _stack_steps(gate_steps, cell.gate_names, lengths, reverse)
        names = ("h", "c")[: cell.state_size] if cell.state_size <= 2 else tuple(
            f"s{k}" for k in range(cell.state_size))
        result.states = _stack_steps([dict(zip(names, s, strict=True)) for s in state_steps],
                                     names, lengths, reverse)
    return result


def _no_steps(cell: RecurrentCell, x: Tensor, state: State, trace: bool) -> DirectionResult:
    """The result of zero steps: output (0, B, O), the state unchanged."""
    output = x.new_zeros(0, x.shape[1], state[0].shape[-1])  # (0, B, O)
    result = DirectionResult(output, state)
    if trace:
        empty = output.new_zeros(0, x.shape[1], cell.hidden_size)  # (0, B, H)
        result.gates = {name: empty for name in cell.gate_names}
        names = ("h", "c")[: cell.state_size] if cell.state_size <= 2 else tuple(
            f"s{k}" for k in range(cell.state_size))
        result.states = {name: empty for name in names}
    return result


def _stack_steps(steps: list[dict[str, Tensor]], names, lengths, reverse) -> dict[str, Tensor]:
    stacked = {}
    for name in names:
        if name in steps[0]:
            seq = torch.stack([s[name] for s in steps])  # T x (B, H) -> (T, B, H)
            stacked[name] = reverse_padded(seq, lengths) if reverse else seq
    return stacked

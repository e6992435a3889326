"""torch's own fused recurrent op for the classic cells, where lstmkit's kernels do not apply.

``torch.nn.LSTM``, ``GRU`` and ``RNN`` call ``torch._VF.lstm`` / ``gru`` / ``rnn_tanh`` /
``rnn_relu``: cuDNN on CUDA, oneDNN or ATen's loop on the CPU. For the cells whose
equations are exactly torch's (:class:`~lstmkit.cells.LSTMCell`, with or without
``proj_size``, :class:`~lstmkit.cells.GRUCell`, :class:`~lstmkit.cells.RNNCell`) a layer
runs one direction of one layer through that op, with the layer's own (possibly
parametrized or DropConnect-ed) weights, whenever lstmkit's C++ kernels do not apply:
on CUDA and other devices, with a projection, or with the kernels off. The other cells
have no such op and run the reference path there.

``PREFERENCE`` is a private switch for tests: ``"fallback"`` (the default: only where
lstmkit's kernels do not apply), ``"first"`` (before lstmkit's kernels, to test this path on
the CPU) or ``"off"`` (never).
"""

from __future__ import annotations

import torch
from torch import _VF, Tensor
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from ..cells import GRUCell, LSTMCell, RNNCell
from ..cells.base import RecurrentCell, State
from .direction import DirectionResult, reverse_padded

PREFERENCE = "fallback"
CPU_DTYPES = (torch.float32, torch.float64)


def _op(cell: RecurrentCell):
    kind = type(cell)  # exactly these classes: a subclass may change the equations
    if kind is LSTMCell:
        return _VF.lstm
    if kind is GRUCell:
        return _VF.gru
    if kind is RNNCell:
        return _VF.rnn_tanh if cell.nonlinearity == "tanh" else _VF.rnn_relu
    return None


def _flat_weights(cell: RecurrentCell, weights: dict[str, Tensor]) -> list[Tensor]:
    """torch's per-layer weight list: w_ih, w_hh[, b_ih, b_hh][, w_hr]."""
    names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if cell.bias else [])
    if getattr(cell, "proj_size", 0):
        names.append("weight_hr")
    return [weights[name] for name in names]


def torch_run_direction(cell: RecurrentCell, x: Tensor, state: State,
                        weights: dict[str, Tensor], *, lengths: Tensor | None = None,
                        reverse: bool = False) -> DirectionResult | None:
    """Same contract as :func:`~lstmkit.layers.direction.run_direction` (without trace
    and zoneout), through torch's fused op; None when the op does not apply."""
    op = _op(cell)
    if op is None or (x.device.type == "cpu" and x.dtype not in CPU_DTYPES):
        return None
    flat = _flat_weights(cell, weights)
    if any(w.dtype != x.dtype or w.device != x.device for w in flat):
        return None
    if lengths is not None and (x.shape[1] == 0 or torch.compiler.is_compiling()):
        return None  # packing reads the lengths' values: the reference path traces
    if reverse:
        x = reverse_padded(x, lengths)
    hx = tuple(s.unsqueeze(0) for s in state)  # S x (B, ·) -> S x (1, B, ·)
    hx = hx if len(hx) > 1 else hx[0]
    if lengths is None:
        output, *final = op(x, hx, flat, cell.bias, 1, 0.0, False, False, False)
    else:
        output, final = _run_packed(op, cell, x, hx, flat, lengths)
    if reverse:
        output = reverse_padded(output, lengths)
    return DirectionResult(output, tuple(s.squeeze(0) for s in final))  # (1, B, ·) -> (B, ·)


def _run_packed(op, cell: RecurrentCell, x: Tensor, hx, flat: list[Tensor],
                lengths: Tensor) -> tuple[Tensor, list[Tensor]]:
    """torch's op over the packed batch: each state stops at its sequence's last step;
    outputs past it are zero. Batch order in and out is the caller's."""
    packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
    order = packed.sorted_indices.to(x.device)
    sorted_hx = (tuple(s.index_select(1, order) for s in hx) if isinstance(hx, tuple)
                 else hx.index_select(1, order))
    data, *final = op(packed.data, packed.batch_sizes, sorted_hx, flat, cell.bias, 1, 0.0,
                      False, False)
    out = PackedSequence(data, packed.batch_sizes, packed.sorted_indices,
                         packed.unsorted_indices)
    output, _ = pad_packed_sequence(out, total_length=x.shape[0])  # (T, B, O), caller order
    back = packed.unsorted_indices.to(x.device)
    return output, [s.index_select(1, back) for s in final]

"""Choosing the fused kernel (:mod:`lstmkit.kernels`) for a cell, torch's own fused op
(:mod:`lstmkit.layers.torch_op`), or ``None`` for the reference path.

The kernels cover the built-in cells exactly (not subclasses, which may change the
equations), on CPU tensors of float32 or float64, without an output projection, without
zoneout in training and without a gate trace. Where they do not apply, the classic LSTM
(also with a projection), GRU and RNN run torch's fused op (cuDNN on CUDA). Everything
else runs the reference :func:`lstmkit.layers.direction.run_direction`, which also is the
oracle of the tests. The weights are whatever the layer hands in (parametrized,
DropConnect-ed): the kernels read those tensors, not the parameters.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..cells import (
    GRUCell,
    LayerNormLSTMCell,
    LSTMCell,
    MultiplicativeLSTMCell,
    PeepholeLSTMCell,
    RNNCell,
)
from ..cells.base import RecurrentCell, State
from ..kernels import build
from ..kernels.ops import SPECS, KernelSpec, lstm_step, run
from . import torch_op
from .direction import DirectionResult, reverse_padded, valid_mask

DTYPES = (torch.float32, torch.float64)


def _lstm_args(cell, state, w):
    return (w["weight_ih"], cell._input_bias(w), *state, w["weight_hh"], w.get("weight_ch"))


def _layernorm_args(cell, state, w):
    return (w["weight_ih"], w["ln_ih_weight"], cell._input_bias(w), *state, w["weight_hh"],
            w["ln_hh_weight"], w["ln_c_weight"], w["ln_c_bias"])


def _multiplicative_args(cell, state, w):
    return (*state, w["weight_mh"], w["weight_hh"])


def _gru_args(cell, state, w):
    return (*state, w["weight_hh"], w["bias_hh"][2 * cell.hidden_size:] if cell.bias else None)


def _rnn_args(cell, state, w):
    return (*state, w["weight_hh"])


# cell class -> (kernel name, the kernel's tensor arguments after xp)
_CELLS = {
    LSTMCell: ("lstm", _lstm_args),
    PeepholeLSTMCell: ("lstm", _lstm_args),
    LayerNormLSTMCell: ("layernorm", _layernorm_args),
    MultiplicativeLSTMCell: ("multiplicative", _multiplicative_args),
    GRUCell: ("gru", _gru_args),
    RNNCell: ("rnn", _rnn_args),
}


def kernel_for(cell: RecurrentCell, x: Tensor) -> KernelSpec | None:
    """The kernel that runs ``cell`` on ``x``, or None when the reference path must."""
    entry = _CELLS.get(type(cell))
    if entry is None or x.device.type != "cpu" or x.dtype not in DTYPES:
        return None
    if getattr(cell, "proj_size", 0) or not build.load():
        return None
    name = entry[0] if entry[0] != "rnn" else f"rnn_{cell.nonlinearity}"
    return SPECS[name]


def fused_run_direction(cell: RecurrentCell, x: Tensor, state: State,
                        weights: dict[str, Tensor], *, lengths: Tensor | None = None,
                        reverse: bool = False, zoneout_rates=None, training: bool = False,
                        trace: bool = False) -> DirectionResult | None:
    """Same contract as :func:`~lstmkit.layers.direction.run_direction`, through a fused
    kernel (lstmkit's, else torch's); returns None when none applies (the caller then
    runs the reference)."""
    if trace or (zoneout_rates is not None and training) or x.shape[0] == 0:
        return None  # the reference path; it also answers an empty sequence
    preference = torch_op.PREFERENCE
    if preference == "first":
        result = torch_op.torch_run_direction(cell, x, state, weights, lengths=lengths,
                                              reverse=reverse)
        if result is not None:
            return result
    spec = kernel_for(cell, x)
    if spec is None or any(w.dtype != x.dtype or w.device != x.device
                           for w in weights.values()):
        if preference == "off":
            return None
        return torch_op.torch_run_direction(cell, x, state, weights, lengths=lengths,
                                            reverse=reverse)
    if reverse:
        x = reverse_padded(x, lengths)
    if spec.projects_input:
        first = x.contiguous()
    else:
        first = cell.project_input(x, weights).contiguous()  # (T, B, I) -> (T, B, G)
    state = tuple(s.contiguous() for s in state)
    args = tuple(a.contiguous() if isinstance(a, Tensor) else a  # parametrized: any layout
                 for a in _CELLS[type(cell)][1](cell, state, weights))
    hs, final = run(spec, first, args, lengths)  # (T, B, H), S x (B, H)
    output = hs if lengths is None else hs * valid_mask(lengths, x.shape[0], x.device)
    if reverse:
        output = reverse_padded(output, lengths)
    return DirectionResult(output, final)


def fused_step(module, input: Tensor, hx) -> tuple[Tensor, tuple[Tensor, Tensor]] | None:
    """One streaming step of a stacked classic LSTM in a single kernel call, or None.

    For inference only (no gradient, no active regulariser); any input the fast path does
    not recognise goes to the full path, which also raises the errors.
    """
    if torch.is_grad_enabled() or not isinstance(input, Tensor) or input.dtype not in DTYPES:
        return None
    cells = module.cells
    if (input.device.type != "cpu" or any(type(c) is not LSTMCell or c.proj_size for c in cells)
            or (module.training and _regularised(module)) or not build.load()):
        return None
    unbatched = input.dim() == 1
    x = input.unsqueeze(0) if unbatched else input  # (I,) -> (1, I)
    layers, hidden = module.num_layers, module.hidden_size
    shape = (layers, x.shape[0], hidden)
    if hx is None:
        h = c = x.new_zeros(shape)
    elif isinstance(hx, tuple) and len(hx) == 2:
        h, c = (s.unsqueeze(1) for s in hx) if unbatched else hx
    else:
        return None
    weights = _step_weights(module)  # w_ih, w_hh[, b_ih, b_hh] of every layer
    if (x.dim() != 2 or x.shape[1] != module.input_size or h.shape != shape
            or c.shape != shape or any(t.dtype != x.dtype for t in (h, c, weights[0]))):
        return None
    h1, c1 = lstm_step(x.contiguous(), h.contiguous(), c.contiguous(), weights)
    if unbatched:
        return h1[-1, 0], (h1.squeeze(1), c1.squeeze(1))  # (L, 1, H) -> (H,), (L, H)
    return h1[-1], (h1, c1)


def _regularised(module) -> bool:
    return bool(module.dropout or module.input_dropout or module.output_dropout
                or module.weight_dropout or module.zoneout)


def _step_weights(module) -> list[Tensor]:
    """Every layer's weights in torch's order; parametrized ones computed (and made
    contiguous for the kernel). Plain parameters come straight from the dict: this runs
    once per streamed token."""
    params = module._parameters
    weights = [params.get(name) for name in module._flat_weights_names]
    if any(w is None for w in weights):
        weights = [getattr(module, name).contiguous() for name in module._flat_weights_names]
    return weights


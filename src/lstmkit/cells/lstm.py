"""The classic LSTM cell, and the base shared by every LSTM-family cell."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from .. import functional as LF
from ..validation import check_positive_int
from .base import RecurrentCell, State


class LSTMCellBase(RecurrentCell):
    """What all LSTM-family cells share: state ``(h, c)``, gates i, f, g, o, torch's
    ``weight_ih``/``weight_hh``/``bias_ih``/``bias_hh``, an optional output projection
    ``weight_hr`` (``proj_size``) and an optional forget-gate bias initialisation.

    Args:
        input_size: features ``I`` of ``x_t``.
        hidden_size: features ``H`` of the cell state.
        bias: if False, no ``bias_ih``/``bias_hh``.
        proj_size: if > 0, ``h_t = W_hr (o_t * tanh(c_t))`` has ``P = proj_size`` features.
        forget_bias: if given, ``reset_parameters`` sets the forget gate's ``bias_ih``
            slice to this value and its ``bias_hh`` slice to 0 (Gers et al. 2000 use 1).
    """

    state_size: ClassVar[int] = 2
    gate_names: ClassVar[tuple[str, ...]] = ("i", "f", "g", "o")

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *,
                 proj_size: int = 0, forget_bias: float | None = None,
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size)
        name = type(self).__name__
        if proj_size:
            check_positive_int(name, "proj_size", proj_size)
            if proj_size >= hidden_size:
                raise ValueError(f"{name}: expected proj_size < hidden_size ({hidden_size}), "
                                 f"got {proj_size}")
        if forget_bias is not None and not bias:
            raise ValueError(f"{name}: forget_bias needs bias=True")
        self.bias, self.proj_size, self.forget_bias = bias, proj_size, forget_bias
        factory = {"device": device, "dtype": dtype}
        four_h = 4 * hidden_size
        self.weight_ih = self._new_parameter(four_h, input_size, factory=factory)
        self.weight_hh = self._new_parameter(four_h, self._recurrent_width(), factory=factory)
        if bias:
            self.bias_ih = self._new_parameter(four_h, factory=factory)
            self.bias_hh = self._new_parameter(four_h, factory=factory)
        if proj_size:
            self.weight_hr = self._new_parameter(proj_size, hidden_size, factory=factory)
        self._create_extra_parameters(factory)
        self.reset_parameters()

    def _recurrent_width(self) -> int:
        """Width of what ``weight_hh`` reads: ``h_{t-1}``, so P (H without projection)."""
        return self.proj_size or self.hidden_size

    def _create_extra_parameters(self, factory: dict) -> None:
        """Hook for subclasses to add their own parameters."""

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if self.forget_bias is not None:
            h = self.hidden_size
            with torch.no_grad():
                self._leaf("bias_ih")[h:2 * h].fill_(self.forget_bias)
                self._leaf("bias_hh")[h:2 * h].zero_()

    def state_sizes(self) -> tuple[int, ...]:
        return (self.proj_size or self.hidden_size, self.hidden_size)

    def _input_bias(self, weights: dict[str, Tensor]) -> Tensor | None:
        return weights["bias_ih"] + weights["bias_hh"] if self.bias else None

    def project_input(self, x: Tensor, weights: dict[str, Tensor]) -> Tensor:
        return LF.linear(x, weights["weight_ih"], self._input_bias(weights))  # (..., I) -> (.., 4H)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        if not self.bias:
            s += ", bias=False"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        return s


class LSTMCell(LSTMCellBase):
    r"""Classic LSTM cell with a forget gate (Hochreiter & Schmidhuber 1997; Gers et al. 2000).

    .. math::
        i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
        f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
        g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
        o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
        h_t &= o_t \odot \tanh(c_t)

    Parameters and gate order (i, f, g, o) are torch's, so ``torch.nn.LSTMCell``'s state
    dict loads unchanged.

    Args:
        input_size, hidden_size, bias, proj_size, forget_bias: see :class:`LSTMCellBase`.

    Shape:
        - input: (B, I) or (I,); hx: ``(h_0, c_0)`` each (B, H), or None for zeros.
        - output: ``(h_1, c_1)``, each (B, H) ((B, P) for ``h`` with a projection).

    Attributes:
        weight_ih: (4H, I). weight_hh: (4H, P). bias_ih, bias_hh: (4H,).
        weight_hr: (P, H), only with ``proj_size > 0``.

    Example:
        >>> cell = LSTMCell(10, 20)
        >>> h, c = cell(torch.randn(3, 10))
        >>> h.shape, c.shape
        (torch.Size([3, 20]), torch.Size([3, 20]))
    """

    def step(self, xp: Tensor, state: State, weights: dict[str, Tensor]):
        return LF.lstm_step(xp, *state, weights["weight_hh"], weights.get("weight_hr"))

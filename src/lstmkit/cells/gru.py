"""GRU cell with torch's semantics (Cho et al. 2014)."""

from __future__ import annotations

from typing import ClassVar

from torch import Tensor

from .. import functional as LF
from .base import RecurrentCell, State


class GRUCell(RecurrentCell):
    r"""Gated recurrent unit (Cho et al. 2014), exactly as ``torch.nn.GRUCell``.

    .. math::
        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    Fewer parameters than an LSTM (3 gates, no cell state) and often as good on
    short-memory tasks.

    Args:
        input_size: features ``I`` of ``x_t``. hidden_size: features ``H``.
        bias: if False, no ``bias_ih``/``bias_hh``.

    Shape:
        input (B, I) or (I,); hx (B, H) or None. Output ``h_1`` (B, H).

    Attributes:
        weight_ih: (3H, I). weight_hh: (3H, H). bias_ih, bias_hh: (3H,), order r, z, n.

    Example:
        >>> cell = GRUCell(10, 20)
        >>> tuple(cell(torch.randn(3, 10)).shape)
        (3, 20)
    """

    gate_names: ClassVar[tuple[str, ...]] = ("r", "z", "n")
    autocast_lowers_layer: ClassVar[bool] = False  # nn.GRU answers in float32

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *,
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size)
        self.bias = bias
        factory = {"device": device, "dtype": dtype}
        self.weight_ih = self._new_parameter(3 * hidden_size, input_size, factory=factory)
        self.weight_hh = self._new_parameter(3 * hidden_size, hidden_size, factory=factory)
        if bias:
            self.bias_ih = self._new_parameter(3 * hidden_size, factory=factory)
            self.bias_hh = self._new_parameter(3 * hidden_size, factory=factory)
        self.reset_parameters()

    def project_input(self, x: Tensor, weights: dict[str, Tensor]) -> Tensor:
        bias = None
        if self.bias:  # b_hr, b_hz fold into the projection; b_hn stays inside r * (...)
            h2 = 2 * self.hidden_size
            bias = weights["bias_ih"].clone()
            bias[:h2] = bias[:h2] + weights["bias_hh"][:h2]
        return LF.linear(x, weights["weight_ih"], bias)  # (..., I) -> (..., 3H)

    def step(self, xp: Tensor, state: State, weights: dict[str, Tensor]):
        bias_hn = weights["bias_hh"][2 * self.hidden_size:] if self.bias else None
        return LF.gru_step(xp, state[0], weights["weight_hh"], bias_hn)

"""Peephole LSTM cell (Gers & Schmidhuber 2000)."""

from __future__ import annotations

from torch import Tensor

from .. import functional as LF
from .base import State
from .lstm import LSTMCellBase


class PeepholeLSTMCell(LSTMCellBase):
    r"""LSTM whose gates look at the cell state through diagonal peephole weights.

    Gers & Schmidhuber (2000), "Recurrent nets that time and count":

    .. math::
        i_t &= \sigma(W_{ii} x_t + W_{hi} h_{t-1} + p_i \odot c_{t-1} + b_i) \\
        f_t &= \sigma(W_{if} x_t + W_{hf} h_{t-1} + p_f \odot c_{t-1} + b_f) \\
        g_t &= \tanh(W_{ig} x_t + W_{hg} h_{t-1} + b_g) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
        o_t &= \sigma(W_{io} x_t + W_{ho} h_{t-1} + p_o \odot c_t + b_o) \\
        h_t &= o_t \odot \tanh(c_t)

    With all peephole weights zero it is exactly :class:`LSTMCell`. Peepholes help where
    precise timing matters (counting, spike timing); on most data they change little.

    Args:
        input_size, hidden_size, bias, proj_size, forget_bias: as :class:`LSTMCell`.

    Shape:
        As :class:`LSTMCell`.

    Attributes:
        weight_ih, weight_hh, bias_ih, bias_hh, weight_hr: as :class:`LSTMCell`.
        weight_ch: (3H,) the peepholes ``[p_i, p_f, p_o]``.

    Example:
        >>> cell = PeepholeLSTMCell(10, 20)
        >>> h, c = cell(torch.randn(3, 10))
        >>> tuple(h.shape)
        (3, 20)
    """

    def _create_extra_parameters(self, factory: dict) -> None:
        self.weight_ch = self._new_parameter(3 * self.hidden_size, factory=factory)

    def step(self, xp: Tensor, state: State, weights: dict[str, Tensor]):
        return LF.peephole_lstm_step(xp, *state, weights["weight_hh"], weights["weight_ch"],
                                     weights.get("weight_hr"))

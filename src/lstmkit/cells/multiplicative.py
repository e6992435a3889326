"""Multiplicative LSTM cell (Krause, Lu, Murray & Renals 2016)."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from .. import functional as LF
from .base import State
from .lstm import LSTMCellBase


class MultiplicativeLSTMCell(LSTMCellBase):
    r"""LSTM whose recurrent input is an input-dependent intermediate state ``m_t``.

    Krause et al. (2016), "Multiplicative LSTM for sequence modelling":

    .. math::
        m_t &= (W_{mx} x_t) \odot (W_{mh} h_{t-1}) \\
        i_t &= \sigma(W_{ii} x_t + W_{mi} m_t + b_i) \quad
        f_t = \sigma(W_{if} x_t + W_{mf} m_t + b_f) \\
        g_t &= \tanh(W_{ig} x_t + W_{mg} m_t + b_g) \quad
        o_t = \sigma(W_{io} x_t + W_{mo} m_t + b_o) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)

    Each input symbol effectively chooses its own recurrent transition matrix, which
    suits character-level language models with many distinct inputs. About 1.5x the
    FLOPs of a classic cell.

    Args:
        input_size, hidden_size, bias, proj_size, forget_bias: as :class:`LSTMCell`.

    Attributes:
        weight_ih: (4H, I). weight_hh: (4H, H), reads ``m_t`` (torch's name for the
            recurrent gate weights). bias_ih, bias_hh: (4H,). weight_mx: (H, I).
        weight_mh: (H, P). weight_hr: (P, H) with ``proj_size > 0``.

    Example:
        >>> cell = MultiplicativeLSTMCell(10, 20)
        >>> h, c = cell(torch.randn(3, 10))
        >>> tuple(h.shape)
        (3, 20)
    """

    gate_names: ClassVar[tuple[str, ...]] = ("m", "i", "f", "g", "o")
    recurrent_weight_names: ClassVar[tuple[str, ...]] = ("weight_mh", "weight_hh")

    def _recurrent_width(self) -> int:
        return self.hidden_size  # weight_hh reads m_t (H), not h_{t-1}

    def _create_extra_parameters(self, factory: dict) -> None:
        h = self.hidden_size
        self.weight_mx = self._new_parameter(h, self.input_size, factory=factory)
        self.weight_mh = self._new_parameter(h, self.proj_size or h, factory=factory)

    def project_input(self, x: Tensor, weights: dict[str, Tensor]) -> Tensor:
        weight = torch.cat([weights["weight_ih"], weights["weight_mx"]])  # (5H, I)
        bias = self._input_bias(weights)
        if bias is not None:
            bias = torch.cat([bias, bias.new_zeros(self.hidden_size)])
        return LF.linear(x, weight, bias)  # (..., I) -> (..., 5H)

    def step(self, xp: Tensor, state: State, weights: dict[str, Tensor]):
        return LF.multiplicative_lstm_step(xp, *state, weights["weight_mh"],
                                           weights["weight_hh"], weights.get("weight_hr"))

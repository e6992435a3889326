"""Layer-normalised LSTM cell (Ba, Kiros & Hinton 2016)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .. import functional as LF
from .base import State
from .lstm import LSTMCellBase


class LayerNormLSTMCell(LSTMCellBase):
    r"""LSTM with layer normalisation of the pre-activations and of the cell state.

    Ba, Kiros & Hinton (2016), "Layer Normalization", section 3.1 and appendix:

    .. math::
        (i, f, g, o)_t &= \mathrm{LN}(W_{ih} x_t; \gamma_{ih})
                         + \mathrm{LN}(W_{hh} h_{t-1}; \gamma_{hh}) + b_{ih} + b_{hh} \\
        c_t &= \sigma(f_t) \odot c_{t-1} + \sigma(i_t) \odot \tanh(g_t) \\
        h_t &= \sigma(o_t) \odot \tanh(\mathrm{LN}(c_t; \gamma_c, \beta_c))

    Where exactly: ``LN`` normalises over the last dimension with eps 1e-5. The input
    and the recurrent projections are each normalised over all ``4H`` pre-activations
    together (one mean and variance per sample, not per gate), with a gain and no shift
    (``b_ih + b_hh`` is the shift). The cell state is normalised with gain and shift only
    on its way into the output ``tanh``; the state carried to the next step is the raw
    ``c_t``. A projection (``proj_size``) applies after the output gate.

    Layer norm steadies training of deep or long-sequence models and makes them less
    sensitive to the learning rate, at about 1.3x the cost of a classic cell.

    Args:
        input_size, hidden_size, bias, proj_size, forget_bias: as :class:`LSTMCell`.

    Attributes:
        weight_ih, weight_hh, bias_ih, bias_hh, weight_hr: as :class:`LSTMCell`.
        ln_ih_weight, ln_hh_weight: (4H,) gains, initialised to 1.
        ln_c_weight, ln_c_bias: (H,) gain (1) and shift (0) of the cell-state norm.

    Example:
        >>> cell = LayerNormLSTMCell(10, 20)
        >>> h, c = cell(torch.randn(3, 10))
        >>> tuple(c.shape)
        (3, 20)
    """

    def _create_extra_parameters(self, factory: dict) -> None:
        four_h, h = 4 * self.hidden_size, self.hidden_size
        self.ln_ih_weight = self._new_parameter(four_h, factory=factory)
        self.ln_hh_weight = self._new_parameter(four_h, factory=factory)
        self.ln_c_weight = self._new_parameter(h, factory=factory)
        self.ln_c_bias = self._new_parameter(h, factory=factory)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        with torch.no_grad():
            for gain in ("ln_ih_weight", "ln_hh_weight", "ln_c_weight"):
                nn.init.ones_(self._leaf(gain))
            nn.init.zeros_(self._leaf("ln_c_bias"))

    def project_input(self, x: Tensor, weights: dict[str, Tensor]) -> Tensor:
        xp = LF.layer_norm(LF.linear(x, weights["weight_ih"]), weights["ln_ih_weight"])  # (..., 4H)
        bias = self._input_bias(weights)
        return xp if bias is None else xp + bias

    def step(self, xp: Tensor, state: State, weights: dict[str, Tensor]):
        return LF.layernorm_lstm_step(
            xp, *state, weights["weight_hh"], weights["ln_hh_weight"],
            weights["ln_c_weight"], weights["ln_c_bias"], weights.get("weight_hr"))

"""Plain (Elman) RNN cell."""

from __future__ import annotations

from typing import ClassVar

from torch import Tensor

from .. import functional as LF
from .base import RecurrentCell, State

NONLINEARITIES = ("tanh", "relu")


class RNNCell(RecurrentCell):
    r"""Elman RNN cell, exactly as ``torch.nn.RNNCell``.

    .. math::
        h_t = \mathrm{act}(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})

    with ``act`` tanh or relu. The baseline the LSTM was invented to beat: its gradients
    vanish or explode over long time lags (see ``lstmkit demo``).

    Args:
        input_size: features ``I``. hidden_size: features ``H``.
        bias: if False, no biases. nonlinearity: ``"tanh"`` (default) or ``"relu"``.

    Attributes:
        weight_ih: (H, I). weight_hh: (H, H). bias_ih, bias_hh: (H,).

    Example:
        >>> cell = RNNCell(10, 20, nonlinearity="relu")
        >>> tuple(cell(torch.randn(3, 10)).shape)
        (3, 20)
    """

    autocast_lowers_step: ClassVar[bool] = True  # as nn.RNNCell
    autocast_lowers_packed: ClassVar[bool] = True  # as nn.RNN on a PackedSequence

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", *, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size)
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"RNNCell: expected nonlinearity one of {NONLINEARITIES}, "
                             f"got {nonlinearity!r}")
        self.bias, self.nonlinearity = bias, nonlinearity
        factory = {"device": device, "dtype": dtype}
        self.weight_ih = self._new_parameter(hidden_size, input_size, factory=factory)
        self.weight_hh = self._new_parameter(hidden_size, hidden_size, factory=factory)
        if bias:
            self.bias_ih = self._new_parameter(hidden_size, factory=factory)
            self.bias_hh = self._new_parameter(hidden_size, factory=factory)
        self.reset_parameters()

    def project_input(self, x: Tensor, weights: dict[str, Tensor]) -> Tensor:
        bias = weights["bias_ih"] + weights["bias_hh"] if self.bias else None
        return LF.linear(x, weights["weight_ih"], bias)  # (..., I) -> (..., H)

    def step(self, xp: Tensor, state: State, weights: dict[str, Tensor]):
        return LF.rnn_step(xp, state[0], weights["weight_hh"], self.nonlinearity)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", nonlinearity={self.nonlinearity!r}"

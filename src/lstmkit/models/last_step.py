"""``LastStepRegressor``: a recurrent encoder and a linear head on its last output."""

from __future__ import annotations

from torch import Tensor, nn

from ..layers import Recurrent


class LastStepRegressor(nn.Module):
    """A recurrent encoder of any cell and a linear head on its last step's output.

    Args:
        input_size: features I per step.
        hidden_size, num_layers: the encoder, as ``torch.nn.LSTM``.
        cell: any registered cell name.
        n_outputs: K, the values predicted per sequence.
        forget_bias: the LSTM-family forget gate's initial bias (ignored by GRU and RNN).

    Shape:
        (B, T, I) -> (B, K).

    Example:
        >>> net = LastStepRegressor(2, 8, cell="gru")
        >>> tuple(net(torch.randn(3, 5, 2)).shape)
        (3, 1)
    """

    def __init__(self, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 cell: str = "lstm", n_outputs: int = 1, forget_bias: float = 1.0) -> None:
        super().__init__()
        lstm_family = cell not in ("gru", "rnn")
        self.encoder = Recurrent(input_size, hidden_size, num_layers, batch_first=True,
                                 cell=cell, **({"forget_bias": forget_bias}
                                               if lstm_family else {}))
        self.head = nn.Linear(self.encoder.output_size, n_outputs)

    def forward(self, x: Tensor) -> Tensor:
        output, _ = self.encoder(x)  # (B, T, H)
        return self.head(output[:, -1])  # (B, H) -> (B, K)

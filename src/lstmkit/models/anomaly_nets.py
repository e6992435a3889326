"""The networks of the anomaly detectors: a next-step predictor (LSTM-DT) and an
encoder-decoder that reconstructs windows (EncDec-AD), each with any lstmkit cell."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..layers import Recurrent


def _encoder(input_size: int, hidden_size: int, num_layers: int, cell: str,
             bidirectional: bool = False, dropout: float = 0.0) -> Recurrent:
    lstm_family = cell not in ("gru", "rnn")
    return Recurrent(input_size, hidden_size, num_layers, batch_first=True, cell=cell,
                     bidirectional=bidirectional, dropout=dropout,
                     **({"forget_bias": 1.0} if lstm_family else {}))


class NextStepNet(nn.Module):
    """Predict every next step of a window: the network of the prediction-error detector
    (Malhotra et al. 2015; Hundman et al. 2018, "LSTM-DT").

    A causal (one-directional) recurrent encoder reads ``x[:, :t+1]`` and a linear head
    predicts ``x[:, t+1]`` for every t, so one pass over a window of T steps gives T
    one-step-ahead predictions.

    Args:
        input_size: channels C per step.
        hidden_size, num_layers, dropout: the encoder, as ``torch.nn.LSTM``.
        cell: any registered cell name.
        relative: read and predict every window relative to its first step
            (:meth:`offset`).

    Shape:
        (B, T, C) -> (B, T, C): output[:, t] predicts input[:, t + 1].

    Example:
        >>> net = NextStepNet(2, 8)
        >>> tuple(net(torch.randn(3, 5, 2)).shape)
        (3, 5, 2)
    """

    def __init__(self, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 cell: str = "lstm", dropout: float = 0.0, relative: bool = False) -> None:
        super().__init__()
        self.encoder = _encoder(input_size, hidden_size, num_layers, cell, dropout=dropout)
        self.head = nn.Linear(self.encoder.output_size, input_size)
        self.relative = relative

    def forward(self, x: Tensor) -> Tensor:
        return self.predict_windows(x)[0]

    def predict_windows(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Windows ``x`` (B, T, C) read from a zero state: the predictions (B, T, C) and
        the encoder's output after each step (B, T, H), relative to :meth:`offset`."""
        offset = self.offset(x[:, :1])
        output, _ = self.encoder(x - offset)
        return self.head(output) + offset, output

    def offset(self, first: Tensor) -> Tensor | float:
        """What a window starting with ``first`` (B, 1, C) or (B, C) reads relative to:
        its first step when ``relative`` (the network then sees, and predicts, each
        window's values minus its first value, so a level the series has drifted to is
        not an error), else 0. :meth:`run` and :meth:`step` take and give values
        already relative to it."""
        return first if self.relative else 0.0

    def run(self, x: Tensor, state: Tensor | tuple[Tensor, ...] | None = None
            ) -> tuple[Tensor, Tensor | tuple[Tensor, ...]]:
        """The predictions (B, T, C) and the encoder's final state, starting from
        ``state`` (None: zeros): what streaming carries from one new step to the next."""
        output, state = self.encoder(x, state)  # (B, T, H)
        return self.head(output), state  # (B, T, H) -> (B, T, C)

    def step(self, x: Tensor, state: Tensor | tuple[Tensor, ...] | None = None
             ) -> tuple[Tensor, Tensor | tuple[Tensor, ...]]:
        """One step: x (B, C) and the state in, the prediction of the next step (B, C)
        and the state out; the same as :meth:`run` step by step (the layer's streaming
        kernel where there is one)."""
        output, state = self.encoder.step(x, state)  # (B, H)
        return self.head(output), state


class WindowAutoencoder(nn.Module):
    """Reconstruct a window from its encoding: the network of the reconstruction-error
    detector (Malhotra et al. 2016, "EncDec-AD").

    The encoder reads the window; its final state (both directions concatenated when
    bidirectional) starts a decoder that reconstructs the window in reverse order, as
    in the paper. The decoder is unconditioned (its input is zeros; Srivastava et al.
    2015) rather than fed its previous output as in the paper: the whole decoder is then
    one call of the fused layer instead of T single-step calls (about 10x faster to
    train on 2 cores), and nothing of the input reaches it but the encoding.

    Args:
        input_size: channels C per step.
        hidden_size, num_layers, bidirectional, dropout: the encoder, as ``torch.nn.LSTM``;
            the decoder has ``D * hidden_size`` units per layer.
        cell: any registered cell name.

    Shape:
        (B, T, C) -> (B, T, C), the reconstruction in the input's order.

    Example:
        >>> net = WindowAutoencoder(2, 8, bidirectional=True)
        >>> tuple(net(torch.randn(3, 5, 2)).shape)
        (3, 5, 2)
    """

    def __init__(self, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 cell: str = "lstm", bidirectional: bool = False, dropout: float = 0.0
                 ) -> None:
        super().__init__()
        self.directions = 2 if bidirectional else 1
        self.encoder = _encoder(input_size, hidden_size, num_layers, cell, bidirectional,
                                dropout)
        self.decoder = _encoder(input_size, hidden_size * self.directions, num_layers, cell)
        self.head = nn.Linear(self.decoder.output_size, input_size)

    def forward(self, x: Tensor) -> Tensor:
        _, state = self.encoder(x)
        output, _ = self.decoder(torch.zeros_like(x), self._bridge(state))  # (B, T, D*H)
        return self.head(output).flip(1)  # (B, T, C), reversed back to the input's order

    def _bridge(self, state: Tensor | tuple[Tensor, ...]) -> Tensor | tuple[Tensor, ...]:
        """The encoder's final state in the decoder's layout: (L*D, B, H) -> (L, B, D*H)."""
        if isinstance(state, tuple):
            return tuple(self._bridge(s) for s in state)
        if self.directions == 1:
            return state
        layers, batch = state.shape[0] // 2, state.shape[1]
        paired = state.reshape(layers, 2, batch, -1)  # (L*D, B, H) -> (L, D, B, H)
        return torch.cat([paired[:, 0], paired[:, 1]], dim=-1)  # (L, B, D*H)

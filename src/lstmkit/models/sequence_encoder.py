"""``SequenceEncoder``: numbers or token ids per step in, one vector per sequence out.

A recurrent encoder of any lstmkit cell (stacked, bidirectional, variable lengths),
optionally behind a token embedding, followed by :class:`~lstmkit.models.pooling.
MaskedPooling`. Classification uses it whole; a tagger can use :meth:`steps` alone.
"""

from __future__ import annotations

from torch import Tensor, nn

from ..layers import Recurrent
from .pooling import MaskedPooling


class SequenceEncoder(nn.Module):
    """Embed (for tokens), run a recurrent encoder over the valid steps, pool.

    Args:
        input_size: I, features per step (ignored when ``vocab_size`` is given).
        hidden_size, num_layers, bidirectional, dropout: the recurrent encoder, as
            ``torch.nn.LSTM``.
        cell: any registered cell name.
        pooling: ``last``, ``mean``, ``max`` or ``attention``.
        vocab_size: V, for token-id input (B, T) through an embedding of
            ``embedding_dim`` features; None for numeric input (B, T, I).
        embedding_dim: features of each token's embedding.
        embedding_dropout: dropout on the token embeddings while training (0: none).

    Attributes:
        output_size: features of the pooled vector (``D * hidden_size``).

    Shape:
        x (B, T, I) float or (B, T) long, lengths (B,) -> (B, output_size).

    Example:
        >>> enc = SequenceEncoder(3, 8, bidirectional=True, pooling="max")
        >>> tuple(enc(torch.randn(2, 5, 3), torch.tensor([5, 2])).shape)
        (2, 16)
    """

    def __init__(self, input_size: int, hidden_size: int, *, num_layers: int = 1,
                 cell: str = "lstm", bidirectional: bool = False, dropout: float = 0.0,
                 pooling: str = "last", vocab_size: int | None = None,
                 embedding_dim: int = 32, embedding_dropout: float = 0.0) -> None:
        super().__init__()
        self.embedding = None if vocab_size is None else nn.Embedding(vocab_size, embedding_dim)
        self.embedding_dropout = nn.Dropout(embedding_dropout)
        size = input_size if vocab_size is None else embedding_dim
        extra = {"forget_bias": 1.0} if cell not in ("gru", "rnn") else {}
        self.recurrent = Recurrent(size, hidden_size, num_layers, batch_first=True,
                                   dropout=dropout if num_layers > 1 else 0.0,
                                   bidirectional=bidirectional, cell=cell, **extra)
        directions = 2 if bidirectional else 1
        self.output_size = directions * self.recurrent.output_size
        self.pool = MaskedPooling(pooling, self.output_size, directions=directions)

    def embed(self, x: Tensor) -> Tensor:
        """Token ids (B, T) to embeddings (B, T, E); numeric input unchanged."""
        return x if self.embedding is None else self.embedding_dropout(self.embedding(x))

    def steps(self, x: Tensor, lengths: Tensor) -> Tensor:
        """The encoder's output at every step (padded steps are zero-filled by the layer).

        Shape:
            (B, T, I) or (B, T) -> (B, T, D*H).
        """
        output, _ = self.recurrent(self.embed(x), lengths=lengths)
        return output

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        return self.pool(self.steps(x, lengths), lengths)

"""``RecurrentClassifier``: a :class:`~lstmkit.models.sequence_encoder.SequenceEncoder`
and a linear head giving class logits (the ``model = "lstm"`` network of
:class:`lstmkit.SequenceClassifier`; ``"lstm-fcn"`` is :class:`~lstmkit.models.lstm_fcn.
LSTMFCN`)."""

from __future__ import annotations

from torch import Tensor, nn

from .sequence_encoder import SequenceEncoder


class RecurrentClassifier(nn.Module):
    """Encoder (any cell, stacked, bidirectional, masked pooling), dropout, linear head.

    Args:
        input_size, hidden_size, num_layers, cell, bidirectional, pooling, vocab_size,
            embedding_dim: the :class:`SequenceEncoder`.
        n_classes: C.
        dropout: between stacked layers and on the pooled vector (and, for token ids,
            on the embeddings).

    Shape:
        x (B, T, I) or (B, T) long, lengths (B,) -> logits (B, C).

    Example:
        >>> net = RecurrentClassifier(1, 3, hidden_size=4, pooling="attention")
        >>> tuple(net(torch.randn(2, 7, 1), torch.tensor([7, 3])).shape)
        (2, 3)
    """

    def __init__(self, input_size: int, n_classes: int, *, hidden_size: int = 64,
                 num_layers: int = 1, cell: str = "lstm", bidirectional: bool = False,
                 pooling: str = "last", dropout: float = 0.0, vocab_size: int | None = None,
                 embedding_dim: int = 32) -> None:
        super().__init__()
        self.encoder = SequenceEncoder(input_size, hidden_size, num_layers=num_layers,
                                       cell=cell, bidirectional=bidirectional,
                                       dropout=dropout, pooling=pooling,
                                       vocab_size=vocab_size, embedding_dim=embedding_dim,
                                       embedding_dropout=dropout if vocab_size else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.encoder.output_size, n_classes)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        return self.head(self.dropout(self.encoder(x, lengths)))  # (B, F) -> (B, C)

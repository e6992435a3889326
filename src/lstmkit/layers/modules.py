"""``LSTM``, ``GRU`` and ``RNN``: drop-in replacements for torch's, with every cell."""

from __future__ import annotations

from .recurrent import Recurrent

LSTM_CELLS = ("lstm", "peephole", "multiplicative", "layernorm")


class LSTM(Recurrent):
    """Drop-in ``torch.nn.LSTM`` that runs any LSTM-family cell.

    Same constructor, inputs, outputs and state-dict names as ``torch.nn.LSTM``; with the
    default ``cell="lstm"`` an ``nn.LSTM`` state dict (any ``num_layers``,
    ``bidirectional``, ``proj_size``) loads unchanged and gives the same results.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
        proj_size: as ``torch.nn.LSTM``.
        cell: ``"lstm"`` (default), ``"peephole"``, ``"multiplicative"``,
            ``"layernorm"``, or a user cell (see :class:`Recurrent`).
        forget_bias: if given, the forget gate's bias starts at this value.
        input_dropout, output_dropout, weight_dropout, zoneout: see :class:`Recurrent`.

    Returns ``output, (h_n, c_n)`` exactly like torch (plus a
    :class:`~lstmkit.layers.RecurrentTrace` with ``return_gates=True``).

    Example:
        >>> lstm = LSTM(10, 20, num_layers=2, cell="peephole", bidirectional=True)
        >>> output, (h_n, c_n) = lstm(torch.randn(5, 3, 10))
        >>> tuple(output.shape), tuple(h_n.shape)
        ((5, 3, 40), (4, 3, 20))
    """

    _cell_names = LSTM_CELLS

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, *, cell="lstm",
                 forget_bias: float | None = None, **options) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, cell=cell, proj_size=proj_size,
                         forget_bias=forget_bias, **options)
        self.proj_size = proj_size


class GRU(Recurrent):
    """Drop-in ``torch.nn.GRU`` (gate order r, z, n); ``nn.GRU`` state dicts load unchanged.

    Takes torch's arguments plus the regularisers of :class:`Recurrent`; returns
    ``output, h_n``.

    Example:
        >>> gru = GRU(10, 20, batch_first=True)
        >>> output, h_n = gru(torch.randn(3, 5, 10))
        >>> tuple(output.shape), tuple(h_n.shape)
        ((3, 5, 20), (1, 3, 20))
    """

    _cell_names = ("gru",)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, **options) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, cell="gru", **options)


class RNN(Recurrent):
    """Drop-in ``torch.nn.RNN`` (Elman, tanh or relu); ``nn.RNN`` state dicts load unchanged.

    Note torch's argument order: ``nonlinearity`` comes fourth, before ``bias``.

    Example:
        >>> rnn = RNN(10, 20, 2, "relu")
        >>> output, h_n = rnn(torch.randn(5, 3, 10))
        >>> tuple(h_n.shape)
        (2, 3, 20)
    """

    _cell_names = ("rnn",)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, **options) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, cell="rnn", nonlinearity=nonlinearity, **options)
        self.nonlinearity = nonlinearity

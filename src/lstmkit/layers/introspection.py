"""What a layer records when asked for ``return_gates=True``."""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor


@dataclass(frozen=True)
class RecurrentTrace:
    """Every step's gate activations and states, for every layer and direction.

    Attributes:
        gates: gate name (``"i"``, ``"f"``, ``"g"``, ``"o"`` for LSTMs; ``"r"``, ``"z"``,
            ``"n"`` for GRU; ``"m"`` too for the multiplicative LSTM) to a tensor of
            shape (L, D, T, B, H), or (L, D, B, T, H) for a ``batch_first`` layer, in the
            original time order for both directions.
        states: ``"h"`` (and ``"c"`` for LSTMs) to the state after each step, same layout.
            ``states["h"]`` is what the layer outputs; ``states["c"]`` is the cell state.

    Steps past a sequence's length (with ``lengths=``) repeat the last valid state.
    """

    gates: dict[str, Tensor]
    states: dict[str, Tensor]

"""lstmkit: every LSTM variant behind one fast PyTorch API.

The public API, re-exported; see the submodules for the rest.
"""

from .cells import (
    GRUCell,
    LayerNormLSTMCell,
    LSTMCell,
    MultiplicativeLSTMCell,
    PeepholeLSTMCell,
    RecurrentCell,
    RNNCell,
    cell_names,
    register_cell,
)
from .layers import GRU, LSTM, RNN, Recurrent, RecurrentTrace, detach_state

__version__ = "0.1.0"

# after __version__, which the training package reads
from .tasks.forecasting import Forecaster
from .tasks.text_model import TextModel

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Forecaster",
    "GRUCell",
    "LSTMCell",
    "LayerNormLSTMCell",
    "MultiplicativeLSTMCell",
    "PeepholeLSTMCell",
    "RNNCell",
    "Recurrent",
    "RecurrentCell",
    "RecurrentTrace",
    "TextModel",
    "__version__",
    "cell_names",
    "detach_state",
    "register_cell",
]

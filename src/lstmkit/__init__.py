"""lstmkit: every LSTM variant behind one fast PyTorch API.

The public API, re-exported; see the submodules for the rest.
"""

from ._version import __version__
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

# The task estimators load pandas, scikit-learn and more: imported on first use, so that
# ``import lstmkit`` costs torch and the layers only.
_LAZY = {"Forecaster": "lstmkit.tasks.forecasting", "TextModel": "lstmkit.tasks.text",
         "SequenceRegressor": "lstmkit.tasks.adding",
         "AnomalyDetector": "lstmkit.tasks.anomaly",
         "SequenceClassifier": "lstmkit.tasks.classification",
         "SequenceTagger": "lstmkit.tasks.tagging"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lstmkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "AnomalyDetector",
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
    "SequenceClassifier",
    "SequenceRegressor",
    "SequenceTagger",
    "TextModel",
    "__version__",
    "cell_names",
    "detach_state",
    "register_cell",
]

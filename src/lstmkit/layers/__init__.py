"""Recurrent layers: run any cell over time, stacked and bidirectional."""

from .introspection import RecurrentTrace
from .layer import Recurrent
from .modules import GRU, LSTM, RNN
from .state import detach_state

__all__ = ["GRU", "LSTM", "RNN", "Recurrent", "RecurrentTrace", "detach_state"]

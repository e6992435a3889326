"""Recurrent layers: run any cell over time, stacked and bidirectional."""

from .introspection import RecurrentTrace
from .modules import GRU, LSTM, RNN
from .recurrent import Recurrent
from .state import detach_state

__all__ = ["GRU", "LSTM", "RNN", "Recurrent", "RecurrentTrace", "detach_state"]

"""Recurrent cells: one time step of each recurrence, all under one contract."""

from .base import RecurrentCell
from .gru import GRUCell
from .layernorm import LayerNormLSTMCell
from .lstm import LSTMCell, LSTMCellBase
from .multiplicative import MultiplicativeLSTMCell
from .peephole import PeepholeLSTMCell
from .registry import cell_names, get_cell, register_cell
from .rnn import RNNCell

__all__ = [
    "GRUCell",
    "LSTMCell",
    "LSTMCellBase",
    "LayerNormLSTMCell",
    "MultiplicativeLSTMCell",
    "PeepholeLSTMCell",
    "RNNCell",
    "RecurrentCell",
    "cell_names",
    "get_cell",
    "register_cell",
]

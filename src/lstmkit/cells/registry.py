"""Cells by name, so that layers and config files can say ``cell="peephole"``."""

from __future__ import annotations

from .base import RecurrentCell
from .gru import GRUCell
from .layernorm import LayerNormLSTMCell
from .lstm import LSTMCell
from .multiplicative import MultiplicativeLSTMCell
from .peephole import PeepholeLSTMCell
from .rnn import RNNCell

_CELLS: dict[str, type[RecurrentCell]] = {
    "lstm": LSTMCell,
    "peephole": PeepholeLSTMCell,
    "multiplicative": MultiplicativeLSTMCell,
    "layernorm": LayerNormLSTMCell,
    "gru": GRUCell,
    "rnn": RNNCell,
}


def register_cell(name: str, cls: type[RecurrentCell]) -> None:
    """Make ``cls`` available as ``cell=name`` in every layer and config file."""
    if not (isinstance(cls, type) and issubclass(cls, RecurrentCell)):
        raise TypeError(f"register_cell: expected a RecurrentCell subclass, got {cls!r}")
    _CELLS[name] = cls


def cell_names() -> tuple[str, ...]:
    """The registered cell names."""
    return tuple(_CELLS)


def get_cell(name: str, owner: str = "get_cell",
             allowed: tuple[str, ...] | None = None) -> type[RecurrentCell]:
    """The cell class registered as ``name``; an unknown name lists the valid ones."""
    valid = allowed if allowed is not None else cell_names()
    if name not in valid or name not in _CELLS:
        raise ValueError(f"{owner}: unknown cell {name!r}; valid cells: {', '.join(valid)}")
    return _CELLS[name]

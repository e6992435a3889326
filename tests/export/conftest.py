"""Shared helpers of the export tests: a model of every cell with random parameters."""

from __future__ import annotations

import pytest
import torch

import lstmkit
from lstmkit.kernels import build

CELLS = ("lstm", "peephole", "layernorm", "multiplicative", "gru", "rnn_tanh", "rnn_relu")


def make_layer(cell: str, input_size: int = 4, hidden_size: int = 5, **options):
    """A layer of ``cell`` (``rnn_tanh``/``rnn_relu`` for the two RNNs), parameters
    uniform in [-0.5, 0.5] (layer-norm gains around 1)."""
    torch.manual_seed(0)
    if cell == "gru":
        layer = lstmkit.GRU(input_size, hidden_size, **options)
    elif cell.startswith("rnn_"):
        layer = lstmkit.RNN(input_size, hidden_size, nonlinearity=cell[4:], **options)
    else:
        layer = lstmkit.LSTM(input_size, hidden_size, cell=cell, **options)
    with torch.no_grad():
        for name, p in layer.named_parameters():
            p.uniform_(-0.5, 0.5)
            if "ln_" in name and "bias" not in name:
                p.add_(1.0)
    return layer


@pytest.fixture(scope="session")
def kernels() -> None:
    """Skip when the fused kernels cannot be built here."""
    if not build.load():
        pytest.skip("fused kernels unavailable")


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    """Each test compiles from scratch (no recompile limit across tests)."""
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()

"""Shared fixtures of the kernel tests: models of every cell, and the reference path."""

from __future__ import annotations

import pytest
import torch

import lstmkit
from lstmkit.kernels import build
from lstmkit.layers import recurrent as layer_module


def make_model(cell: str, input_size: int, hidden_size: int, *, dtype=torch.float32,
               **options) -> lstmkit.Recurrent:
    """A layer of ``cell`` with random parameters (layer-norm gains around 1)."""
    if cell == "gru":
        model = lstmkit.GRU(input_size, hidden_size, dtype=dtype, **options)
    elif cell.startswith("rnn_"):
        model = lstmkit.RNN(input_size, hidden_size, nonlinearity=cell[4:], dtype=dtype,
                            **options)
    else:
        model = lstmkit.LSTM(input_size, hidden_size, cell=cell, dtype=dtype, **options)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.uniform_(-0.5, 0.5)
            if "ln_" in name and not name.startswith("ln_c_bias"):
                p.add_(1.0)
    return model


@pytest.fixture(scope="session")
def kernels() -> None:
    """Skip when the kernels cannot be built here (test_build checks that they can)."""
    if not build.load():
        pytest.skip("fused kernels unavailable")


@pytest.fixture
def reference():
    """Call ``fn(*args)`` with every layer on the pure-PyTorch reference path."""

    def call(fn, *args):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(layer_module, "fused_run_direction", lambda *a, **k: None)
            return fn(*args)

    return call


@pytest.fixture
def model_factory():
    """:func:`make_model`, for tests."""
    return make_model

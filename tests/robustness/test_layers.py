"""The issue's layer reproductions as a table: every cell over an empty batch (B = 0) or
an empty sequence (T = 0), one or two layers, one or two directions, with and without
``lengths``, kernels on and off, with and without a gradient. Each case asserts torch's
outcome: for B = 0 the empty outputs of ``torch.nn.LSTM``/``GRU``/``RNN``'s shapes (and a
backward through them), for T = 0 an error (torch's RuntimeError, lstmkit's ValueError
naming the class), never a crash."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

import lstmkit

CELLS = ("lstm", "peephole", "multiplicative", "layernorm", "gru", "rnn")
INPUT, HIDDEN, STEPS, BATCH = 3, 4, 5, 2


def make(cell: str, **options) -> tuple[nn.Module, nn.Module]:
    """lstmkit's layer and torch's of the same family (LSTM cells: ``nn.LSTM``)."""
    if cell == "gru":
        return lstmkit.GRU(INPUT, HIDDEN, **options), nn.GRU(INPUT, HIDDEN, **options)
    if cell == "rnn":
        return lstmkit.RNN(INPUT, HIDDEN, **options), nn.RNN(INPUT, HIDDEN, **options)
    return (lstmkit.LSTM(INPUT, HIDDEN, cell=cell, **options),
            nn.LSTM(INPUT, HIDDEN, **options))


def shapes(output, state) -> tuple:
    parts = state if isinstance(state, tuple) else (state,)
    return tuple(output.shape), tuple(tuple(s.shape) for s in parts)


def batch_shape(batch: int, steps: int, batch_first: bool) -> tuple[int, int, int]:
    return (batch, steps, INPUT) if batch_first else (steps, batch, INPUT)


CASES = [(cell, layers, bi, bf) for cell in CELLS for layers in (1, 2)
         for bi in (False, True) for bf in (False, True)]
IDS = [f"{c}-L{n}-{'bi' if b else 'uni'}-{'bf' if f else 'tm'}" for c, n, b, f in CASES]


@pytest.fixture(params=["kernels", "reference"])
def kernels_mode(request, monkeypatch):
    if request.param == "reference":
        monkeypatch.setenv("LSTMKIT_KERNELS", "0")
    return request.param


@pytest.mark.parametrize("with_lengths", [False, True], ids=["padded", "lengths"])
@pytest.mark.parametrize(("cell", "layers", "bidirectional", "batch_first"), CASES, ids=IDS)
def test_layer_on_an_empty_batch_answers_as_torch(kernels_mode, cell, layers, bidirectional,
                                                  batch_first, with_lengths):
    options = {"num_layers": layers, "bidirectional": bidirectional,
               "batch_first": batch_first}
    ours, theirs = make(cell, **options)
    x = torch.randn(*batch_shape(0, STEPS, batch_first), requires_grad=True)
    lengths = {"lengths": torch.zeros(0, dtype=torch.int64)} if with_lengths else {}
    want = shapes(*theirs(x))
    with torch.no_grad():
        assert shapes(*ours(x, **lengths)) == want
    output, state = ours(x, **lengths)
    assert shapes(output, state) == want
    parts = state if isinstance(state, tuple) else (state,)
    (output.sum() + sum(s.sum() for s in parts)).backward()
    assert x.grad.shape == x.shape
    assert all(p.grad is not None and not p.grad.any() for p in ours.parameters())


@pytest.mark.parametrize("batch", [BATCH, 0], ids=["B2", "B0"])
@pytest.mark.parametrize(("cell", "layers", "bidirectional", "batch_first"), CASES, ids=IDS)
def test_layer_on_an_empty_sequence_refuses_as_torch(kernels_mode, cell, layers,
                                                     bidirectional, batch_first, batch):
    options = {"num_layers": layers, "bidirectional": bidirectional,
               "batch_first": batch_first}
    ours, theirs = make(cell, **options)
    x = torch.randn(*batch_shape(batch, 0, batch_first))
    with pytest.raises(RuntimeError, match="sequence length to be larger than 0"):
        theirs(x)
    name = type(ours).__name__
    shape = "(" + ", ".join(str(s) for s in x.shape) + ")"
    message = rf"^{name}: expected a sequence of at least one step \(T >= 1\), got input of " \
              rf"shape {shape.replace('(', '[(]').replace(')', '[)]')}$"
    for grad in (False, True):
        with torch.set_grad_enabled(grad), pytest.raises(ValueError, match=message):
            ours(x)


@pytest.mark.parametrize("cell", CELLS)
def test_unbatched_empty_sequence_refuses_as_torch(cell):
    ours, theirs = make(cell)
    x = torch.randn(0, INPUT)  # (T, I), T = 0
    with pytest.raises(RuntimeError, match="sequence length to be larger than 0"):
        theirs(x)
    with pytest.raises(ValueError, match=rf"^{type(ours).__name__}: expected a sequence of "
                                         r"at least one step"):
        ours(x)


CELL_CLASSES = {"lstm": (lstmkit.LSTMCell, nn.LSTMCell),
                "peephole": (lstmkit.PeepholeLSTMCell, nn.LSTMCell),
                "multiplicative": (lstmkit.MultiplicativeLSTMCell, nn.LSTMCell),
                "layernorm": (lstmkit.LayerNormLSTMCell, nn.LSTMCell),
                "gru": (lstmkit.GRUCell, nn.GRUCell), "rnn": (lstmkit.RNNCell, nn.RNNCell)}


@pytest.mark.parametrize("cell", CELLS)
def test_cell_on_an_empty_batch_answers_as_torch(cell):
    ours, theirs = (cls(INPUT, HIDDEN) for cls in CELL_CLASSES[cell])
    x = torch.randn(0, INPUT, requires_grad=True)
    got, want = ours(x), theirs(x)
    got, want = (s if isinstance(s, tuple) else (s,) for s in (got, want))
    assert [tuple(s.shape) for s in got] == [tuple(s.shape) for s in want]
    sum(s.sum() for s in got).backward()
    assert x.grad.shape == (0, INPUT)


@pytest.mark.parametrize("cell", CELLS)
def test_layer_step_on_an_empty_batch_returns_empty_outputs(kernels_mode, cell):
    ours, _ = make(cell, num_layers=2)
    with torch.no_grad():
        output, state = ours.step(torch.randn(0, INPUT))
    assert tuple(output.shape) == (0, HIDDEN)
    assert all(s.shape[:2] == (2, 0) for s in (state if isinstance(state, tuple) else (state,)))


REPRODUCTION = """
import torch, lstmkit
x = torch.randn(0, 10, 3)
lstmkit.LSTM(3, 4, batch_first=True)(x)
lstmkit.LSTM(3, 4, batch_first=True, cell="peephole")(x)
lstmkit.LSTM(3, 4, batch_first=True, bidirectional=True)(x)
lstmkit.LSTM(3, 4, num_layers=2, batch_first=True)(x)
with torch.no_grad():
    out, (h, c) = lstmkit.LSTM(3, 4, batch_first=True)(x)
print(tuple(out.shape), tuple(h.shape))
"""


def test_issue_reproduction_of_the_segfault_exits_cleanly():
    """The issue's command exited 139 (SIGSEGV): it must print torch's empty shapes."""
    done = subprocess.run([sys.executable, "-c", REPRODUCTION], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "(0, 10, 4) (1, 0, 4)"

"""torch's fused op (``_VF.lstm`` / ``gru`` / ``rnn_*``) where lstmkit's kernels do not
apply (issue 13): forced on the CPU, it equals the reference path; other cells decline."""

import pytest
import torch
from torch.testing import assert_close

import lstmkit
from lstmkit.layers import recurrent as layer_module
from lstmkit.layers import torch_op

KINDS = [("LSTM", {}), ("LSTM", {"proj_size": 2}), ("GRU", {}), ("RNN", {}),
         ("RNN", {"nonlinearity": "relu"})]
IDS = ["lstm", "lstm-proj", "gru", "rnn-tanh", "rnn-relu"]


@pytest.fixture
def op_calls(monkeypatch):
    """Runs of torch's op (the results that were not None)."""
    calls = []
    real = torch_op.torch_run_direction

    def spy(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(result is not None)
        return result

    monkeypatch.setattr(torch_op, "torch_run_direction", spy)
    return calls


def run(layer, x, hx, lengths):
    """Outputs and every gradient; ``hx`` is a tuple of state tensors (maybe empty)."""
    out, state = layer(x, (hx if len(hx) > 1 else hx[0]) if hx else None, lengths=lengths)
    state = state if isinstance(state, tuple) else (state,)
    loss = out.square().sum() + sum(s.square().sum() for s in state)
    return (out, *state), torch.autograd.grad(loss, [x, *hx, *layer.parameters()])


def reference(layer, *args):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(layer_module, "fused_run_direction", lambda *a, **k: None)
        return run(layer, *args)


@pytest.mark.parametrize("with_lengths", [False, True], ids=["padded", "lengths"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize(("kind", "extra"), KINDS, ids=IDS)
def test_torchs_op_forced_equals_the_reference(monkeypatch, op_calls, kind, extra,
                                               num_layers, bidirectional, with_lengths):
    monkeypatch.setattr(torch_op, "PREFERENCE", "first")
    layer = getattr(lstmkit, kind)(3, 5, num_layers, bidirectional=bidirectional,
                                   batch_first=True, **extra)
    x = torch.randn(4, 6, 3, requires_grad=True)
    d = 2 if bidirectional else 1
    sizes = [extra.get("proj_size") or 5] + ([5] if kind == "LSTM" else [])
    hx = tuple(torch.randn(num_layers * d, 4, s, requires_grad=True) for s in sizes)
    lengths = torch.tensor([6, 2, 5, 1]) if with_lengths else None
    got, got_grads = run(layer, x, hx, lengths)
    assert op_calls == [True] * (num_layers * d)
    want, want_grads = reference(layer, x, hx, lengths)
    assert_close(got, want)
    assert_close(got_grads, want_grads)


def test_torchs_op_runs_a_projection_on_the_cpu_by_default(op_calls):
    layer = lstmkit.LSTM(3, 5, proj_size=2, num_layers=2)  # no lstmkit kernel for proj_size
    layer(torch.randn(6, 2, 3))
    assert op_calls == [True, True]


@pytest.mark.parametrize("cell", ["peephole", "layernorm", "multiplicative"])
def test_other_cells_keep_the_reference_path(monkeypatch, op_calls, cell):
    monkeypatch.setattr(torch_op, "PREFERENCE", "first")
    layer = lstmkit.LSTM(3, 5, cell=cell, proj_size=2)  # no kernel of lstmkit either
    x = torch.randn(6, 2, 3, requires_grad=True)
    assert_close(run(layer, x, (), None), reference(layer, x, (), None))
    assert op_calls and not any(op_calls)


def test_a_subclass_of_a_classic_cell_is_not_torchs(op_calls, monkeypatch):
    monkeypatch.setattr(torch_op, "PREFERENCE", "first")

    class Tweaked(lstmkit.LSTMCell):
        pass

    layer = lstmkit.Recurrent(3, 5, cell=Tweaked)
    layer(torch.randn(6, 2, 3))
    assert op_calls and not any(op_calls)


def test_preference_off_runs_the_reference(monkeypatch, op_calls):
    monkeypatch.setattr(torch_op, "PREFERENCE", "off")
    layer = lstmkit.LSTM(3, 5, proj_size=2)
    layer(torch.randn(6, 2, 3))
    assert op_calls == []

"""Layers and cells under CPU bf16 autocast: they run, kernels on and off, answer in
torch's dtypes, equal the float32 result rounded, and a bf16 Trainer epoch trains."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence
from torch.testing import assert_close

import lstmkit
from lstmkit.training import TrainConfig, Trainer

LSTM_CELLS = ("lstm", "peephole", "multiplicative", "layernorm")
CELLS = (*LSTM_CELLS, "gru", "rnn")
BF16 = torch.bfloat16


def autocast():
    return torch.autocast("cpu", dtype=BF16)


def make(cell: str, **options) -> lstmkit.Recurrent:
    if cell == "gru":
        return lstmkit.GRU(3, 5, **options)
    if cell == "rnn":
        return lstmkit.RNN(3, 5, **options)
    return lstmkit.LSTM(3, 5, cell=cell, **options)


def torch_twin(cell: str, **options) -> nn.Module:
    """torch's module of the same family (every LSTM cell answers as ``nn.LSTM``)."""
    return {"gru": nn.GRU, "rnn": nn.RNN}.get(cell, nn.LSTM)(3, 5, **options)


def parts(state):
    return state if isinstance(state, tuple) else (state,)


@pytest.fixture(params=["kernels", "reference"])
def kernels_mode(request, monkeypatch):
    if request.param == "reference":
        monkeypatch.setenv("LSTMKIT_KERNELS", "0")
    return request.param


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("cell", CELLS)
def test_layer_under_autocast_answers_in_torchs_dtypes_and_backpropagates(
        kernels_mode, cell, bidirectional):
    torch.manual_seed(0)
    options = {"num_layers": 2, "batch_first": True, "bidirectional": bidirectional}
    layer, twin = make(cell, **options), torch_twin(cell, **options)
    x = torch.randn(4, 6, 3, requires_grad=True)
    with autocast():
        output, state = layer(x)
        want_output, want_state = twin(x)
    assert output.dtype == want_output.dtype
    assert [s.dtype for s in parts(state)] == [s.dtype for s in parts(want_state)]
    with torch.no_grad():
        full, full_state = layer(x)  # the float32 result, rounded, is the answer
    assert_close(output, full.to(output.dtype))
    assert_close(parts(state), tuple(s.to(output.dtype) for s in parts(full_state)))
    (output.float().sum() + sum(s.float().sum() for s in parts(state))).backward()
    assert x.grad is not None and x.grad.dtype == torch.float32
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in layer.parameters())


@pytest.mark.parametrize("cell", CELLS)
def test_layer_under_autocast_on_a_packed_sequence_answers_in_torchs_dtypes(cell):
    layer, twin = make(cell), torch_twin(cell)
    x = pack_padded_sequence(torch.randn(5, 3, 3), torch.tensor([5, 3, 1]),
                             enforce_sorted=False)
    with autocast():
        output, state = layer(x)
        want_output, want_state = twin(x)
    assert isinstance(output, PackedSequence)
    assert output.data.dtype == want_output.data.dtype
    assert [s.dtype for s in parts(state)] == [s.dtype for s in parts(want_state)]
    assert torch.equal(output.batch_sizes, want_output.batch_sizes)


@pytest.mark.parametrize("cell", CELLS)
def test_layer_under_autocast_takes_back_its_own_state_and_lower_precision_input(cell):
    layer = make(cell)
    x = torch.randn(5, 2, 3)
    with autocast():
        _, state = layer(x[:3])
        out, _ = layer(x[3:].to(BF16), state)  # bf16 in, the state it returned back in
    with torch.no_grad():
        whole, _ = layer(x)
    assert_close(out.float(), whole[3:], atol=2e-2, rtol=2e-2)


@pytest.mark.parametrize("cell", [c for c in CELLS])
def test_layer_step_under_autocast_answers_like_forward(kernels_mode, cell):
    layer = make(cell).eval()
    x = torch.randn(2, 3)
    with torch.no_grad(), autocast():
        out, state = layer.step(x)
        whole, whole_state = layer(x[None])
    assert out.dtype == whole.dtype
    assert_close(out, whole[0])
    assert_close(parts(state), parts(whole_state))


CELL_CLASSES = {"lstm": (lstmkit.LSTMCell, nn.LSTMCell), "gru": (lstmkit.GRUCell, nn.GRUCell),
                "rnn": (lstmkit.RNNCell, nn.RNNCell)}


@pytest.mark.parametrize("cell", list(CELL_CLASSES))
def test_cell_under_autocast_answers_in_torchs_dtype(cell):
    ours, theirs = (cls(3, 5) for cls in CELL_CLASSES[cell])
    x = torch.randn(2, 3, requires_grad=True)
    with autocast():
        got, want = ours(x), theirs(x)
    assert [s.dtype for s in parts(got)] == [s.dtype for s in parts(want)]
    sum(s.float().sum() for s in parts(got)).backward()
    assert x.grad is not None


class _Regressor(nn.Module):
    def __init__(self, layer: nn.Module) -> None:
        super().__init__()
        self.layer, self.head = layer, nn.Linear(5, 1)

    def forward(self, x, state=None):
        output, state = self.layer(x, state)
        return self.head(output[:, -1]), state


def _tbptt_step(model, batch, state):
    x, y = batch
    prediction, state = model(x, state)
    return nn.functional.mse_loss(prediction.float(), y), state


@pytest.mark.parametrize("cell", ["gru", "rnn"])
def test_trainer_epoch_with_bf16_trains_gru_and_rnn(cell):
    torch.manual_seed(0)
    model = _Regressor(make(cell, batch_first=True))
    before = [p.detach().clone() for p in model.parameters()]
    data = [(torch.randn(4, 6, 3), torch.randn(4, 1)) for _ in range(3)]
    trainer = Trainer(model, _tbptt_step, TrainConfig(epochs=1, bf16=True, tbptt=True),
                      progress=False).fit(data)
    assert len(trainer.history_) == 1
    assert torch.isfinite(torch.tensor(trainer.history_[0]["train_loss"]))
    assert all(not torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True))

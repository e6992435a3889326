"""``torch.nn.utils.parametrize`` on a layer's recurrent weights (issue 13): weight_norm,
orthogonal, spectral_norm and user parametrizations train on every cell through the fused
kernels, which read the parametrized tensor, with DropConnect still on top."""

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import orthogonal, spectral_norm, weight_norm
from torch.testing import assert_close

import lstmkit
from lstmkit.kernels import build, ops
from lstmkit.layers import recurrent as layer_module

CELLS = ["lstm", "peephole", "layernorm", "multiplicative", "gru", "rnn"]
PARAMETRIZE = {"weight_norm": lambda m, name: weight_norm(m, name=name),
               "orthogonal": lambda m, name: orthogonal(m, name=name)}


@pytest.fixture(autouse=True)
def _kernels():
    if not build.load():
        pytest.skip("fused kernels unavailable")


def make(cell, **options):
    if cell in ("gru", "rnn"):
        return getattr(lstmkit, cell.upper())(3, 4, **options)
    return lstmkit.LSTM(3, 4, cell=cell, **options)


def run_and_grads(layer, x):
    out, _ = layer(x)
    loss = out.square().mean()
    return out, torch.autograd.grad(loss, [x, *layer.parameters()])


def on_reference(fn, *args):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(layer_module, "fused_run_direction", lambda *a, **k: None)
        return fn(*args)


@pytest.fixture
def kernel_calls(monkeypatch):
    """How often a fused kernel ran, and the recurrent tensors it was handed."""
    calls = []
    real = ops.run

    def spy(spec, first, args, lengths):
        calls.append(args)
        return real(spec, first, args, lengths)

    monkeypatch.setattr("lstmkit.layers.fused.run", spy)
    return calls


@pytest.mark.parametrize("kind", list(PARAMETRIZE))
@pytest.mark.parametrize("cell", CELLS)
def test_parametrized_layer_kernel_equals_reference_and_grads_reach_the_originals(
        cell, kind, kernel_calls):
    layer = make(cell, num_layers=2, bidirectional=True)
    PARAMETRIZE[kind](layer, "weight_hh_l0")
    PARAMETRIZE[kind](layer, "weight_hh_l1_reverse")
    x = torch.randn(5, 2, 3, requires_grad=True)
    out, grads = run_and_grads(layer, x)
    assert len(kernel_calls) == 4  # every layer and direction through the kernels
    want_out, want_grads = on_reference(run_and_grads, layer, x)
    assert_close(out, want_out)
    for (name, _), got, want in zip(layer.named_parameters(), grads[1:], want_grads[1:],
                                    strict=True):
        assert_close(got, want, msg=name)
    names = [n for n, _ in layer.named_parameters()]
    assert "weight_hh_l0" not in names and any(
        n.startswith("parametrizations.weight_hh_l1_reverse.original") for n in names)
    originals = layer.parametrizations.weight_hh_l0
    assert all(p.grad is None for p in originals.parameters())  # autograd.grad above
    layer(x)[0].square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in originals.parameters())


def test_the_kernel_reads_the_parametrized_tensor(kernel_calls):
    layer = lstmkit.LSTM(3, 4)
    scale = type("Scale", (nn.Module,), {"forward": lambda self, w: 3.0 * w})
    parametrize.register_parametrization(layer, "weight_hh_l0", scale())
    layer(torch.randn(5, 2, 3))
    (args,) = kernel_calls
    assert any(a is not None and torch.equal(a, 3.0 * layer.parametrizations.weight_hh_l0
                                              .original) for a in args)
    plain = lstmkit.LSTM(3, 4)
    with torch.no_grad():
        for name, p in plain.named_parameters():
            p.copy_(getattr(layer, name))  # weight_hh_l0: the parametrized value
    x = torch.randn(5, 2, 3)
    assert_close(layer(x)[0], plain(x)[0])


@pytest.mark.parametrize("kind", list(PARAMETRIZE))
@pytest.mark.parametrize("cell", CELLS)
def test_parametrized_layer_learns_on_every_cell(cell, kind):
    torch.manual_seed(1)
    layer = make(cell, batch_first=True)
    PARAMETRIZE[kind](layer, "weight_hh_l0")
    head = nn.Linear(4, 1)
    optimizer = torch.optim.Adam([*layer.parameters(), *head.parameters()], lr=0.05)
    x = torch.randn(16, 6, 3)
    y = x[:, :, 0].sum(1, keepdim=True)  # (B, 1): the sum of the first feature
    losses = []
    for _ in range(25):
        optimizer.zero_grad()
        loss = (head(layer(x)[0][:, -1]) - y).square().mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_spectral_norm_in_eval_runs_the_kernel_as_the_reference(kernel_calls):
    layer = make("gru", num_layers=2)
    spectral_norm(layer, name="weight_hh_l1")
    layer(torch.randn(5, 2, 3))  # training: one power iteration, then fixed in eval
    layer.eval()
    x = torch.randn(5, 2, 3)
    assert_close(layer(x)[0], on_reference(layer, x)[0])
    assert len(kernel_calls) == 4


@pytest.mark.parametrize("cell", CELLS)
def test_weight_drop_applies_on_top_of_a_parametrization(cell, kernel_calls):
    layer = make(cell, weight_dropout=0.5)
    weight_norm(layer, name="weight_hh_l0")
    x = torch.randn(5, 2, 3)
    torch.manual_seed(3)
    out = layer(x)[0]
    torch.manual_seed(3)
    want = on_reference(layer, x)[0]  # the same DropConnect mask
    assert_close(out, want)
    assert not torch.allclose(out, layer.eval()(x)[0])  # the mask did act
    assert len(kernel_calls) == 2  # training and eval both through the kernel


def test_streaming_step_of_a_parametrized_lstm_reads_the_parametrized_weights():
    layer = lstmkit.LSTM(3, 4, num_layers=2).eval()
    orthogonal(layer, "weight_hh_l1")
    x = torch.randn(5, 2, 3)
    with torch.no_grad():
        want, _ = layer(x)
        state = None
        for t in range(5):
            out, state = layer.step(x[t], state)
            assert_close(out, want[t])

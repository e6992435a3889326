"""torch.export of every layer and of the task networks: dynamic batch and time, the
kernel route and the portable route, save and load round trips."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from lstmkit.export import UnsupportedExport, export_program, graph_for
from lstmkit.models.forecast_net import ForecastEnsemble, ForecastNet
from lstmkit.models.language_model import LanguageModel

from .conftest import CELLS, make_layer

TOL = {"rtol": 1e-5, "atol": 1e-5}


def _check(module, program, **graph_options):
    """The program equals the module on inputs of another batch and length than traced."""
    for batch, steps in ((3, 7), (1, 1)):
        graph = graph_for(module, batch=batch, steps=steps, **graph_options)
        with torch.no_grad():
            assert_close(program.module()(*graph.args), graph.module(*graph.args), **TOL)


@pytest.mark.parametrize("portable", [False, True], ids=["kernels", "portable"])
@pytest.mark.parametrize("cell", CELLS)
def test_export_layer_matches_eager_at_new_shapes(kernels, cell, portable):
    layer = make_layer(cell, num_layers=2, bidirectional=True).eval()
    program = export_program(layer, lengths=True, portable=portable)
    _check(layer, program, lengths=True)


def test_export_kernel_route_calls_the_custom_op(kernels):
    program = export_program(make_layer("gru").eval())
    targets = {str(n.target) for n in program.graph.nodes if n.op == "call_function"}
    assert "lstmkit.recurrence.default" in targets


def test_export_portable_route_has_no_lstmkit_op(kernels):
    program = export_program(make_layer("gru").eval(), portable=True)
    targets = {str(n.target) for n in program.graph.nodes if n.op == "call_function"}
    assert not any("lstmkit" in t for t in targets)


@pytest.mark.parametrize("cell", ["lstm", "gru", "multiplicative"])
def test_export_streaming_step_matches_eager(kernels, cell):
    layer = make_layer(cell, num_layers=2).eval()
    _check(layer, export_program(layer, step=True), step=True)


def test_export_round_trip_through_a_file(kernels, tmp_path):
    layer = make_layer("layernorm", batch_first=True).eval()
    torch.export.save(export_program(layer), tmp_path / "layer.pt2")
    _check(layer, torch.export.load(tmp_path / "layer.pt2"))


@pytest.mark.parametrize("members", [1, 2])
def test_export_forecast_network(kernels, members):
    torch.manual_seed(0)
    nets = [ForecastNet(input_size=3, n_targets=1, n_known=2, horizon=4, hidden_size=6,
                        cell="peephole") for _ in range(members)]
    net = (nets[0] if members == 1 else ForecastEnsemble(nets)).eval()
    _check(net, export_program(net))


def test_export_forecast_network_without_known_features(kernels):
    net = ForecastNet(input_size=1, n_targets=1, n_known=0, horizon=2, cell="gru").eval()
    program = export_program(net)
    assert [s.arg.name for s in program.graph_signature.input_specs
            if s.kind.name == "USER_INPUT"] == ["window"]
    _check(net, program)


@pytest.mark.parametrize("step", [False, True], ids=["sequence", "step"])
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_export_language_model(kernels, cell, step):
    torch.manual_seed(0)
    model = LanguageModel(11, embedding_size=4, hidden_size=6, num_layers=2, cell=cell).eval()
    _check(model, export_program(model, step=step), step=step)


def test_export_restores_training_mode(kernels):
    layer = make_layer("lstm").train()
    export_program(layer)
    assert layer.training


@pytest.mark.parametrize(("make", "options", "message"), [
    (lambda: make_layer("lstm", proj_size=2), {}, "proj_size=2, which is not supported"),
    (lambda: make_layer("lstm", bidirectional=True), {"step": True}, "is bidirectional"),
    (lambda: torch.nn.Linear(2, 3), {}, "Linear is not supported"),
    (lambda: ForecastNet(input_size=1, n_targets=1, n_known=0, horizon=2), {"step": True},
     "no streaming step"),
])
def test_export_unsupported_configuration_names_it(kernels, make, options, message):
    with pytest.raises(UnsupportedExport, match=message):
        export_program(make(), **options)


def test_export_custom_cell_class_names_it(kernels):
    import lstmkit
    from lstmkit.cells import LSTMCell

    class MyCell(LSTMCell):
        pass

    with pytest.raises(UnsupportedExport, match="cell class MyCell, which has no fused"):
        export_program(lstmkit.Recurrent(2, 3, cell=MyCell))


def test_export_language_model_with_cache_names_it(kernels):
    model = LanguageModel(11, embedding_size=4, hidden_size=6)
    model.cache = object()
    with pytest.raises(UnsupportedExport, match="neural cache"):
        export_program(model.eval())


def test_export_without_kernels_names_it(kernels, monkeypatch):
    monkeypatch.setenv("LSTMKIT_KERNELS", "0")
    with pytest.raises(UnsupportedExport, match="fused kernels are off"):
        export_program(make_layer("gru").eval())


@pytest.mark.parametrize("multiplicative", [False, True], ids=["additive", "multiplicative"])
def test_export_seasonal_forecast_network_with_its_window(kernels, multiplicative):
    torch.manual_seed(0)
    net = ForecastNet(input_size=1, n_targets=1, n_known=0, horizon=3, hidden_size=6,
                      season=4, window=12, multiplicative=multiplicative).eval()
    program = export_program(net)
    window = 5.0 + torch.rand(2, 12, 1)  # positive, as a multiplicative season needs
    with torch.no_grad():
        assert_close(program.module()(window), net(window, torch.zeros(2, 3, 0)), **TOL)

"""ONNX files of every cell checked with onnxruntime against PyTorch (1e-4), over cells x
layers x directions x sequence lengths unseen at export time, and the streaming step."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmkit.export import UnsupportedExport, graph_for, to_onnx
from lstmkit.models.forecast_net import ForecastNet
from lstmkit.models.language_model import LanguageModel

from .conftest import CELLS, make_layer

ort = pytest.importorskip("onnxruntime", reason="onnxruntime missing: the [export] extra")
pytest.importorskip("onnxscript", reason="onnxscript missing: the [export] extra")

TOL = 1e-4


def _session(module, path, **options):
    return ort.InferenceSession(str(to_onnx(module, path, **options)),
                                providers=["CPUExecutionProvider"])


def _max_error(module, session, batch, steps, **options) -> float:
    graph = graph_for(module, batch=batch, steps=steps, **options)
    with torch.no_grad():
        expected = graph.module(*graph.args)
    expected = expected if isinstance(expected, tuple) else (expected,)
    actual = session.run(None, {n: a.numpy() for n, a in zip(graph.input_names, graph.args,
                                                              strict=True)})
    return max(float(np.abs(a - e.numpy()).max()) for a, e in zip(actual, expected,
                                                                   strict=True))


@pytest.mark.parametrize(("layers", "bidirectional"), [(1, False), (2, True), (2, False)])
@pytest.mark.parametrize("cell", CELLS)
def test_onnx_layer_matches_torch_at_unseen_lengths(kernels, tmp_path, cell, layers,
                                                    bidirectional):
    layer = make_layer(cell, num_layers=layers, bidirectional=bidirectional).eval()
    session = _session(layer, tmp_path / "layer.onnx", lengths=True)
    for batch, steps in ((1, 1), (2, 3), (4, 17)):
        assert _max_error(layer, session, batch, steps, lengths=True) < TOL


@pytest.mark.parametrize("cell", CELLS)
def test_onnx_streaming_step_keeps_state_between_calls(kernels, tmp_path, cell):
    """Feeding the step graph one step at a time, its state carried by the caller, gives
    the whole sequence's outputs."""
    layer = make_layer(cell, num_layers=2).eval()
    session = _session(layer, tmp_path / "step.onnx", step=True)
    x = torch.randn(6, 2, layer.input_size)  # (T, B, I)
    with torch.no_grad():
        expected, _ = layer(x)
    names = [i.name for i in session.get_inputs()]
    state = [np.zeros((2, 2, s), np.float32) for s in layer.cells[0].state_sizes()]
    outputs = []
    for t in range(x.shape[0]):
        output, *state = session.run(None, dict(zip(names, [x[t].numpy(), *state],
                                                    strict=True)))
        outputs.append(output)
    np.testing.assert_allclose(np.stack(outputs), expected.numpy(), atol=TOL, rtol=TOL)


def test_onnx_names_inputs_and_outputs(kernels, tmp_path):
    session = _session(make_layer("lstm", batch_first=True), tmp_path / "l.onnx",
                       lengths=True)
    assert [i.name for i in session.get_inputs()] == ["input", "h0", "c0", "lengths"]
    assert [o.name for o in session.get_outputs()] == ["output", "hn", "cn"]


def test_onnx_forecast_network(kernels, tmp_path):
    net = ForecastNet(input_size=3, n_targets=1, n_known=2, horizon=4, cell="layernorm")
    session = _session(net.eval(), tmp_path / "f.onnx")
    assert _max_error(net, session, 5, 30) < TOL


@pytest.mark.parametrize("step", [False, True], ids=["sequence", "step"])
def test_onnx_language_model(kernels, tmp_path, step):
    model = LanguageModel(13, embedding_size=4, hidden_size=6, num_layers=2).eval()
    session = _session(model, tmp_path / "lm.onnx", step=step)
    assert _max_error(model, session, 3, 9, step=step) < TOL


def test_onnx_unsupported_configuration_names_it(kernels, tmp_path):
    with pytest.raises(UnsupportedExport, match="proj_size=2"):
        to_onnx(make_layer("lstm", proj_size=2), tmp_path / "x.onnx")
    assert not list(tmp_path.iterdir())  # nothing written


def test_onnx_forecast_net_with_an_id_embedding_is_unsupported(kernels, tmp_path):
    from lstmkit.models.forecast_net import ForecastNet

    net = ForecastNet(input_size=1, n_targets=1, n_known=0, horizon=2, n_series=3,
                      id_embedding=2)
    with pytest.raises(UnsupportedExport, match="id embedding"):
        to_onnx(net, tmp_path / "x.onnx")
    assert not list(tmp_path.iterdir())  # nothing written

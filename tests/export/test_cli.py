"""``lstmkit export MODEL_DIR``: saved task models to ONNX files that onnxruntime runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmkit.training import TrainConfig

ort = pytest.importorskip("onnxruntime", reason="onnxruntime missing: the [export] extra")
pytest.importorskip("onnxscript", reason="onnxscript missing: the [export] extra")

TEXT = "to be or not to be, that is the question. " * 20


@pytest.fixture(scope="module")
def forecast_dir(tmp_path_factory):
    from lstmkit.tasks.forecasting import Forecaster

    months = pd.date_range("2000-01-01", periods=60, freq="MS")
    frame = pd.DataFrame({"month": months.strftime("%Y-%m-%d"),
                          "value": np.sin(np.arange(60) / 3) + 2})
    model = Forecaster(horizon=3, lookback=6, n_models=2, hidden_size=4, target="value",
                       time_col="month", train=TrainConfig(epochs=1)).fit(frame)
    return model, model.save(tmp_path_factory.mktemp("forecast") / "model")


@pytest.fixture(scope="module")
def text_dir(tmp_path_factory):
    from lstmkit.tasks.text import TextModel

    model = TextModel(hidden_size=8, embedding_size=4, batch_size=4, bptt=8, cache_size=50,
                      num_threads=1, train=TrainConfig(epochs=1), progress=False).fit(TEXT)
    return model, model.save(tmp_path_factory.mktemp("text") / "model")


def test_cli_export_forecaster_runs_in_onnxruntime(kernels, forecast_dir, tmp_path, run):
    model, path = forecast_dir
    out = tmp_path / "f.onnx"
    assert run(["export", str(path), "--format", "onnx", "--out", str(out)]) == 0
    session = ort.InferenceSession(str(out))
    net = model._network()
    first = net.members[0]
    window = np.random.default_rng(0).normal(size=(2, 6, first.encoder.input_size))
    inputs = {"window": window.astype(np.float32)}
    if first.n_known:
        inputs["future"] = np.zeros((2, 3, first.n_known), np.float32)
    import torch

    with torch.no_grad():
        expected = net(*(torch.from_numpy(v) for v in inputs.values())).numpy()
    np.testing.assert_allclose(session.run(None, inputs)[0], expected, atol=1e-4)


def test_cli_export_text_model_step_without_cache(kernels, text_dir, tmp_path, capsys, run):
    _, path = text_dir
    assert run(["export", str(path), "--step", "--out", str(tmp_path / "s.onnx")]) == 1
    assert "neural cache" in capsys.readouterr().err
    assert run(["export", str(path), "--step", "--no-cache",
                 "--out", str(tmp_path / "s.onnx")]) == 0
    names = [i.name for i in ort.InferenceSession(str(tmp_path / "s.onnx")).get_inputs()]
    assert names == ["token", "h0", "c0"]


def test_cli_export_pt2_program(kernels, forecast_dir, tmp_path, run):
    import torch

    _, path = forecast_dir
    out = tmp_path / "f.pt2"
    assert run(["export", str(path.parent), "--format", "pt2", "--out", str(out)]) == 0
    assert isinstance(torch.export.load(out), torch.export.ExportedProgram)

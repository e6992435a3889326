"""Files written before the layers owned their parameters (issue 13) still load and give
the same results: layer state dicts of every cell, a model directory, a checkpoint."""

import copy
from pathlib import Path

import pandas as pd
import pytest
import torch
from torch.testing import assert_close

import lstmkit
from lstmkit.tasks.forecasting import Forecaster
from lstmkit.training.checkpoint import load_checkpoint
from lstmkit.training.safetensors_io import read_tensors

DATA = Path(__file__).parent / "data"
# the constructors that wrote tests/layers/data/old_layers.safetensors
LAYERS = {
    "lstm": lambda: lstmkit.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2),
    "peephole": lambda: lstmkit.LSTM(3, 4, num_layers=2, cell="peephole"),
    "layernorm": lambda: lstmkit.LSTM(3, 4, bidirectional=True, cell="layernorm"),
    "multiplicative": lambda: lstmkit.LSTM(3, 4, num_layers=2, cell="multiplicative"),
    "gru": lambda: lstmkit.GRU(3, 4, num_layers=2, bidirectional=True),
    "rnn": lambda: lstmkit.RNN(3, 4, num_layers=2, nonlinearity="relu"),
}


@pytest.fixture(scope="module")
def old_layers():
    tensors, _ = read_tensors(DATA / "old_layers.safetensors", RuntimeError)
    return tensors


@pytest.mark.parametrize("cell", list(LAYERS))
def test_old_layer_state_dict_loads_and_gives_the_old_output(old_layers, cell):
    layer = LAYERS[cell]().eval()
    prefix = f"{cell}/"
    state = {k[len(prefix):]: v for k, v in old_layers.items()
             if k.startswith(prefix) and k != f"{cell}/output"}
    layer.load_state_dict(state)  # strict: same keys
    with torch.no_grad():
        output, _ = layer(old_layers["input"])
    assert_close(output, old_layers[f"{cell}/output"])


def test_old_model_directory_loads_and_predicts_as_before():
    model = Forecaster.load(DATA / "old_forecaster")
    assert [n for n, _ in model.network_.named_parameters()][:5] == [
        f"members.0.encoder.{name}_l0"
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_ch")]
    want = pd.read_csv(DATA / "old_forecaster_prediction.csv")
    history = pd.read_csv(DATA / "old_forecaster_data.csv", parse_dates=["month"])
    got = model.predict(data=history).reset_index(drop=True)
    assert list(got["time"].astype(str)) == list(want["time"])
    assert_close(got["forecast"].to_numpy(), want["forecast"].to_numpy())


def test_old_checkpoint_restores_the_network_and_its_optimizer_state():
    checkpoint = load_checkpoint(DATA / "old_checkpoint.safetensors")
    network = copy.deepcopy(Forecaster.load(DATA / "old_forecaster").network_.members[0])
    network.load_state_dict(checkpoint.model)
    optimizer = torch.optim.AdamW(network.parameters(), lr=1e-2)
    optimizer.load_state_dict(checkpoint.optimizer)
    for param in network.parameters():  # the state went to the parameter it belongs to
        assert optimizer.state[param]["exp_avg"].shape == param.shape
    x = torch.randn(2, 6, 3)
    before = [p.detach().clone() for p in network.parameters()]
    future = torch.randn(2, 3, 2)  # (B, K, known covariates): the calendar features
    network(x, future).square().mean().backward()
    optimizer.step()
    assert all(not torch.equal(b, p) for b, p in zip(before, network.parameters(),
                                                     strict=True))

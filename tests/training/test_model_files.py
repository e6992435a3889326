"""Model directories: round trip, format version, pickles refused without running them."""

from __future__ import annotations

import json
import os
import pickle

import pytest
import torch

from lstmkit import LSTM
from lstmkit.errors import ModelFileError
from lstmkit.training import FORMAT_VERSION, load_model_dir, save_model_dir

SCALER = {"kind": "standard", "mean": [1.5], "std": [0.5]}


def saved(tmp_path):
    model = LSTM(2, 3)
    path = save_model_dir(tmp_path / "model", model.state_dict(), {"hidden_size": 3},
                          {"scaler": SCALER}, task="forecast")
    return model, path


def test_model_dir_round_trip_restores_weights_config_and_transforms(tmp_path):
    model, path = saved(tmp_path)
    assert sorted(p.name for p in path.iterdir()) == [
        "config.json", "model.safetensors", "scaler.json"]
    files = load_model_dir(path)
    clone = LSTM(2, 3)
    clone.load_state_dict(files.state_dict)
    torch.testing.assert_close(clone.state_dict(), model.state_dict())
    assert (files.config, files.transforms, files.task, files.format_version) == (
        {"hidden_size": 3}, {"scaler": SCALER}, "forecast", FORMAT_VERSION)


def test_model_dir_save_replaces_an_existing_directory(tmp_path):
    _, path = saved(tmp_path)
    save_model_dir(path, {"w": torch.zeros(1)}, {"v": 2})
    assert load_model_dir(path).config == {"v": 2}
    assert not (path / "scaler.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


class WritesAFile:
    """Unpickling this creates a file: proof that a loader ran the payload."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


@pytest.mark.parametrize("victim", ["model.safetensors", "scaler.json", "config.json"])
def test_model_dir_pickle_payload_is_refused_and_not_run(tmp_path, victim):
    _, path = saved(tmp_path)
    target = tmp_path / "pwned"
    (path / victim).write_bytes(pickle.dumps(WritesAFile(str(target))))
    with pytest.raises(ModelFileError, match=f"{path / victim}: refusing to load a pickle"):
        load_model_dir(path)
    assert not target.exists()


def test_model_dir_torch_save_file_is_refused(tmp_path):
    _, path = saved(tmp_path)
    torch.save(LSTM(2, 3).state_dict(), path / "model.safetensors")
    with pytest.raises(ModelFileError, match="refusing to load a pickle file"):
        load_model_dir(path)


def test_model_dir_from_newer_format_version_says_so(tmp_path):
    _, path = saved(tmp_path)
    header = json.loads((path / "config.json").read_text())
    header.update(format_version=FORMAT_VERSION + 1, lstmkit_version="9.0")
    (path / "config.json").write_text(json.dumps(header))
    with pytest.raises(ModelFileError, match=f"saved with model format version "
                       f"{FORMAT_VERSION + 1} \\(lstmkit 9.0\\), but this lstmkit .* reads "
                       f"format versions up to {FORMAT_VERSION}; upgrade lstmkit"):
        load_model_dir(path)


def test_model_dir_missing_parts_are_named(tmp_path):
    _, path = saved(tmp_path)
    os.remove(path / "scaler.json")
    with pytest.raises(ModelFileError, match=r"scaler\.json: missing from the model directory"):
        load_model_dir(path)
    with pytest.raises(ModelFileError, match="nowhere: no such model directory"):
        load_model_dir(tmp_path / "nowhere")


def test_model_dir_rejects_reserved_transform_names(tmp_path):
    with pytest.raises(ValueError, match="transform names must be identifiers"):
        save_model_dir(tmp_path / "m", {}, {}, {"config": {}})

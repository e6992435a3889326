"""Model directories: round trip, format version, pickles refused without running them."""

from __future__ import annotations

import json
import os
import pickle
import re

import pytest
import torch

from lstmkit import LSTM
from lstmkit.errors import CheckpointError, ModelFileError
from lstmkit.io import read_bounded
from lstmkit.limits import MAX_HEADER_BYTES, MAX_JSON_BYTES
from lstmkit.training import FORMAT_VERSION, load_checkpoint, load_model_dir, save_model_dir
from lstmkit.training.safetensors_io import read_tensors, write_tensors

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


# -- loaders that trust nothing ---------------------------------------------------------
def test_model_dir_refuses_a_symlink_out_of_the_directory(tmp_path):
    _, path = saved(tmp_path)
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps(SCALER))
    (path / "scaler.json").unlink()
    (path / "scaler.json").symlink_to(outside)
    with pytest.raises(ModelFileError, match=r"scaler\.json: a symbolic link to .*outside\.json, "
                       "outside .*; refusing to read it"):
        load_model_dir(path)


def test_model_dir_follows_a_symlink_that_stays_inside(tmp_path):
    _, path = saved(tmp_path)
    os.rename(path / "scaler.json", path / "real.json")
    (path / "scaler.json").symlink_to("real.json")
    assert load_model_dir(path).transforms == {"scaler": SCALER}


@pytest.mark.parametrize("victim", ["config.json", "model.safetensors", "scaler.json"])
def test_model_dir_fifo_is_refused_without_blocking(tmp_path, victim):
    _, path = saved(tmp_path)
    (path / victim).unlink()
    os.mkfifo(path / victim)
    with pytest.raises(ModelFileError, match=f"{victim}: a FIFO \\(named pipe\\), not a regular "
                       "file"):
        load_model_dir(path)


def test_read_bounded_refuses_devices_and_directories(tmp_path):
    with pytest.raises(ModelFileError, match="/dev/zero: a character device, not a regular"):
        read_bounded("/dev/zero", limit=10, error=ModelFileError)
    with pytest.raises(ModelFileError, match="a directory, not a regular file"):
        read_bounded(tmp_path, limit=10, error=ModelFileError)
    with pytest.raises(ModelFileError, match="nowhere: file not found"):
        read_bounded(tmp_path / "nowhere", limit=10, error=ModelFileError)


def test_read_bounded_checks_the_size_before_reading(tmp_path):
    big = tmp_path / "big"
    with open(big, "wb") as f:
        f.truncate(2**40)  # sparse: a terabyte that takes no space
    with pytest.raises(ModelFileError, match=f"big: {2**40} bytes, more than the 1000 "):
        read_bounded(big, limit=1000, error=ModelFileError)
    (tmp_path / "small").write_bytes(b"x" * 1000)
    assert read_bounded(tmp_path / "small", limit=1000) == b"x" * 1000


def test_model_dir_oversize_json_is_refused(tmp_path):
    _, path = saved(tmp_path)
    with open(path / "scaler.json", "r+b") as f:
        f.truncate(MAX_JSON_BYTES + 1)
    with pytest.raises(ModelFileError, match=r"scaler\.json: 67108865 bytes, more than"):
        load_model_dir(path)


@pytest.mark.parametrize("name", ["../../etc/x", "a/b", "config", "", "x.y", 3])
def test_model_dir_transform_names_must_be_simple(tmp_path, name):
    _, path = saved(tmp_path)
    header = json.loads((path / "config.json").read_text())
    header["transforms"] = [name]
    (path / "config.json").write_text(json.dumps(header))
    with pytest.raises(ModelFileError, match=f"config\\.json: transform name "
                       f"{re.escape(json.dumps(name))} is not a simple name"):
        load_model_dir(path)


def test_safetensors_header_longer_than_the_cap_is_refused(tmp_path):
    path = tmp_path / "w.safetensors"
    path.write_bytes((MAX_HEADER_BYTES + 1).to_bytes(8, "little") + b"{}")
    with pytest.raises(ModelFileError, match="more than the 104857600 a safetensors header"):
        read_tensors(path, ModelFileError)


def test_checkpoint_fifo_and_bad_version_are_one_error(tmp_path):
    os.mkfifo(tmp_path / "last.safetensors")
    with pytest.raises(CheckpointError, match="FIFO"):
        load_checkpoint(tmp_path / "last.safetensors")
    path = tmp_path / "other.safetensors"
    write_tensors(path, {}, {"format": "lstmkit-checkpoint", "version": "x1"})
    with pytest.raises(CheckpointError, match="format version 'x1' is not a number"):
        load_checkpoint(path)


@pytest.mark.parametrize("kind", ["user-dir", "file", "home", "cwd"])
def test_save_model_dir_never_replaces_what_lstmkit_did_not_write(tmp_path, monkeypatch, kind):
    from lstmkit.training import save_model_dir

    monkeypatch.chdir(tmp_path)
    target = tmp_path / "target"
    if kind == "user-dir":
        target.mkdir()
        (target / "notes.txt").write_text("important")
        message = "not an lstmkit model directory"
    elif kind == "file":
        target.write_text("important")
        message = "exists and is not a directory"
    elif kind == "home":
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        target = tmp_path / "home"
        target.mkdir()
        message = "refusing to write into the home directory"
    else:
        target = tmp_path
        message = "refusing to write into the working directory"
    before = sorted(p.name for p in target.iterdir()) if target.is_dir() else None
    with pytest.raises(ModelFileError, match=message):
        save_model_dir(target, {"w": torch.zeros(2)}, {})
    if before is not None:
        assert sorted(p.name for p in target.iterdir()) == before
    else:
        assert target.read_text() == "important"


def test_save_model_dir_replaces_an_lstmkit_model_directory(tmp_path):
    from lstmkit.training import load_model_dir, save_model_dir

    save_model_dir(tmp_path / "m", {"w": torch.zeros(2)}, {"a": 1})
    save_model_dir(tmp_path / "m", {"w": torch.ones(3)}, {"a": 2})
    files = load_model_dir(tmp_path / "m")
    assert files.config == {"a": 2} and files.state_dict["w"].shape == (3,)


@pytest.mark.parametrize("header", [640, 896, 1152, 1408])  # 80 02, 80 03, ...: pickle-like
def test_safetensors_whose_header_size_starts_like_a_pickle_still_load(tmp_path, header):
    from lstmkit.training.safetensors_io import read_tensors, write_tensors

    path, tensors = tmp_path / "w.safetensors", {"w": torch.arange(3.0)}
    for pad in range(header):  # metadata sized so the JSON header is `header` bytes
        write_tensors(path, tensors, {"pad": "x" * pad})
        if int.from_bytes(path.read_bytes()[:8], "little") >= header:
            break
    data = path.read_bytes()
    assert int.from_bytes(data[:8], "little") == header
    loaded, metadata = read_tensors(path)
    assert torch.equal(loaded["w"], tensors["w"]) and metadata["pad"] == "x" * pad

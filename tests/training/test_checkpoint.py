"""Checkpoint files: round trip, atomic writes, clear errors for broken files."""

from __future__ import annotations

import os

import pytest
import torch

from lstmkit.errors import CheckpointError
from lstmkit.training import Checkpoint, load_checkpoint, save_checkpoint
from lstmkit.training.seeding import capture_rng


def make_checkpoint(step: int) -> Checkpoint:
    model = torch.nn.LSTM(3, 4)
    optimizer = torch.optim.AdamW(model.parameters())
    model(torch.randn(2, 1, 3))[0].sum().backward()
    optimizer.step()
    return Checkpoint(model=model.state_dict(), optimizer=optimizer.state_dict(),
                      scheduler=None, rng=capture_rng(), progress={"step": step},
                      config={"train": {"lr": 0.1}},
                      carried_state=(torch.ones(1, 2, 4), torch.zeros(1, 2, 4)),
                      extra={"run_id": "abc"})


def test_checkpoint_round_trip_keeps_every_part(tmp_path):
    ckpt = make_checkpoint(3)
    loaded = load_checkpoint(save_checkpoint(tmp_path / "last.safetensors", ckpt))
    torch.testing.assert_close(loaded.model, ckpt.model)
    torch.testing.assert_close(loaded.optimizer["state"], ckpt.optimizer["state"])
    assert loaded.optimizer["param_groups"][0]["betas"] == (0.9, 0.999)
    assert torch.equal(loaded.rng["torch"], ckpt.rng["torch"])
    assert loaded.rng["python"] == ckpt.rng["python"]
    assert isinstance(loaded.carried_state, tuple)
    assert (loaded.progress, loaded.config, loaded.extra) == (
        {"step": 3}, {"train": {"lr": 0.1}}, {"run_id": "abc"})


def test_checkpoint_crash_during_write_leaves_previous_loadable(tmp_path, monkeypatch):
    path = tmp_path / "last.safetensors"
    save_checkpoint(path, make_checkpoint(1))

    def crash(fd):
        raise OSError("simulated crash during write")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="simulated crash"):
        save_checkpoint(path, make_checkpoint(2))
    monkeypatch.undo()
    assert load_checkpoint(path).progress == {"step": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.safetensors"]


def test_checkpoint_truncated_file_error_names_the_file(tmp_path):
    path = save_checkpoint(tmp_path / "last.safetensors", make_checkpoint(1))
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(CheckpointError, match=f"{path}: corrupt or truncated"):
        load_checkpoint(path)


def test_checkpoint_garbage_and_empty_files_are_errors_naming_the_file(tmp_path):
    path = tmp_path / "last.safetensors"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match=f"{path}: truncated file"):
        load_checkpoint(path)
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    with pytest.raises(CheckpointError, match=f"{path}: corrupt safetensors file"):
        load_checkpoint(path)


def test_checkpoint_from_torch_save_is_refused_as_pickle(tmp_path):
    path = tmp_path / "last.safetensors"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(CheckpointError, match="refusing to load a pickle file"):
        load_checkpoint(path)


def test_checkpoint_missing_file_error_names_the_file(tmp_path):
    with pytest.raises(CheckpointError, match=r"nope\.safetensors: file not found"):
        load_checkpoint(tmp_path / "nope.safetensors")

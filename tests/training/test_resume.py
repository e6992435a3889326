"""Kill-and-resume: a run killed with SIGKILL and resumed ends with the same weights."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import safetensors.torch
import torch

from lstmkit.errors import CheckpointError
from lstmkit.training import (
    Callback,
    TensorBatches,
    TrainConfig,
    Trainer,
    load_checkpoint,
    seed_everything,
    supervised_step,
)

JOB = Path(__file__).with_name("resume_job.py")


def run_job(*args: str | Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(JOB), *map(str, args)])


def test_trainer_sigkill_then_resume_matches_uninterrupted_run(tmp_path):
    full = run_job(tmp_path / "full", tmp_path / "full.safetensors")
    killed = run_job(tmp_path / "killed", tmp_path / "unused.safetensors", "--slow")
    last = tmp_path / "killed" / "last.safetensors"
    deadline = time.monotonic() + 120
    while not (last.exists() and load_checkpoint(last).progress["step"] >= 13):
        assert killed.poll() is None and time.monotonic() < deadline, "job ended too early"
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    assert killed.wait() == -signal.SIGKILL
    assert 13 <= load_checkpoint(last).progress["step"] < 30
    resumed = run_job(tmp_path / "killed", tmp_path / "resumed.safetensors", "--resume")
    assert resumed.wait() == 0 and full.wait() == 0
    expected = safetensors.torch.load_file(tmp_path / "full.safetensors")
    got = safetensors.torch.load_file(tmp_path / "resumed.safetensors")
    assert expected.keys() == got.keys()
    for name in expected:
        torch.testing.assert_close(got[name], expected[name])


class CrashAt(Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, trainer, loss):
        if trainer.step == self.step:
            raise RuntimeError("simulated crash")


def shuffled_run(tmp_path: Path, callbacks=(), resume=False) -> torch.nn.Module:
    seed_everything(0)
    x, y = torch.randn(40, 5), torch.randn(40, 1)
    model = torch.nn.Sequential(torch.nn.Linear(5, 16), torch.nn.Dropout(0.2),
                                torch.nn.Tanh(), torch.nn.Linear(16, 1))
    config = TrainConfig(epochs=3, lr=1e-2, checkpoint_every=1, seed=3, schedule="linear")
    trainer = Trainer(model, supervised_step(torch.nn.functional.mse_loss), config,
                      checkpoint_dir=tmp_path, callbacks=callbacks, progress=False)
    trainer.fit(TensorBatches(x, y, batch_size=8), TensorBatches(x, y, batch_size=8),
                resume=resume)
    return model


def test_trainer_resume_mid_epoch_with_shuffled_batches_matches(tmp_path):
    expected = shuffled_run(tmp_path / "a").state_dict()
    with pytest.raises(RuntimeError, match="simulated crash"):
        shuffled_run(tmp_path / "b", callbacks=[CrashAt(7)])
    assert load_checkpoint(tmp_path / "b" / "last.safetensors").progress["batch"] == 1
    got = shuffled_run(tmp_path / "b", resume=True).state_dict()
    for name in expected:
        torch.testing.assert_close(got[name], expected[name])


def test_trainer_resume_without_checkpoint_names_the_path(tmp_path):
    with pytest.raises(CheckpointError, match=f"no checkpoint at {tmp_path}"):
        shuffled_run(tmp_path, resume=True)


def test_trainer_resume_with_changed_config_is_refused(tmp_path):
    shuffled_run(tmp_path)
    model = torch.nn.Linear(5, 1)
    trainer = Trainer(model, supervised_step(torch.nn.functional.mse_loss),
                      TrainConfig(epochs=3, lr=0.5), checkpoint_dir=tmp_path, progress=False)
    with pytest.raises(CheckpointError, match="config changed in train"):
        trainer.fit([(torch.randn(8, 5), torch.randn(8, 1))], resume=True)


def test_trainer_ctrl_c_saves_checkpoint_and_stops_cleanly(tmp_path):
    from lstmkit.errors import TrainingStopped

    class CtrlC(Callback):
        def on_step_end(self, trainer, loss):
            if trainer.step == 5:
                os.kill(os.getpid(), signal.SIGINT)

    # a process started in the background inherits SIGINT ignored: start from Python's own
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(TrainingStopped, match="interrupted at epoch 1, step 5") as info:
            shuffled_run(tmp_path, callbacks=[CtrlC()])
        assert info.value.exit_code == 130
        assert load_checkpoint(tmp_path / "last.safetensors").progress["step"] == 5
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
    finally:
        signal.signal(signal.SIGINT, before)


def test_trainer_checkpoints_the_first_epoch_then_every_interval_and_the_end(tmp_path,
                                                                              monkeypatch):
    import lstmkit.training.trainer as trainer_module

    saved = []
    real = trainer_module.save_checkpoint
    monkeypatch.setattr(trainer_module, "save_checkpoint",
                        lambda path, ckpt: saved.append((path.name, ckpt.progress["epoch"]))
                        or real(path, ckpt))
    seed_everything(0)
    x, y = torch.randn(40, 5), torch.randn(40, 1)
    model = torch.nn.Linear(5, 1)
    trainer = Trainer(model, supervised_step(torch.nn.functional.mse_loss),
                      TrainConfig(epochs=12, lr=1e-2, restore_best=False),
                      checkpoint_dir=tmp_path, progress=False)
    trainer.fit(TensorBatches(x, y, batch_size=8), TensorBatches(x, y, batch_size=40))
    # milliseconds per epoch: epoch 1 and the end are written, nothing in between
    assert [s for s in saved if s[0] == "last.safetensors"] == [("last.safetensors", 1),
                                                                 ("last.safetensors", 12)]
    assert saved[-1] == ("best.safetensors", 12) or trainer.best_epoch != 12
    ckpt = load_checkpoint(tmp_path / "last.safetensors")
    assert ckpt.progress["best_epoch"] == trainer.best_epoch
    best = load_checkpoint(tmp_path / "best.safetensors")
    torch.testing.assert_close(best.model["weight"], trainer.best_state["weight"])

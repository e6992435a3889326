"""A tiny data-parallel training for the distributed tests: a float64 two-layer network
on synthetic regression data, trained by the :class:`Trainer` with or without a
process group (``torch.multiprocessing.spawn`` starts the ranks, gloo over loopback).

Run by torchrun (``python -m torch.distributed.run ... ddp_job.py FOLDER CRASH_AT``) it
trains in FOLDER, resuming from its checkpoint if there is one; rank 1 exits with status 1
at step CRASH_AT the first time (a marker file remembers), so torchrun restarts the group.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import safetensors.torch
import torch
import torch.distributed as dist

from lstmkit.errors import TrainingStopped
from lstmkit.training import Callback, TensorBatches, TrainConfig, Trainer, supervised_step
from lstmkit.training.distributed import init_from_env
from lstmkit.training.seeding import seed_everything

CONFIG = TrainConfig(epochs=3, lr=0.05, seed=3, grad_clip=0.5, schedule="cosine")


class Recorder(Callback):
    """Counts the checkpoints this rank wrote; asks the trainer to stop at ``stop_at``
    (the Ctrl-C path: a checkpoint is saved, then TrainingStopped)."""

    def __init__(self, stop_at: int | None = None, crash: Path | None = None,
                 crash_at: int | None = None) -> None:
        self.stop_at, self.checkpoints, self.rows = stop_at, 0, 0
        self.crash, self.crash_at = crash, crash_at

    def on_step_end(self, trainer: Trainer, loss: float) -> None:
        if trainer.step == self.stop_at:
            trainer._request_stop()
        if trainer.step == self.crash_at and not self.crash.exists():
            self.crash.write_text("crashed once")
            os._exit(1)

    def on_checkpoint(self, trainer: Trainer, path: Path) -> None:
        self.checkpoints += 1


def data() -> tuple[TensorBatches, TensorBatches]:
    """48 training rows in global batches of 8 (shuffled each epoch), 16 validation rows."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 3, generator=g, dtype=torch.float64)
    y = torch.sin(x.sum(1, keepdim=True))
    return (TensorBatches(x[:48], y[:48], batch_size=8),
            TensorBatches(x[48:], y[48:], batch_size=16, shuffle=False))


def train(folder: Path | None, *, resume: bool = False, stop_at: int | None = None,
          recorder: Recorder | None = None) -> tuple[dict[str, torch.Tensor], Recorder]:
    """Train (or resume) and return the final weights and the recorder."""
    seed_everything(1)
    model = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(),
                                torch.nn.Linear(8, 1)).double()
    recorder = recorder or Recorder(stop_at)
    step = supervised_step(torch.nn.functional.mse_loss)

    def counting_step(net, batch, state):
        if net.training:
            recorder.rows += batch[0].shape[0]
        return step(net, batch, state)

    trainer = Trainer(model, counting_step, CONFIG,
                      checkpoint_dir=None if folder is None else folder / "ckpt",
                      callbacks=[recorder], progress=False)
    train_batches, val = data()
    try:
        trainer.fit(train_batches, val, resume=resume)
    except TrainingStopped:
        pass
    return {k: v.clone() for k, v in model.state_dict().items()}, recorder


def rank_main(rank: int, world_size: int, port: int, folder: str, resume: bool,
              stop_at: int | None) -> None:
    """One rank: join the group, train, write this rank's weights and checkpoint count."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        weights, recorder = train(Path(folder), resume=resume, stop_at=stop_at)
    finally:
        dist.destroy_process_group()
    out = Path(folder)
    safetensors.torch.save_file(weights, str(out / f"weights-rank{rank}.safetensors"))
    (out / f"checkpoints-rank{rank}.txt").write_text(str(recorder.checkpoints))
    (out / f"rows-rank{rank}.txt").write_text(str(recorder.rows))


def torchrun_main(folder: Path, crash_at: int) -> None:
    """One rank started by torchrun; see the module docstring."""
    torch.set_num_threads(1)
    init_from_env("gloo")
    rank = dist.get_rank()
    crash = folder / "crashed" if rank == 1 else None
    resume = (folder / "ckpt" / "last.safetensors").exists()
    (folder / f"started-rank{rank}.txt").open("a").write("resumed\n" if resume else "new\n")
    recorder = Recorder(crash=crash, crash_at=crash_at if crash else None)
    weights, _ = train(folder, resume=resume, recorder=recorder)
    dist.destroy_process_group()
    (folder / f"rows-rank{rank}.txt").write_text(str(recorder.rows))
    if rank == 0:
        safetensors.torch.save_file(weights, str(folder / "weights.safetensors"))


if __name__ == "__main__":
    torchrun_main(Path(sys.argv[1]), int(sys.argv[2]))

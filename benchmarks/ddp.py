"""Data-parallel training on this machine: 2 processes against 1, same global batch.

    python benchmarks/ddp.py [--epochs 10] [--hidden 64] [--seq-len 20] [--n-train 4096]

An LSTM (lstmkit's ``LSTM`` layer and a linear head) on the adding problem (synthetic:
T steps of a random value and a marker, the target is the sum of the two marked
values), trained by the :class:`~lstmkit.training.Trainer` with the same settings and
global batch of 64 twice:

1. one process with all the cores this process may use as torch threads;
2. two processes (``torch.multiprocessing.spawn``, gloo over loopback), each with half
   the cores, each computing half of every batch (what ``lstmkit train --nproc 2``
   does);
3. one process with one thread (is a gain of 2. over 1. data parallelism, or only
   that small LSTMs use intra-op threads poorly?).

It prints the training throughput (samples per second of ``fit``, validation included)
of each and their ratio, and the time each took to first reach the same validation loss
(the higher of the two runs' final losses, so both reach it) and their ratio, with the
load average before and after (the machine may be shared: re-run on a quiet one).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from lstmkit.layers import LSTM
from lstmkit.training import Callback, TensorBatches, TrainConfig, Trainer, supervised_step
from lstmkit.training.seeding import seed_everything


class Regressor(torch.nn.Module):
    """LSTM over the sequence, a linear head on the last step."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.rnn = LSTM(2, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, 2) -> (B, 1)."""
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def adding_data(n: int, seq_len: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The adding problem: values in [0, 1), two marked steps, target their sum."""
    g = torch.Generator().manual_seed(seed)
    values = torch.rand(n, seq_len, generator=g)
    marks = torch.zeros(n, seq_len)
    first = torch.randint(0, seq_len // 2, (n,), generator=g)
    second = torch.randint(seq_len // 2, seq_len, (n,), generator=g)
    marks[torch.arange(n), first] = 1.0
    marks[torch.arange(n), second] = 1.0
    return torch.stack([values, marks], dim=2), (values * marks).sum(1, keepdim=True)


class Clock(Callback):
    """The wall time (from the start of ``fit``) and validation loss of every epoch."""

    def __init__(self) -> None:
        self.start, self.epochs = 0.0, []

    def on_fit_start(self, trainer: Trainer) -> None:
        """Start the clock."""
        self.start = time.perf_counter()

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        """Record the epoch's time and validation loss."""
        self.epochs.append((time.perf_counter() - self.start, metrics["val_loss"]))


def cores() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        os.cpu_count() or 1


def run_rank(rank: int, world: int, threads: int, port: int, args: argparse.Namespace,
             out: str) -> None:
    """One process: join the group (if several), train, rank 0 writes the timings."""
    torch.set_num_threads(threads)
    if world > 1:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}",
                                rank=rank, world_size=world)
    seed_everything(0)
    x, y = adding_data(args.n_train + 512, args.seq_len, seed=1)
    train = TensorBatches(x[:args.n_train], y[:args.n_train], batch_size=64)
    val = TensorBatches(x[args.n_train:], y[args.n_train:], batch_size=256, shuffle=False)
    clock = Clock()
    trainer = Trainer(Regressor(args.hidden), supervised_step(torch.nn.functional.mse_loss),
                      TrainConfig(epochs=args.epochs, lr=1e-2, seed=0), callbacks=[clock],
                      progress=False)
    trainer.fit(train, val)
    if rank == 0:
        Path(out).write_text(json.dumps(clock.epochs))
    if world > 1:
        dist.destroy_process_group()


def measure(world: int, threads: int,
            args: argparse.Namespace) -> list[tuple[float, float]]:
    """Train with ``world`` processes of ``threads`` threads; the (seconds, val_loss) of
    each epoch."""
    with tempfile.TemporaryDirectory(prefix="lstmkit-bench-ddp-") as folder:
        out = str(Path(folder) / "epochs.json")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        mp.spawn(run_rank, args=(world, threads, port, args, out), nprocs=world, join=True)
        return [tuple(e) for e in json.loads(Path(out).read_text())]


def reached(epochs: list[tuple[float, float]], target: float) -> float:
    """The time of the first epoch whose validation loss is <= ``target``."""
    return next(t for t, loss in epochs if loss <= target)


def main() -> None:
    """Measure 1 and 2 processes; print throughput and time-to-loss ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--seq-len", type=int, default=20)
    parser.add_argument("--n-train", type=int, default=4096)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"adding problem T={args.seq_len}, LSTM hidden {args.hidden}, {args.n_train} "
          f"training rows, global batch 64, {args.epochs} epochs; load average before: "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    runs = {}
    plans = {"1 process x all cores": (1, cores()), "2 processes": (2, max(1, cores() // 2)),
             "1 process x 1 thread": (1, 1)}
    for name, (world, threads) in plans.items():
        runs[name] = measure(world, threads, args)
        seconds = runs[name][-1][0]
        print(f"{name:22s} ({threads} thread(s) each): "
              f"{args.n_train * args.epochs / seconds:6.0f} samples/s, {seconds:6.1f} s, "
              f"val_loss by epoch {' '.join(f'{v:.4f}' for _, v in runs[name])}", flush=True)
    one, two = runs["1 process x all cores"], runs["2 processes"]
    target = max(one[-1][1], two[-1][1])
    to_target = [reached(r, target) for r in (one, two)]
    print(f"throughput ratio 2 processes / 1 process x all cores: {one[-1][0] / two[-1][0]:.2f}"
          f"; / 1 process x 1 thread: {runs['1 process x 1 thread'][-1][0] / two[-1][0]:.2f}")
    print(f"time to val_loss {target:.5f}: 1 process {to_target[0]:.1f} s, 2 processes "
          f"{to_target[1]:.1f} s; ratio 2 / 1: {to_target[1] / to_target[0]:.2f}")
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    sys.exit(main())

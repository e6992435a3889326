"""A small training job for the kill-and-resume test, run as a subprocess.

Usage: python resume_job.py CHECKPOINT_DIR WEIGHTS_OUT [--resume] [--slow]
"""

from __future__ import annotations

import sys
import time

import safetensors.torch
import torch

import lstmkit
from lstmkit.training import Callback, StreamBatches, TrainConfig, Trainer, seed_everything

CONFIG = TrainConfig(epochs=3, lr=1e-2, tbptt=True, checkpoint_every=2, seed=7,
                     schedule="cosine", warmup_steps=3)


class TinyLM(torch.nn.Module):
    """Two-layer LSTM with dropout (so RNG state matters) over a stream of values."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = lstmkit.LSTM(1, 8, num_layers=2, dropout=0.3, batch_first=True)
        self.head = torch.nn.Linear(8, 1)

    def forward(self, x, state):
        out, state = self.lstm(x.unsqueeze(-1), state)  # (B, T) -> (B, T, 1)
        return self.head(out).squeeze(-1), state  # (B, T, 1) -> (B, T)


def step_fn(model, batch, state):
    """MSE of next-value prediction, carrying the LSTM state."""
    x, y = batch
    pred, state = model(x, state)
    return torch.nn.functional.mse_loss(pred, y), state


class Slow(Callback):
    """Sleeps after each step so the parent can kill the process mid-run."""

    def on_step_end(self, trainer, loss):
        time.sleep(0.2)


def train(checkpoint_dir: str, resume: bool, slow: bool) -> dict[str, torch.Tensor]:
    """Train the tiny model; return its final weights."""
    seed_everything(0)
    stream = torch.sin(torch.arange(400, dtype=torch.float32) / 5) + 0.1 * torch.randn(400)
    model = TinyLM()
    trainer = Trainer(model, step_fn, CONFIG, checkpoint_dir=checkpoint_dir,
                      callbacks=[Slow()] if slow else [], progress=False)
    trainer.fit(StreamBatches(stream, batch_size=4, bptt=10), resume=resume)
    return model.state_dict()


if __name__ == "__main__":
    weights = train(sys.argv[1], "--resume" in sys.argv, "--slow" in sys.argv)
    safetensors.torch.save_file({k: v.contiguous() for k, v in weights.items()}, sys.argv[2])

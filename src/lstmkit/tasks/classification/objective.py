"""The classifier's training objective and validation metrics, for the engine's
:class:`~lstmkit.training.Trainer`, and its logits over many sequences in batches."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...training import TensorBatches
from .batchnorm import precise_batchnorm
from .encoding import trim

#: Sequences per batch when predicting or validating.
PREDICT_BATCH = 256


def forward_batch(model: nn.Module, batch: tuple[Tensor, ...]) -> Tensor:
    """The logits of one ``(x, lengths, y)`` batch."""
    x, lengths = batch[0], batch[1]
    return model(trim(x, lengths), lengths)


@torch.no_grad()
def batch_logits(network: nn.Module, x: Tensor, lengths: Tensor) -> Tensor:
    """``network``'s logits over ``(x, lengths)`` in batches of :data:`PREDICT_BATCH`,
    in eval mode, without gradients.

    Shape:
        x (N, T, ...), lengths (N,) -> (N, C).
    """
    network.eval()
    return torch.cat([forward_batch(network, (x[i:i + PREDICT_BATCH],
                                              lengths[i:i + PREDICT_BATCH]))
                      for i in range(0, len(x), PREDICT_BATCH)])


def objective(weights: Tensor | None, train_batches: TensorBatches):
    """The training step (weighted cross-entropy on ``(x, lengths, y)`` batches) and the
    validation metrics (``val_loss``, ``val_accuracy``) of the network with its
    batch-norm statistics recomputed on ``train_batches`` (:mod:`.batchnorm`)."""

    def step(model: nn.Module, batch: tuple[Tensor, ...], state: Any):
        return F.cross_entropy(forward_batch(model, batch), batch[2], weight=weights), None

    def evaluate(model: nn.Module, batches) -> dict[str, float]:
        precise_batchnorm(model, train_batches.epoch(0, seed=0), forward_batch)
        model.eval()
        loss = correct = count = 0.0
        with torch.no_grad():
            for x, lengths, y in batches.epoch(0, seed=0):
                logits = model(trim(x, lengths), lengths)
                loss += float(F.cross_entropy(logits, y, weight=weights, reduction="sum"))
                correct += float((logits.argmax(1) == y).sum())
                count += len(y)
        model.train()
        return {"val_loss": loss / max(count, 1), "val_accuracy": correct / max(count, 1)}

    return step, evaluate

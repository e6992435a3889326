"""The optimizer and the per-step learning-rate schedule named by a ``TrainConfig``."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch import nn

from .config import TrainConfig


def make_optimizer(config: TrainConfig, params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
    """``AdamW`` (default), ``Adam`` or ``SGD`` with momentum, as ``config`` says."""
    params = [p for p in params if p.requires_grad]
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(params, lr=config.lr, momentum=0.9, weight_decay=config.weight_decay)


def lr_factor(config: TrainConfig, total_steps: int) -> Callable[[int], float]:
    """The multiplier of ``lr`` at each step: linear warm-up, then the schedule."""
    warmup, schedule = config.warmup_steps, config.schedule

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total_steps - warmup))
        if schedule == "linear":
            return 1.0 - progress
        if schedule == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        return 1.0

    return factor


def make_scheduler(config: TrainConfig, optimizer: torch.optim.Optimizer,
                   total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """A per-step ``LambdaLR`` following :func:`lr_factor`."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(config, total_steps))

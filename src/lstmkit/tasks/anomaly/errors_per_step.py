"""Per-step errors of the two detectors' networks, over whole series in batched chunks.

Both networks are trained on windows from a zero state, so both score a series in
windows too, batched (the recurrence of one long series would be one slow sequential
pass): the prediction detector reads overlapping chunks of ``window + 1`` steps and
keeps, for every step, the prediction made with the most context; the reconstruction
detector averages each step's error over the overlapping windows that hold it.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

SCORE_BATCH = 512  # windows per forward pass when scoring


def window_starts(length: int, window: int, stride: int) -> np.ndarray:
    """Starts of windows of ``window`` steps every ``stride`` steps, the last one
    ending at the end of the series (``length >= window``)."""
    starts = np.arange(0, length - window + 1, stride)
    if starts[-1] != length - window:
        starts = np.append(starts, length - window)
    return starts


def training_windows(values: np.ndarray, window: int, stride: int) -> np.ndarray:
    """(N, window, C) windows of ``values`` (T, C), every ``stride`` steps."""
    starts = window_starts(len(values), window, stride)
    return np.stack([values[s:s + window] for s in starts])  # (N, W, C)


@torch.no_grad()
def _run(network: nn.Module, windows: np.ndarray) -> np.ndarray:
    outputs = []
    for i in range(0, len(windows), SCORE_BATCH):
        batch = torch.as_tensor(windows[i:i + SCORE_BATCH], dtype=torch.float32)
        outputs.append(network(batch).numpy())  # (B, W, C)
    return np.concatenate(outputs).astype(np.float64)


def prediction_errors(network: nn.Module, values: np.ndarray, window: int) -> np.ndarray:
    """|x[t] - prediction of x[t]| per step and channel, (T, C); the first step has no
    prediction and gets error 0.

    Chunks of ``window + 1`` steps start every ``window // 2`` steps; each step takes
    the error of the earliest chunk that predicts it (the one with the most context).
    """
    length = len(values)
    starts = window_starts(length, window + 1, max(window // 2, 1))
    chunks = np.stack([values[s:s + window + 1] for s in starts])  # (N, W+1, C)
    predicted = _run(network, chunks[:, :-1])  # (N, W, C): predicts chunks[:, 1:]
    errors = np.abs(predicted - chunks[:, 1:])
    result = np.zeros_like(values)
    for k in range(len(starts) - 1, -1, -1):  # earliest chunk written last: most context
        result[starts[k] + 1:starts[k] + window + 1] = errors[k]
    return result


def reconstruction_errors(network: nn.Module, values: np.ndarray, window: int
                          ) -> np.ndarray:
    """|x[t] - reconstruction of x[t]| per step and channel, (T, C), averaged over the
    windows (every ``window // 2`` steps) that hold the step."""
    starts = window_starts(len(values), window, max(window // 2, 1))
    windows = np.stack([values[s:s + window] for s in starts])  # (N, W, C)
    errors = np.abs(_run(network, windows) - windows)
    total, count = np.zeros_like(values), np.zeros((len(values), 1))
    for k, start in enumerate(starts):
        total[start:start + window] += errors[k]
        count[start:start + window] += 1
    return total / count


def step_errors(network: nn.Module, values: np.ndarray, window: int, detector: str
                ) -> np.ndarray:
    """The detector's per-step errors of ``values`` (T, C) (scaled), (T, C)."""
    if detector == "prediction":
        return prediction_errors(network, values, window)
    return reconstruction_errors(network, values, window)

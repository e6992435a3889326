"""Per-step errors of the two detectors' networks, over whole series in batched chunks.

Both networks are trained on windows from a zero state, so both score a series in
windows too, batched (the recurrence of one long series would be one slow sequential
pass), on a fixed grid of starts every ``window // 2`` steps from the series' start:
the prediction detector reads chunks of ``window`` steps and keeps, for every step, the
prediction made with the most context; the reconstruction detector averages each step's
error over the grid windows that hold it. Because the grid does not depend on where the
series ends, :mod:`.streaming` reproduces these errors step by step.
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


def grid_starts(length: int, stride: int) -> np.ndarray:
    """Chunk starts 0, stride, 2 * stride, ... before ``length - 1``: the fixed grid
    both the batch scorer and the streaming scorer (:mod:`.streaming`) use, so that a
    step's context does not depend on where a series ends."""
    return np.arange(0, max(length - 1, 1), stride)


def predicting_chunk(t: np.ndarray, window: int, stride: int) -> np.ndarray:
    """The start of the chunk whose prediction of step ``t`` (>= 1) is kept: the
    earliest grid chunk that predicts it (the one with the most context), that is the
    smallest multiple of ``stride`` at or after ``t - window``."""
    return np.maximum(-(-(t - window) // stride), 0) * stride


def prediction_errors(network: nn.Module, values: np.ndarray, window: int) -> np.ndarray:
    """|x[t] - prediction of x[t]| per step and channel, (T, C); the first step has no
    prediction and gets error 0.

    Chunks of ``window`` input steps start from a zero state every ``window // 2`` steps
    (:func:`grid_starts`; the last ones cut at the series' end: the network is causal,
    so the padding after the end changes nothing before it); each step takes the
    prediction of :func:`predicting_chunk`.
    """
    return prediction_outputs(network, values, window)[0]


def prediction_outputs(network: nn.Module, values: np.ndarray, window: int, *,
                       states: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """(errors (T, C) as :func:`prediction_errors`, and with ``states`` the encoder's
    output after reading each step (T, H), else None).

    A step's state is that of the chunk whose prediction of the next step is kept
    (:func:`predicting_chunk` of ``t + 1``): the state that prediction was made from, so
    the streaming scorer has it as soon as the step arrives.
    """
    length, stride = len(values), max(window // 2, 1)
    result = np.zeros_like(values)
    if length < 2 and not states:
        return result, None
    starts = grid_starts(length, stride)
    padded = np.concatenate([values, np.zeros((window, values.shape[1]))])
    chunks = np.lib.stride_tricks.sliding_window_view(padded, window + 1, axis=0)
    chunks = chunks[starts].transpose(0, 2, 1)  # (N, W+1, C)
    predicted, hidden = _run_states(network, chunks[:, :-1], states)  # (N, W, C|H)
    t = np.arange(1, length)
    start = predicting_chunk(t, window, stride)
    kept = predicted[start // stride, t - start - 1]  # (T-1, C)
    result[1:] = np.abs(kept - values[1:])
    if hidden is None:
        return result, None
    t = np.arange(length)
    start = predicting_chunk(t + 1, window, stride)
    return result, hidden[start // stride, t - start]  # (T, H)


@torch.no_grad()
def _run_states(network: nn.Module, windows: np.ndarray, states: bool
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """The predictions (N, W, C) of a :class:`~lstmkit.models.anomaly_nets.NextStepNet`
    and, with ``states``, its encoder's outputs (N, W, H)."""
    if not states:
        return _run(network, windows), None
    predicted, hidden = [], []
    for i in range(0, len(windows), SCORE_BATCH):
        batch = torch.as_tensor(windows[i:i + SCORE_BATCH], dtype=torch.float32)
        prediction, output = network.predict_windows(batch)  # (B, W, C), (B, W, H)
        predicted.append(prediction.numpy())
        hidden.append(output.numpy())
    return (np.concatenate(predicted).astype(np.float64),
            np.concatenate(hidden).astype(np.float64))


def reconstruction_errors(network: nn.Module, values: np.ndarray, window: int
                          ) -> np.ndarray:
    """|x[t] - reconstruction of x[t]| per step and channel, (T, C), averaged over the
    windows of the grid (every ``window // 2`` steps) that hold the step; steps after
    the last whole grid window take the window that ends at the series' end."""
    length, stride = len(values), max(window // 2, 1)
    starts = np.arange(0, length - window + 1, stride)
    windows = np.stack([values[s:s + window] for s in starts])  # (N, W, C)
    errors = np.abs(_run(network, windows) - windows)
    total, count = np.zeros_like(values), np.zeros((len(values), 1))
    for k, start in enumerate(starts):
        total[start:start + window] += errors[k]
        count[start:start + window] += 1
    covered = starts[-1] + window
    if covered < length:  # the tail: the window ending at the end, for those steps only
        tail = values[None, length - window:]
        total[covered:] = np.abs(_run(network, tail) - tail)[0, covered - length:]
        count[covered:] = 1
    return total / count


def step_errors(network: nn.Module, values: np.ndarray, window: int, detector: str
                ) -> np.ndarray:
    """The detector's per-step errors of ``values`` (T, C) (scaled), (T, C)."""
    if detector == "prediction":
        return prediction_errors(network, values, window)
    return reconstruction_errors(network, values, window)


def step_outputs(network: nn.Module, values: np.ndarray, window: int, detector: str, *,
                 states: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """(the detector's per-step errors (T, C), and with ``states`` the prediction
    detector's states (T, H) of :func:`prediction_outputs`, else None)."""
    if detector == "prediction":
        return prediction_outputs(network, values, window, states=states)
    return reconstruction_errors(network, values, window), None

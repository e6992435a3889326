"""Streaming errors: the per-step errors of :mod:`.errors_per_step`, computed as new
steps arrive, without reading the series' history again.

* :class:`PredictionStream` carries the LSTM state of the (two or three) grid chunks
  alive at the current step; each new step is one recurrent step of those chunks (one
  batched call), so a step's error is the batch scorer's, to float rounding, and comes
  out as soon as the step arrives.
* :class:`ReconstructionStream` keeps only the steps of the grid windows not yet
  complete (at most ``window + window // 2`` rows): a window is reconstructed as a
  whole when its last step arrives (the reconstruction is a function of the whole
  window), and a step's error is final, and emitted, once every grid window that holds
  it is complete: a latency below ``window`` steps.

Both smooth the errors with the same EWMA recursion as :func:`.scoring.ewma`, carried
as one value per channel.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .errors_per_step import _run, predicting_chunk


class EwmaState:
    """pandas' ``ewm(span, adjust=False).mean()`` as a recursion carried across calls.

    Args:
        span: the EWMA's span (1 or less: no smoothing).
        last: the smoothed value of the step before the next one (None: no step yet).
    """

    def __init__(self, span: int, last: np.ndarray | None = None) -> None:
        self.alpha = 2.0 / (span + 1.0) if span > 1 else 1.0
        self.last = last

    def push(self, errors: np.ndarray) -> np.ndarray:
        """Smoothed ``errors`` (n, C), continuing from the last step."""
        out = np.empty_like(errors)
        last = self.last
        for i, e in enumerate(errors):
            last = e if last is None else (1.0 - self.alpha) * last + self.alpha * e
            out[i] = last
        self.last = None if last is None else np.array(last, copy=True)
        return out


class PredictionStream:
    """Prediction errors of one series, step by step (see the module docstring).

    Args:
        network: a :class:`~lstmkit.models.anomaly_nets.NextStepNet`, in eval mode.
        window: the detector's window.
        channels: C.
        states: also return each step's state (that of the chunk whose prediction of
            the next step is kept), as :func:`.errors_per_step.prediction_outputs`.

    Attributes:
        t: the number of steps seen. starts: the grid chunks alive, oldest first.
        state: their batched recurrent state (batch = len(starts)).
        predictions: (len(starts), C): each live chunk's prediction of step ``t``.
        kept_state: (H,) the state of the last step seen (with ``states``).
    """

    def __init__(self, network: nn.Module, window: int, channels: int, *,
                 states: bool = False) -> None:
        self.network, self.window, self.stride = network, window, max(window // 2, 1)
        self.t, self.starts, self.track = 0, [], states
        self.state: tuple[torch.Tensor, ...] | None = None
        self.offsets = torch.zeros(0, channels)  # each live chunk's NextStepNet.offset
        self.predictions = np.zeros((0, channels))
        self.kept_state = np.zeros(network.encoder.output_size if states else 0)

    @torch.no_grad()
    def push(self, values: np.ndarray, *, errors: bool = True
             ) -> tuple[np.ndarray, np.ndarray | None]:
        """(errors (n, C), states (n, H) or None) of the new scaled steps ``values``
        (n, C); ``errors=False`` only advances the state (priming from history)."""
        out = np.zeros_like(values)
        track = self.track and errors
        kept = np.zeros((len(values), self.kept_state.shape[-1])) if track else None
        for i, x in enumerate(values):
            if errors and self.t > 0:
                start = self._chunk_of(self.t)
                out[i] = np.abs(self.predictions[self.starts.index(start)] - x)
            self._advance(x, states=track)
            if track:
                kept[i] = self.kept_state
        return out, kept

    def _advance(self, x: np.ndarray, *, states: bool = False) -> None:
        """Feed step ``t`` to the live chunks: drop the finished ones, start one on the
        grid, run one recurrent step of them all (with ``states``, keep the state of the
        chunk whose prediction of step ``t + 1`` is kept)."""
        keep = [k for k, s in enumerate(self.starts) if s + self.window > self.t]
        step = torch.as_tensor(x, dtype=torch.float32)
        if len(keep) < len(self.starts):
            self.starts = [self.starts[k] for k in keep]
            self.state = tuple(s[:, keep] for s in self.state) if keep else None
            self.offsets = self.offsets[keep]
        if self.t % self.stride == 0:
            self.starts.append(self.t)
            self.state = self._with_new_chunk()
            offset = self.network.offset(step[None])
            self.offsets = torch.cat([self.offsets, torch.zeros_like(step[None]) + offset])
        batch = step.expand(len(self.starts), -1) - self.offsets
        output, state = self.network.encoder.step(batch, self._as_hx(self.state))
        self.state = state if isinstance(state, tuple) else (state,)
        self.predictions = (self.network.head(output) + self.offsets).numpy().astype(np.float64)
        if states:  # the chunk whose prediction of step t + 1 is kept
            start = self._chunk_of(self.t + 1)
            self.kept_state = output[self.starts.index(start)].numpy().astype(np.float64)
        self.t += 1

    def _chunk_of(self, t: int) -> int:
        """:func:`.errors_per_step.predicting_chunk` of one step, in Python integers (a
        NumPy call per step costs more than the recurrent step's arithmetic)."""
        return max(-(-(t - self.window) // self.stride), 0) * self.stride

    def _with_new_chunk(self) -> tuple[torch.Tensor, ...]:
        """The live state with a zero state appended for the chunk starting now."""
        if self.state is None:
            probe = torch.zeros(1, self.predictions.shape[1])
            _, state = self.network.step(probe)
            zero = tuple(torch.zeros_like(s) for s in (state if isinstance(state, tuple)
                                                       else (state,)))
            return zero
        return tuple(torch.cat([s, torch.zeros_like(s[:, :1])], dim=1) for s in self.state)

    @staticmethod
    def _as_hx(state: tuple[torch.Tensor, ...]) -> torch.Tensor | tuple[torch.Tensor, ...]:
        return state[0] if len(state) == 1 else state

    def prime(self, history: np.ndarray) -> None:
        """Continue after ``history`` (T, C), the series so far: only its last steps
        (from the oldest chunk still alive at step T) are run."""
        length = len(history)
        first = int(predicting_chunk(np.asarray(length), self.window, self.stride))
        self.t = first
        self.push(history[first:], errors=False)


class ReconstructionStream:
    """Reconstruction errors of one series, emitted once final (see the module docstring).

    Args:
        network: a :class:`~lstmkit.models.anomaly_nets.WindowAutoencoder`, eval mode.
        window: the detector's window.
        channels: C.

    Attributes:
        t: the number of steps seen. done: the steps emitted (all before ``done``).
        base: the first step held in ``values``, ``total`` and ``count``.
    """

    def __init__(self, network: nn.Module, window: int, channels: int) -> None:
        self.network, self.window, self.stride = network, window, max(window // 2, 1)
        self.t = self.done = self.base = 0
        self.values = np.zeros((0, channels))
        self.total = np.zeros((0, channels))
        self.count = np.zeros((0, 1))

    def push(self, values: np.ndarray) -> tuple[int, np.ndarray]:
        """Add the new scaled steps ``values`` (n, C); return ``(first, errors)``: the
        errors (m, C) of the steps ``first .. first + m - 1`` that became final."""
        self.values = np.concatenate([self.values, values])
        self.total = np.concatenate([self.total, np.zeros_like(values)])
        self.count = np.concatenate([self.count, np.zeros((len(values), 1))])
        self.t += len(values)
        starts = np.arange(self.done, self.t - self.window + 1, self.stride)
        if len(starts):
            local = starts - self.base
            windows = np.stack([self.values[s:s + self.window] for s in local])
            errors = np.abs(_run(self.network, windows) - windows)
            for k, s in enumerate(local):
                self.total[s:s + self.window] += errors[k]
                self.count[s:s + self.window] += 1
            ready = int(starts[-1]) + self.stride  # the next grid window starts here
        else:
            ready = self.done
        first, end = self.done - self.base, ready - self.base
        emitted = self.total[first:end] / np.maximum(self.count[first:end], 1)
        first_step, self.done = self.done, ready
        self._trim()
        return first_step, emitted

    def _trim(self) -> None:
        """Forget the steps before ``done``: no window to come holds them."""
        cut = self.done - self.base
        self.values, self.total, self.count = (a[cut:] for a in (self.values, self.total,
                                                                 self.count))
        self.base = self.done

    def prime(self, history: np.ndarray) -> int:
        """Continue after ``history`` (T, C); returns ``done``, the steps final at T
        (the steps after are emitted by the next pushes)."""
        length, stride = len(history), self.stride
        complete = np.arange(0, length - self.window + 1, stride)
        pending = int(complete[-1]) + stride if len(complete) else 0
        first = max(int(np.ceil((pending - self.window + 1) / stride)) * stride, 0)
        self.t = self.done = self.base = first
        self.push(history[first:])
        return pending

"""Anomalies injected into a series at random, with their labels: what the label-free
tuning (``benchmarks/anomaly_tuning.py``, protocol 2) scores the candidate settings on.

Five kinds, each on one channel, sized in the statistics of the series' reference part
(the rows before ``start``):

* ``spike``: 3 steps shifted by 6 standard deviations;
* ``shift``: a 50-step level shift of 3 standard deviations;
* ``noise``: a 50-step burst of Gaussian noise of 2 standard deviations;
* ``bump``: a 100-step raised-cosine bump peaking at 5 standard deviations (a sustained
  out-of-range stretch, like the kettle events of the Suthaharan data);
* ``flat``: a 60-step in-range shape anomaly: the stretch replaced by the straight line
  between its end values plus noise of the first differences' standard deviation over
  sqrt(2) (the series' own step noise; a flat-lined pattern whose values stay in range,
  like a missing beat in an ECG).

The anomalies are placed at random without overlap, at least :data:`MIN_GAP` steps from
each other and from both ends of the region; the labels are 1 exactly on the injected
steps. A region too short for the full lengths gets every length scaled down by one
factor (a spike keeps its 3 steps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The injected kinds, their lengths in steps.
LENGTHS = {"spike": 3, "shift": 50, "noise": 50, "bump": 100, "flat": 60}
#: Unlabelled steps kept between two anomalies and at the ends of the region.
MIN_GAP = 10


@dataclass(frozen=True)
class Injection:
    """One injected anomaly: its kind, rows ``start:end`` and channel."""

    kind: str
    start: int
    end: int
    channel: int


def inject(values: np.ndarray, start: int, rng: np.random.Generator,
           kinds: tuple[str, ...] = tuple(LENGTHS)
           ) -> tuple[np.ndarray, np.ndarray, list[Injection]]:
    """Inject one anomaly of every kind in ``kinds`` into ``values[start:]``.

    Args:
        values: the series, (T, C); not changed.
        start: the first row of the region; the rows before it are the reference part
            whose standard deviations size the anomalies.
        rng: the random draw (places, order, channels, signs, noise).
        kinds: the kinds to inject (keys of :data:`LENGTHS`), each once.

    Returns:
        (the series with the anomalies, (T, C) float; labels (T,) int64, 1 exactly on
        the injected steps; the injections in row order).
    """
    out = np.array(values, dtype=np.float64, copy=True)
    reference = out[:start]
    std = np.maximum(reference.std(axis=0), 1e-9)
    step_sd = np.diff(reference, axis=0).std(axis=0) / np.sqrt(2)
    order = [kinds[i] for i in rng.permutation(len(kinds))]
    lengths = _lengths(order, len(out) - start)
    labels = np.zeros(len(out), dtype=np.int64)
    injections = []
    for kind, at, length in zip(order, _places(lengths, start, len(out), rng), lengths,
                                strict=True):
        channel = int(rng.integers(out.shape[1]))
        column = out[at:at + length, channel]
        column[:] = _anomaly(kind, column, std[channel], step_sd[channel], rng)
        labels[at:at + length] = 1
        injections.append(Injection(kind, at, at + length, channel))
    return out, labels, injections


def _lengths(kinds: list[str], room: int) -> list[int]:
    """The kinds' lengths, scaled down by one factor when the region is too short."""
    lengths = [LENGTHS[k] for k in kinds]
    free = room - MIN_GAP * (len(kinds) + 1)
    if free < sum(lengths):
        factor = free / sum(lengths)
        lengths = [max(min(3, n), int(n * factor)) for n in lengths]
    if free < sum(lengths):
        raise ValueError(f"a region of {room} steps cannot hold {', '.join(kinds)}")
    return lengths


def _places(lengths: list[int], start: int, end: int, rng: np.random.Generator
            ) -> list[int]:
    """Random non-overlapping starts of runs of ``lengths`` (in this order) inside
    ``start:end``, at least MIN_GAP apart and from the ends: the spare steps are split
    into len(lengths) + 1 random parts (stars and bars)."""
    spare = end - start - sum(lengths) - MIN_GAP * (len(lengths) + 1)
    cuts = np.sort(rng.integers(0, spare + 1, size=len(lengths)))
    places, at, used = [], start + MIN_GAP, 0
    for length, cut in zip(lengths, cuts, strict=True):
        at += int(cut) - used
        used = int(cut)
        places.append(at)
        at += length + MIN_GAP
    return places


def _anomaly(kind: str, column: np.ndarray, std: float, step_sd: float,
             rng: np.random.Generator) -> np.ndarray:
    """The values of an anomaly of ``kind`` replacing ``column`` (one channel)."""
    n = len(column)
    if kind == "noise":
        return column + 2 * std * rng.standard_normal(n)
    if kind == "flat":
        line = np.linspace(column[0], column[-1], n)
        return line + step_sd * rng.standard_normal(n)
    sign = rng.choice([-1.0, 1.0])
    if kind == "bump":
        # zero one step before and one after the stretch, so every labelled step is raised
        shape = 0.5 * (1 - np.cos(2 * np.pi * np.arange(1, n + 1) / (n + 1)))
        return column + sign * 5 * std * shape
    if kind in ("spike", "shift"):
        return column + sign * (6 if kind == "spike" else 3) * std
    raise ValueError(f"unknown anomaly kind {kind!r}; expected one of {', '.join(LENGTHS)}")

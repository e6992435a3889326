"""Synthetic long-memory tasks from the LSTM papers, generated reproducibly.

Both return batch-first tensors: inputs (N, T, F) and targets.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..validation import check_positive_int

ADDING_MEAN_BASELINE_MSE = 1 / 6
"""MSE of always predicting the mean (1.0): the variance of a sum of two U(0, 1)."""

TEMPORAL_ORDER_SYMBOLS = ("a", "b", "c", "d", "X", "Y", "B", "E")
"""Input alphabet of the temporal-order task: distractors a-d, relevant X/Y, start, end."""


def adding_problem(n: int, seq_len: int, *, seed: int | None = None) -> tuple[Tensor, Tensor]:
    """The adding problem (Hochreiter & Schmidhuber 1997, experiment 4).

    Each step carries a value drawn from U(0, 1) and a marker; exactly two steps are
    marked, one in the first half of the sequence and one in the second. The target is
    the sum of the two marked values, so a model must remember a value across up to
    ``seq_len`` steps. Always predicting the mean scores MSE 1/6 ≈ 0.167.

    Args:
        n: number of sequences. seq_len: steps ``T`` per sequence (at least 2).
        seed: seed of a private generator, for reproducible data.

    Returns:
        ``x`` (N, T, 2) float32 (value, marker) and ``y`` (N, 1), the sum.

    Example:
        >>> x, y = adding_problem(4, 10, seed=0)
        >>> tuple(x.shape), tuple(y.shape), x[..., 1].sum(1).tolist()
        ((4, 10, 2), (4, 1), [2.0, 2.0, 2.0, 2.0])
    """
    check_positive_int("adding_problem", "n", n)
    if check_positive_int("adding_problem", "seq_len", seq_len) < 2:
        raise ValueError(f"adding_problem: expected seq_len >= 2, got {seq_len}")
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    values = torch.rand(n, seq_len, generator=gen)
    half = seq_len // 2
    first = torch.randint(0, half, (n,), generator=gen)
    second = torch.randint(half, seq_len, (n,), generator=gen)
    markers = torch.zeros(n, seq_len)
    rows = torch.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = torch.stack([values, markers], dim=-1)  # 2 x (N, T) -> (N, T, 2)
    y = (values * markers).sum(dim=1, keepdim=True)  # (N, T) -> (N, 1)
    return x, y


def temporal_order(n: int, seq_len: int = 100, *,
                   seed: int | None = None) -> tuple[Tensor, Tensor]:
    """The temporal-order task (Hochreiter & Schmidhuber 1997, experiment 6a).

    A sequence starts with ``B`` and ends with ``E``; between them are random distractors
    a-d, except at two positions, one in [0.1T, 0.2T) and one in [0.5T, 0.6T), which hold
    ``X`` or ``Y``. The class is the order of those two symbols: XX=0, XY=1, YX=2, YY=3.
    Chance accuracy is 25%.

    Args:
        n: number of sequences. seq_len: steps ``T`` (at least 10).
        seed: seed of a private generator.

    Returns:
        ``x`` (N, T, 8) one-hot over :data:`TEMPORAL_ORDER_SYMBOLS` and ``y`` (N,) int64.

    Example:
        >>> x, y = temporal_order(3, 20, seed=0)
        >>> tuple(x.shape), bool((x.sum(-1) == 1).all())
        ((3, 20, 8), True)
    """
    check_positive_int("temporal_order", "n", n)
    if check_positive_int("temporal_order", "seq_len", seq_len) < 10:
        raise ValueError(f"temporal_order: expected seq_len >= 10, got {seq_len}")
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    symbols = torch.randint(0, 4, (n, seq_len), generator=gen)  # distractors a-d
    symbols[:, 0], symbols[:, -1] = 6, 7  # B ... E
    lo1, hi1 = max(1, seq_len // 10), max(2, seq_len // 5)
    lo2, hi2 = seq_len // 2, max(seq_len // 2 + 1, (6 * seq_len) // 10)
    t1 = torch.randint(lo1, hi1, (n,), generator=gen)
    t2 = torch.randint(lo2, min(hi2, seq_len - 1), (n,), generator=gen)
    which = torch.randint(0, 2, (n, 2), generator=gen)  # 0 -> X, 1 -> Y
    rows = torch.arange(n)
    symbols[rows, t1] = 4 + which[:, 0]
    symbols[rows, t2] = 4 + which[:, 1]
    x = torch.nn.functional.one_hot(symbols, len(TEMPORAL_ORDER_SYMBOLS)).float()  # (N, T, 8)
    y = which[:, 0] * 2 + which[:, 1]
    return x, y

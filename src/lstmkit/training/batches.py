"""Batch sources: mini-batches whose order depends only on ``(seed, epoch)``, so a run
resumed from a checkpoint sees exactly the batches the uninterrupted run would have.

Any object with ``__len__`` and ``epoch(epoch, seed, start=0)`` is a batch source; a
plain list of batches is used in order (see :func:`as_batch_source`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor

from .seeding import epoch_generator


@runtime_checkable
class BatchSource(Protocol):
    """What the :class:`~lstmkit.training.Trainer` iterates over."""

    def __len__(self) -> int:
        """Batches per epoch."""

    def epoch(self, epoch: int, seed: int, start: int = 0) -> Iterator[Any]:
        """The batches of ``epoch`` from index ``start`` on, in an order fixed by
        ``(seed, epoch)``."""


class SequenceBatches:
    """A fixed list of batches, the same order every epoch."""

    def __init__(self, batches: Sequence[Any]) -> None:
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches)

    def epoch(self, epoch: int, seed: int, start: int = 0) -> Iterator[Any]:
        """The batches from ``start`` on; ``epoch`` and ``seed`` do not matter."""
        return (self.batches[i] for i in range(start, len(self.batches)))


class TensorBatches:
    """Mini-batches over tensors aligned on dimension 0 (inputs, targets, ...).

    Args:
        *tensors: tensors with the same first dimension N.
        batch_size: rows per batch.
        shuffle: reshuffle every epoch (from ``(seed, epoch)``).
        drop_last: drop the last, smaller batch.

    Example:
        >>> x, y = torch.randn(10, 5, 3), torch.randn(10, 1)
        >>> batches = TensorBatches(x, y, batch_size=4)
        >>> len(batches), [b[0].shape[0] for b in batches.epoch(0, seed=1)]
        (3, [4, 4, 2])
    """

    def __init__(self, *tensors: Tensor, batch_size: int, shuffle: bool = True,
                 drop_last: bool = False) -> None:
        sizes = {t.shape[0] for t in tensors}
        if len(sizes) != 1:
            raise ValueError(f"TensorBatches: tensors must share dimension 0, got sizes "
                             f"{[t.shape[0] for t in tensors]}")
        self.tensors, self.batch_size = tensors, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self.n = sizes.pop()

    def __len__(self) -> int:
        full, rest = divmod(self.n, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def epoch(self, epoch: int, seed: int, start: int = 0) -> Iterator[tuple[Tensor, ...]]:
        """Batches ``start..`` of ``epoch``, each a tuple of tensor slices."""
        order = (torch.randperm(self.n, generator=epoch_generator(seed, epoch))
                 if self.shuffle else torch.arange(self.n))
        for i in range(start, len(self)):
            index = order[i * self.batch_size:(i + 1) * self.batch_size]
            yield tuple(t[index] for t in self.tensors)


class StreamBatches:
    """A long stream cut into B parallel rows and consecutive windows of T steps, for
    truncated backpropagation through time (``TrainConfig(tbptt=True)``).

    Batch k is ``(x, y)`` with ``x = rows[:, kT:(k+1)T]`` and ``y`` the same window
    shifted one step ahead; row b of batch k+1 continues row b of batch k, so the state
    can be carried across batches.

    Args:
        stream: ``(N, ...)`` tokens or values.
        batch_size: B, the number of parallel rows.
        bptt: T, the window length.

    Shape:
        x, y: ``(B, T, ...)`` (the last window may be shorter).
    """

    def __init__(self, stream: Tensor, *, batch_size: int, bptt: int) -> None:
        steps = stream.shape[0] // batch_size
        if steps < 2:
            raise ValueError(f"StreamBatches: a stream of {stream.shape[0]} items is too "
                             f"short for batch_size {batch_size}")
        rows = stream[:steps * batch_size]
        self.rows = rows.reshape(batch_size, steps, *stream.shape[1:])  # (N,...) -> (B, N/B,...)
        self.bptt = bptt

    def __len__(self) -> int:
        return -(-(self.rows.shape[1] - 1) // self.bptt)

    def epoch(self, epoch: int, seed: int, start: int = 0) -> Iterator[tuple[Tensor, Tensor]]:
        """Windows ``start..`` in stream order (the order never changes)."""
        for k in range(start, len(self)):
            a = k * self.bptt
            b = min(a + self.bptt, self.rows.shape[1] - 1)
            yield self.rows[:, a:b], self.rows[:, a + 1:b + 1]


def as_batch_source(batches: BatchSource | Sequence[Any]) -> BatchSource:
    """``batches`` if it is a :class:`BatchSource`, else a :class:`SequenceBatches`."""
    return batches if isinstance(batches, BatchSource) else SequenceBatches(batches)

"""Mini-batches of sentences of different lengths: each batch padded to its own longest
sentence, sentences of similar length batched together (so little is padding), in an
order fixed by ``(seed, epoch)`` as every lstmkit batch source."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from ...training.seeding import epoch_generator
from .encoding import Encoded

POOL = 32  # sentences of POOL batches are sorted by length together


@dataclass
class TagBatch:
    """A padded batch: ``words`` (B, T), ``chars`` (B, T, C), ``suffixes`` (B, T, 2),
    ``shapes`` (B, T, 4), ``feats`` (B, T, F) (the parts the input has), ``tags`` (B, T)
    (-1 on padding) and ``lengths`` (B,)."""

    lengths: Tensor
    words: Tensor | None = None
    chars: Tensor | None = None
    feats: Tensor | None = None
    tags: Tensor | None = None
    suffixes: Tensor | None = None
    shapes: Tensor | None = None

    @property
    def mask(self) -> Tensor:
        """(B, T) bool: True on the valid steps."""
        steps = int(self.lengths.max())
        return torch.arange(steps).unsqueeze(0) < self.lengths.unsqueeze(1)


def collate(items: Sequence[Encoded]) -> TagBatch:
    """One padded :class:`TagBatch` of ``items``."""
    lengths = torch.tensor([len(item) for item in items])
    steps = int(lengths.max())

    def pad(parts: list[Tensor], value: float) -> Tensor:
        shape = (len(parts), steps, *[max(p.shape[d] for p in parts)
                                      for d in range(1, parts[0].dim())])
        out = parts[0].new_full(shape, value)
        for b, part in enumerate(parts):
            out[(b, *[slice(0, n) for n in part.shape])] = part
        return out

    first = items[0]
    return TagBatch(
        lengths,
        words=pad([i.words for i in items], 0) if first.words is not None else None,
        chars=pad([i.chars for i in items], 0) if first.chars is not None else None,
        feats=pad([i.feats for i in items], 0.0) if first.feats is not None else None,
        tags=pad([i.tags for i in items], -1) if first.tags is not None else None,
        suffixes=pad([i.suffixes for i in items], 0) if first.suffixes is not None else None,
        shapes=pad([i.shapes for i in items], 0.0) if first.shapes is not None else None)


class SentenceBatches:
    """A batch source over encoded sentences (see :class:`~lstmkit.training.BatchSource`).

    Args:
        items: the encoded sentences.
        batch_size: sentences per batch.
        shuffle: a new order every epoch (from ``(seed, epoch)``); otherwise sorted by
            length, and :meth:`order` maps the batches back to the items.
    """

    def __init__(self, items: Sequence[Encoded], *, batch_size: int, shuffle: bool = True):
        self.items, self.batch_size, self.shuffle = list(items), batch_size, shuffle

    def __len__(self) -> int:
        return -(-len(self.items) // self.batch_size)

    def order(self, epoch: int = 0, seed: int = 0) -> list[list[int]]:
        """The item indices of each batch of ``epoch``."""
        n, size = len(self.items), self.batch_size
        lengths = [len(item) for item in self.items]
        if not self.shuffle:
            ranked = sorted(range(n), key=lambda i: lengths[i])
            return [ranked[i:i + size] for i in range(0, n, size)]
        generator = epoch_generator(seed, epoch)
        perm = torch.randperm(n, generator=generator).tolist()
        batches = []
        for start in range(0, n, size * POOL):
            pool = sorted(perm[start:start + size * POOL], key=lambda i: lengths[i])
            batches += [pool[i:i + size] for i in range(0, len(pool), size)]
        shuffled = torch.randperm(len(batches), generator=generator).tolist()
        return [batches[i] for i in shuffled]

    def epoch(self, epoch: int, seed: int, start: int = 0) -> Iterator[TagBatch]:
        """Batches ``start..`` of ``epoch``."""
        for index in self.order(epoch, seed)[start:]:
            yield collate([self.items[i] for i in index])

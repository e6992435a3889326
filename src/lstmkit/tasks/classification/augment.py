"""Data augmentation of numeric series while training: random window slicing, magnitude
scaling and jitter, fresh for every batch of every epoch.

Why: the UCR/UEA training sets hold a few dozen series (ArrowHead 36), and a network
that has seen each of them a few hundred times learns their exact positions and
amplitudes. Window slicing (Le Guennec et al. 2016) crops a random window and, here,
stretches it back to the series' length, so the network sees the shape shifted and
zoomed a little; scaling and jitter (Um et al. 2017; the survey of Iwana & Uchida 2021)
multiply each series by a random factor and add a little noise. Each view keeps the
series' length and label. Prediction reads the series as they are (the uncropped view
is the crop of fraction 1, inside what training saw).

The augmentation is drawn from a generator seeded by ``(seed, epoch, batch index)``,
so a resumed run sees the same views as an uninterrupted one. The three are written
here, on padded batches with per-series ``lengths``, because a crop must cover each
series' valid steps only and leave its padding at zero, which augmentation code written
for equal-length arrays (e.g. tsai's, tied to fastai's loaders) does not do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from ...training import BatchSource, TensorBatches

if TYPE_CHECKING:
    from .settings import ClassifierSettings


@dataclass(frozen=True)
class Augmentation:
    """How much each training view may differ from its series.

    Attributes:
        crop: the largest share of a series' valid steps a window may leave out (the
            window is stretched back to the full length); 0: no slicing.
        scale: the standard deviation of the log of the factor multiplying each series
            (per feature); 0: no scaling.
        jitter: the standard deviation of the noise added to every step, relative to
            the series' own standard deviation (per feature); 0: no jitter.
    """

    crop: float = 0.0
    scale: float = 0.0
    jitter: float = 0.0

    @property
    def active(self) -> bool:
        """Whether any view differs from its series."""
        return self.crop > 0 or self.scale > 0 or self.jitter > 0


def slice_and_stretch(x: Tensor, lengths: Tensor, keep: Tensor) -> Tensor:
    """Each series' window of ``keep`` times its valid steps, resampled (linear
    interpolation) back to its valid steps; the padding stays zero.

    Args:
        x: (B, T, I) padded series.
        lengths: (B,) valid steps.
        keep: (B, 2) the window's start and end as fractions of the valid span
            (0 <= start < end <= 1); ``[0, 1]`` gives the series back.

    Returns:
        (B, T, I).
    """
    steps = x.shape[1]
    span = (lengths - 1).clamp(min=0).to(x.dtype)[:, None]  # (B, 1)
    t = torch.arange(steps, dtype=x.dtype)[None, :]  # (1, T)
    frac = t / span.clamp(min=1)
    pos = (keep[:, :1] + frac * (keep[:, 1:] - keep[:, :1])) * span  # (B, T) source step
    pos = pos.clamp(min=0)
    pos = torch.minimum(pos, span)
    low = pos.floor().long()
    high = torch.minimum(low + 1, span.long())
    w = (pos - low.to(x.dtype))[..., None]  # (B, T, 1)
    gather = lambda index: x.gather(1, index[..., None].expand(-1, -1, x.shape[2]))  # noqa: E731
    out = gather(low) * (1 - w) + gather(high) * w
    valid = t < lengths[:, None]
    return out * valid[..., None].to(x.dtype)


def augment(x: Tensor, lengths: Tensor, how: Augmentation, generator: torch.Generator
            ) -> Tensor:
    """One random view of each series of a padded batch (same shape, padding zero).

    Args:
        x: (B, T, I) float series.
        lengths: (B,) valid steps.
        how: the amounts.
        generator: the random source.
    """
    batch, steps, features = x.shape
    valid = (torch.arange(steps)[None, :] < lengths[:, None])[..., None].to(x.dtype)
    if how.crop > 0:
        kept = 1 - how.crop * torch.rand(batch, generator=generator)
        start = (1 - kept) * torch.rand(batch, generator=generator)
        x = slice_and_stretch(x, lengths, torch.stack([start, start + kept], 1))
    if how.scale > 0:
        x = x * torch.exp(how.scale * torch.randn(batch, 1, features, generator=generator))
    if how.jitter > 0:
        n = lengths.clamp(min=1).to(x.dtype)[:, None, None]
        mean = x.sum(1, keepdim=True) / n
        sd = (((x - mean) * valid) ** 2).sum(1, keepdim=True).div(n).sqrt()
        x = x + how.jitter * sd * torch.randn(x.shape, generator=generator) * valid
    return x


class AugmentedBatches:
    """A batch source of ``(x, lengths, y)`` batches whose ``x`` is a fresh random view
    (:func:`augment`) each time; length, order and labels are those of ``batches``.

    Args:
        batches: the batch source of the training sequences.
        how: the amounts.
    """

    def __init__(self, batches: BatchSource, how: Augmentation) -> None:
        self.batches, self.how = batches, how

    def __len__(self) -> int:
        return len(self.batches)

    def epoch(self, epoch: int, seed: int, start: int = 0) -> Iterator[tuple[Tensor, ...]]:
        """Batches ``start..`` of ``epoch``; batch i's view depends only on
        ``(seed, epoch, i)``."""
        for i, (x, lengths, *rest) in enumerate(self.batches.epoch(epoch, seed, start),
                                                 start=start):
            generator = torch.Generator().manual_seed(
                (seed * 1_000_003 + epoch) * 65_537 + i + 1)
            yield (augment(x, lengths, self.how, generator), lengths, *rest)


def training_batches(batches: TensorBatches, kind: str, settings: ClassifierSettings
                     ) -> BatchSource:
    """``batches`` as random views for numeric series when an ``augment_*`` setting is
    on; else ``batches`` (text, or nothing on). Only training reads the views: the
    batch-norm statistics and validation read the series as they are."""
    how = Augmentation(settings.augment_crop, settings.augment_scale, settings.augment_jitter)
    return AugmentedBatches(batches, how) if kind == "series" and how.active else batches

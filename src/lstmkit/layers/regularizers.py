"""Recurrent regularisers, applied to tensors and parameters (no module patching).

All of them are the identity when ``training`` is False.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import Tensor


def locked_dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """Variational ("locked") dropout (Gal & Ghahramani 2016): one mask per sequence.

    ``x`` is time-major (T, B, F); the same (B, F) mask multiplies every time step.
    """
    if not training or p == 0.0:
        return x
    mask = x.new_empty(1, *x.shape[1:]).bernoulli_(1 - p) / (1 - p)  # (1, B, F)
    return x * mask


def drop_weights(weights: dict[str, Tensor], names: Iterable[str], p: float,
                 training: bool) -> dict[str, Tensor]:
    """DropConnect on the named (recurrent) weights, "weight drop" of Merity et al. 2017.

    Returns a new dict; the parameters themselves are untouched. One mask per forward
    call, shared by all time steps.
    """
    if not training or p == 0.0:
        return weights
    dropped = dict(weights)
    for name in names:
        if name in dropped:
            dropped[name] = F.dropout(dropped[name], p, training=True)
    return dropped


def zoneout(new: tuple[Tensor, ...], old: tuple[Tensor, ...], rates: tuple[float, ...],
            training: bool) -> tuple[Tensor, ...]:
    """Zoneout (Krueger et al. 2016): each unit keeps its previous value with prob. rate.

    Applied per state tensor (``rates`` has one rate per state tensor, e.g. h and c).
    In eval this is the identity (the paper instead mixes with the expected value).
    """
    if not training:
        return new
    out = []
    for n, o, rate in zip(new, old, rates, strict=True):
        if rate == 0.0:
            out.append(n)
            continue
        keep_old = torch.rand_like(n) < rate
        out.append(torch.where(keep_old, o, n))
    return tuple(out)

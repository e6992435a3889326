"""Fitting a continuous cache's settings (:class:`~lstmkit.models.cache.NeuralCache`) to a
validation stream, by grid search over what :mod:`lstmkit.models.cache` computes."""

from __future__ import annotations

import itertools

import torch
from torch import Tensor

from .cache import NeuralCache, cache_probs, cache_weight, empty_memory, keys_seen

THETAS = (0.1, 0.2, 0.3, 0.5, 1.0, 2.0)
LAMS = tuple(i / 50 for i in range(1, 31))  # 0.02, 0.04, ..., 0.6


def fit_cache(hidden: Tensor, tokens: Tensor, model_log_probs: Tensor, *, size: int,
              vocab_size: int, window: int = 256, thetas: tuple[float, ...] = THETAS,
              lams: tuple[float, ...] = LAMS) -> tuple[NeuralCache, float]:
    """The ``theta``, ``lam``, ``threshold`` and ``warmup`` that predict a validation
    stream best, from grids (the thresholds: none, and deciles of the match strengths
    seen; the warm-ups: none, and 1/8, 1/4 and 1/2 of ``size``).

    Args:
        hidden: (B, N, H) the last layer's outputs over B streams of N tokens.
        tokens: (B, N) the streams' tokens.
        model_log_probs: (B, N - 1) the network's log-probability of each next token.
        size: the cache size (not fitted: validation text is often shorter than the
            texts the cache is for).
        vocab_size: ``V``.
        window: positions scored per call, as in evaluation.
        thetas, lams: the grids; ``lam = 0`` (no cache) is always a candidate.
            Validation rows should be several ``size`` long, so that the warm-up is
            weighed against the rest.

    Returns:
        The best settings and their mean loss in nats per token.
    """
    following = torch.cat([tokens[:, 1:], tokens[:, :1]], 1)[..., None]  # (B, N, 1); last unused
    p_model = model_log_probs.exp().flatten()  # (P,)
    grid = (0.0, *lams)
    lam = torch.tensor(grid, dtype=hidden.dtype)[:, None]  # (G, 1)
    best = (NeuralCache(size, thetas[0], 0.0), float("inf"))
    keys = keys_seen(torch.zeros(1, 1, dtype=torch.long), hidden.shape[1] - 1, size)
    keys = keys.expand(hidden.shape[0], -1).flatten()  # (P,): keys seen at each position
    warmups = (0, size // 8, size // 4, size // 2)
    for theta in thetas:
        memory, p_cache, strength = empty_memory(hidden.shape[0], hidden), [], []
        for a in range(0, hidden.shape[1], window):
            probs, m, memory = cache_probs(hidden[:, a:a + window], tokens[:, a:a + window],
                                           memory, size=size, theta=theta,
                                           vocab_size=vocab_size)
            p_cache.append(probs.gather(-1, following[:, a:a + window])[..., 0])  # (B, w)
            strength.append(m)
        p_cache = torch.cat(p_cache, 1)[:, :-1].flatten()  # (P,)
        strength = torch.cat(strength, 1)[:, :-1].flatten()
        for threshold, warmup in itertools.product(_thresholds(strength), warmups):
            weight = cache_weight(strength, lam, threshold, keys=keys, warmup=warmup)  # (G, P)
            mixed = (1 - weight) * p_model + weight * p_cache
            losses = -mixed.clamp_min(torch.finfo(mixed.dtype).tiny).log().mean(-1)
            i = int(losses.argmin())
            if float(losses[i]) < best[1]:
                best = (NeuralCache(size, theta, grid[i], threshold, warmup), float(losses[i]))
    return best


def _thresholds(strength: Tensor) -> list[float | None]:
    """None, and the deciles of the finite match strengths."""
    finite = strength[strength > float("-inf")]
    if finite.numel() == 0:
        return [None]
    deciles = torch.quantile(finite[:1 << 24].double(), torch.linspace(0.1, 0.9, 9,
                                                                        dtype=torch.double))
    return [None, *(round(float(q), 4) for q in deciles)]

"""How ``TextModel`` scores a token stream: bits per character or perplexity, and the
parallel rows a stream is cut into (long rows when the model has a cache, which needs
history to copy from)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ...training import StreamBatches

LN2 = math.log(2.0)


def scores(level: str, nats: float, tokens: int) -> dict[str, float]:
    """``loss`` (nats per token) and ``bpc`` (char level) or ``perplexity`` (word level).

    Example:
        >>> scores("char", math.log(4), 10)["bpc"]
        2.0
    """
    extra = ({"bpc": nats / LN2} if level == "char"
             else {"perplexity": math.exp(min(nats, 700.0))})
    return {"loss": nats, **extra, "tokens": float(tokens)}


@torch.no_grad()
def score_stream(model: torch.nn.Module, batches: StreamBatches, level: str) -> dict[str, float]:
    """:func:`scores` of a language model over ``batches``, the state carried from one
    window to the next, in eval mode (the model's mode is restored)."""
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    for x, y in batches.epoch(0, 0):
        logits, state = model(x, state)
        total += float(F.cross_entropy(logits.flatten(0, 1), y.flatten(), reduction="sum"))
        count += y.numel()
    model.train(was_training)
    return scores(level, total / max(count, 1), count)


def cache_rows(n: int, cache_size: int) -> int:
    """Rows of a stream of ``n`` tokens scored with a cache: each row at least eight
    cache sizes long (the cache needs history), at most 32."""
    return max(1, min(32, n // (8 * cache_size)))


def scoring_stream(ids: torch.Tensor, *, bptt: int, cache_size: int | None) -> StreamBatches:
    """``ids`` cut for scoring: up to 32 rows (fewer with a cache, see :func:`cache_rows`)
    and windows of at least 256 tokens."""
    rows = max(1, min(32, (ids.numel() - 1) // 256))
    if cache_size:
        rows = min(rows, cache_rows(ids.numel(), cache_size))
    return StreamBatches(ids, batch_size=rows, bptt=max(bptt, 256))

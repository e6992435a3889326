"""The continuous cache of Grave et al. 2017 ("Improving Neural Language Models with a
Continuous Cache"): a language model that can copy from the text it has just read.

The last layer's output ``h_t`` is compared with the outputs ``h_s`` of the last ``size``
positions, and each of those votes for the token that followed it::

    p_cache(w) = sum over s in [t - size, t - 1] with x_{s+1} = w of softmax_s(theta h_t . h_s)
    p(w)       = (1 - lam) p_model(w) + lam p_cache(w)

Nothing is trained and no weight changes: the prediction is still a function of the
text before ``t`` only, as the recurrent state is. What it adds is an exact memory: a
name the network has never seen (a new play's speakers) costs bits the first time and
is copied after that. Its settings are fitted on validation text
(:func:`lstmkit.models.cache_fit.fit_cache`).

The memory of a batch of streams is four tensors, batch on dimension 1 like a
recurrent state (so generation can select and detach it like one):

* ``keys`` (C, B, H): a ring of past outputs; position ``q`` lives in slot ``q % size``.
  Stored in float16 for float32 outputs (:func:`as_keys`): a step of generation reads
  the whole ring, and half the bytes is nearly half the time.
  The ring starts empty and doubles as the text grows, up to ``C = size``: a short
  prompt's memory (and a beam search's copies of it) stays small.
* ``values`` (C, B): the token that followed each key (-1: empty slot).
* ``pending`` (1, B, H): the last output, whose next token is not known yet.
* ``seen`` (1, B): how many tokens each row has read (the same for every row).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import torch
from pydantic import Field
from torch import Tensor

from ..kernels import build
from ..limits import MAX_CACHE_SIZE
from ..settings import NonNegativeFloat, Settings, count

Memory = tuple[Tensor, Tensor, Tensor, Tensor]
MEMORY_TENSORS = 4  # keys, values, pending, seen: the last tensors of a model's state
_MASKED = -1e9  # a finite "minus infinity": an empty cache gives zeros, never NaN
_FLOOR = -30.0  # log of the smallest weight kept, relative to the largest
_HALF_MAX = 65504.0  # the largest float16
_CHUNK_ELEMENTS = 1 << 23  # scores per chunk of queries, to bound the working memory


@dataclass(frozen=True)
class NeuralCache(Settings):
    """The settings of a continuous cache (each field checked when it is made).

    Attributes:
        size: how many past positions the cache holds.
        theta: the sharpness of the match between the current output and past ones.
        lam: the weight of the cache's distribution in the mixture (0: off).
        threshold: None, or the match strength at which the cache gets half of ``lam``
            (see :func:`cache_weight`).
        warmup: the cache's weight grows from 0 to ``lam`` over its first ``warmup``
            keys (0: at once): a few keys make a poor distribution.
    """

    size: count(MAX_CACHE_SIZE)
    theta: NonNegativeFloat
    lam: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
    threshold: float | None = None
    warmup: count(MAX_CACHE_SIZE, 0) = 0


def as_keys(hidden: Tensor) -> Tensor:
    """Outputs as the cache stores them: float32 rounded to float16 (clamped to its range;
    LSTM, GRU and tanh outputs lie in (-1, 1), where the rounding error is below 5e-4),
    other dtypes as they are."""
    if hidden.dtype != torch.float32:
        return hidden
    return hidden.clamp(-_HALF_MAX, _HALF_MAX).to(torch.float16)


def empty_memory(batch: int, hidden: Tensor) -> Memory:
    """The memory of ``batch`` streams that have read nothing, shaped like ``hidden``'s
    last dimension."""
    width = hidden.shape[-1]
    return (hidden.new_zeros(0, batch, width, dtype=as_keys(hidden[:0]).dtype),
            torch.full((0, batch), -1, dtype=torch.long, device=hidden.device),
            hidden.new_zeros(1, batch, width),
            torch.zeros(1, batch, dtype=torch.long, device=hidden.device))


def _reserve(keys: Tensor, values: Tensor, needed: int, size: int) -> tuple[Tensor, Tensor]:
    """The ring with room for ``needed`` slots (at most ``size``): doubled, the old slots
    kept in place (below ``size`` a position's slot is the position itself)."""
    capacity = keys.shape[0]
    if capacity >= min(needed, size):
        return keys, values
    grown = min(size, max(needed, 2 * capacity, 64))
    new_keys = keys.new_zeros(grown, *keys.shape[1:])
    new_values = values.new_full((grown, values.shape[1]), -1)
    new_keys[:capacity], new_values[:capacity] = keys, values
    return new_keys, new_values


def cache_probs(hidden: Tensor, tokens: Tensor, memory: Memory, *, size: int, theta: float,
                vocab_size: int, inplace: bool = False) -> tuple[Tensor, Tensor, Memory]:
    """The cache's distribution at every position of a window, and the memory after it.

    Args:
        hidden: (B, T, H) the last layer's outputs at the window's positions.
        tokens: (B, T) the window's input tokens (``tokens[:, i]`` produced
            ``hidden[:, i]``).
        memory: the memory before the window (see the module docstring).
        size: how many past positions the cache holds.
        theta: the sharpness of the match.
        vocab_size: ``V``.
        inplace: write into ``memory``'s tensors instead of copies (the generation
            path: one token at a time, where copying the memory would dominate).

    Returns:
        ``p_cache`` (B, T, V) (rows sum to 1, or to 0 where the cache is empty), the
        match strength ``log sum_s exp(theta h_t . h_s)`` (B, T) (-inf where the cache
        is empty), and the new memory.
    """
    if _no_positions(hidden):  # the cache is empty for them; the memory stays as it is
        batch, steps = hidden.shape[:2]
        return (hidden.new_zeros(batch, steps, vocab_size),
                hidden.new_full((batch, steps), float("-inf")), memory)
    keys, values, n = _open(memory, tokens, size, inplace)
    probs, strength = _attend_window(hidden, tokens, keys, values, n, size, theta, vocab_size)
    return probs, strength, _close(keys, values, hidden, tokens, n, size, memory[3])


def _open(memory: Memory, tokens: Tensor, size: int, inplace: bool) -> tuple[Tensor, Tensor, int]:
    """The ring (grown or copied as needed) with the pending output stored under this
    window's first token, and ``n``, the tokens read before the window."""
    keys, values, pending, seen = memory
    n = int(seen[0, 0])
    grown = _reserve(keys, values, n + tokens.shape[1] - 1, size)
    if grown[0] is keys and not inplace:
        grown = keys.clone(), values.clone()
    keys, values = grown
    if n > 0:  # the pending output's next token is this window's first
        keys[(n - 1) % size] = as_keys(pending[0])
        values[(n - 1) % size] = tokens[:, 0]
    return keys, values, n


def _close(keys: Tensor, values: Tensor, hidden: Tensor, tokens: Tensor, n: int, size: int,
           seen: Tensor) -> Memory:
    """The memory after the window: its keys in the ring, its last output pending."""
    _remember(keys, values, hidden.detach(), tokens, n, size)
    return (keys, values, hidden[:, -1:].detach().transpose(0, 1).contiguous(),
            seen + hidden.shape[1])


def _no_positions(hidden: Tensor) -> bool:
    """True for a window of no streams (B = 0) or no tokens (T = 0)."""
    return hidden.shape[0] == 0 or hidden.shape[1] == 0


def _fused(hidden: Tensor) -> bool:
    """Whether the one-token kernel can run: one float32 step on the CPU, no gradient,
    kernels on."""
    return (hidden.shape[1] == 1 and hidden.dtype == torch.float32
            and hidden.device.type == "cpu"
            and not (torch.is_grad_enabled() and hidden.requires_grad) and build.load())


def _attend_window(hidden: Tensor, tokens: Tensor, keys: Tensor, values: Tensor, n: int,
                   size: int, theta: float, vocab_size: int) -> tuple[Tensor, Tensor]:
    """:func:`_attend` for a window of T tokens: each attends to the ring and to the
    window's earlier positions, within its last ``size`` positions."""
    batch, steps, _ = hidden.shape
    slots = torch.arange(keys.shape[0], device=hidden.device)
    ring_pos = (n - 1) - (n - 1 - slots).remainder(size)  # the newest position in each slot
    key_pos = torch.cat([ring_pos, n + torch.arange(steps - 1, device=hidden.device)])  # (K,)
    window_keys = as_keys(hidden[:, :-1]).to(hidden.dtype)  # rounded as if stored
    all_keys = torch.cat([keys.transpose(0, 1).to(hidden.dtype), window_keys], 1)  # (B, K, H)
    all_values = torch.cat([values.t(), tokens[:, 1:]], 1)  # (B, K)
    chunk = max(1, _CHUNK_ELEMENTS // max(1, batch * key_pos.numel()))
    probs, strength = [], []
    for a in range(0, steps, chunk):
        query_pos = n + torch.arange(a, min(steps, a + chunk), device=hidden.device)[:, None]
        valid = (key_pos >= 0) & (key_pos < query_pos) & (key_pos >= query_pos - size)  # (t, K)
        p, m = _attend(hidden[:, a:a + chunk], all_keys, all_values, valid[None], theta,
                       vocab_size)
        probs.append(p)
        strength.append(m)
    return torch.cat(probs, 1), torch.cat(strength, 1)


def _attend(queries: Tensor, keys: Tensor, values: Tensor, valid: Tensor, theta: float,
            vocab_size: int) -> tuple[Tensor, Tensor]:
    """Queries (B, t, H) over keys (B, K, H) voting for values (B, K), where ``valid``
    (B or 1, t, K): the distribution (B, t, V) and the log-normaliser (B, t)."""
    if keys.shape[1] == 0:  # nothing read yet
        return (queries.new_zeros(*queries.shape[:2], vocab_size),
                queries.new_full(queries.shape[:2], float("-inf")))
    scores = (theta * queries @ keys.transpose(1, 2)).masked_fill(~valid, _MASKED)  # (B, t, K)
    top = scores.amax(-1, keepdim=True)  # (B, t, 1)
    gap = scores - top  # (B, t, K), <= 0
    # below e^-30 of the largest a weight is dropped: the probabilities change by less than
    # 1e-9, and no denormal number (whose arithmetic is many times slower) arises
    weights = gap.clamp_min(_FLOOR).exp() * (gap >= _FLOOR)
    total = weights.sum(-1, keepdim=True)
    norm = top + total.log()  # (B, t, 1): log sum exp(scores)
    weights = weights / total * valid  # exactly 0 off the window, and where it is empty
    index = values.clamp_min(0)[:, None].expand(-1, queries.shape[1], -1)  # (B, K) -> (B, t, K)
    probs = weights.new_zeros(*weights.shape[:2], vocab_size).scatter_add(-1, index, weights)
    empty = ~valid.any(-1)  # (B or 1, t)
    return probs, norm[..., 0].masked_fill(empty, float("-inf"))


def _remember(keys: Tensor, values: Tensor, hidden: Tensor, tokens: Tensor, n: int,
              size: int) -> None:
    """Write the window's keys whose next token is known (all but the last) into the
    ring; only the newest ``size`` of them if the window is longer than the ring."""
    steps = hidden.shape[1]
    start = max(0, steps - 1 - size)
    if steps - 1 <= start:
        return
    slots = (n + torch.arange(start, steps - 1, device=keys.device)) % size
    keys.index_copy_(0, slots, as_keys(hidden[:, start:steps - 1]).transpose(0, 1))
    values.index_copy_(0, slots, tokens[:, start + 1:steps].t())


def mix(log_probs: Tensor, hidden: Tensor, tokens: Tensor, memory: Memory,
        cache: NeuralCache, *, inplace: bool = False) -> tuple[Tensor, Memory]:
    """The model's log-probabilities (B, T, V) mixed with the cache's:
    ``log((1 - g) p_model + g p_cache)`` with the weight ``g`` of :func:`cache_weight`,
    and the new memory. One token of generation takes a fused kernel (the same numbers).
    An empty window (B = 0 or T = 0) gives the network's distribution and the memory as
    it came.
    """
    if _no_positions(hidden):
        return log_probs.log_softmax(-1), memory
    if _fused(hidden):
        keys, values, n = _open(memory, tokens, cache.size, inplace)
        threshold = float("nan") if cache.threshold is None else cache.threshold
        mixed = torch.ops.lstmkit.cache_mix_step(
            hidden[:, 0], keys, values, log_probs[:, 0].contiguous(), cache.theta, cache.lam,
            threshold, cache.warmup)[:, None]  # (B, V) -> (B, 1, V)
        return mixed, _close(keys, values, hidden, tokens, n, cache.size, memory[3])
    seen = memory[3]
    probs, strength, memory = cache_probs(hidden, tokens, memory, size=cache.size,
                                          theta=cache.theta, vocab_size=log_probs.shape[-1],
                                          inplace=inplace)
    weight = cache_weight(strength, cache.lam, cache.threshold,
                          keys=keys_seen(seen, hidden.shape[1], cache.size),
                          warmup=cache.warmup)[..., None]  # (B, T, 1)
    mixed = (1 - weight) * log_probs.softmax(-1) + weight * probs
    return mixed.clamp_min(torch.finfo(mixed.dtype).tiny).log(), memory


def cache_weight(strength: Tensor, lam: float | Tensor, threshold: float | None, *,
                 keys: Tensor | None = None, warmup: int = 0) -> Tensor:
    """The cache's share of the mixture: ``lam``, times ``sigmoid(strength - threshold)``
    if there is a threshold (a weak match leaves the prediction to the network), times
    ``min(1, keys / warmup)`` if there is a warm-up (``keys``: how many keys each position
    saw), and 0 where the cache is empty (``strength`` -inf)."""
    gate = (strength > float("-inf")).to(strength.dtype)
    if threshold is not None:
        gate = gate * torch.sigmoid(strength - threshold)
    if warmup:
        gate = gate * (keys.to(strength.dtype) / warmup).clamp(max=1.0)
    return lam * gate


def keys_seen(seen: Tensor, steps: int, size: int) -> Tensor:
    """How many keys each of a window's T positions attends to: (T,)."""
    return (seen[0, 0] + torch.arange(steps, device=seen.device)).clamp(max=size)

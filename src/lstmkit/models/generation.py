"""Generating from a language model one token at a time: sampling (temperature, top-k,
top-p), greedy decoding, beam search, word completion, and the next-token distribution.

Everything works on token ids and any model with ``step(token (B,), state) -> (logits
(B, V), state)`` whose state tensors put the batch on dimension 1, such as
:class:`~lstmkit.models.language_model.LanguageModel`.

A prompt is read :data:`PRIME_WINDOW` tokens at a time, the state carried from one
window to the next (as scoring a text does): time and memory grow linearly with its
length, whatever the model attends to within a window (a continuous cache attends to
every earlier position of its window).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence

import torch
from torch import Tensor

OnToken = Callable[[int], None]
PRIME_WINDOW = 256  # prompt tokens run through the network at a time


def filter_logits(logits: Tensor, *, top_k: int | None = None,
                  top_p: float | None = None) -> Tensor:
    """Set to ``-inf`` every logit outside the top-k and the top-p (nucleus) supports.

    Top-p keeps the smallest set of most likely tokens whose probabilities add up to
    at least ``top_p`` (always at least one token).

    Shape:
        logits (..., V) -> (..., V).

    Example:
        >>> filter_logits(torch.tensor([1.0, 3.0, 2.0]), top_k=2)
        tensor([-inf, 3., 2.])
        >>> filter_logits(torch.log(torch.tensor([0.5, 0.3, 0.2])), top_p=0.7).isinf().tolist()
        [False, False, True]
    """
    if top_k is not None:
        if top_k < 1:
            raise ValueError(f"filter_logits: expected top_k >= 1, got {top_k}")
        kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[..., -1:]  # (..., 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None:
        if not 0.0 < top_p <= 1.0:
            raise ValueError(f"filter_logits: expected 0 < top_p <= 1, got {top_p}")
        sorted_logits, order = torch.sort(logits, descending=True)
        cumulative = sorted_logits.softmax(-1).cumsum(-1)
        outside = cumulative - sorted_logits.softmax(-1) >= top_p  # mass before >= p
        outside = outside.scatter(-1, order, outside)  # back to vocabulary order
        logits = logits.masked_fill(outside, float("-inf"))
    return logits


def sample_next(logits: Tensor, *, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None, generator: torch.Generator | None = None) -> Tensor:
    """Draw one token per row; ``temperature == 0`` is greedy (the argmax).

    Shape:
        logits (B, V) -> tokens (B,).
    """
    if temperature < 0:
        raise ValueError(f"sample_next: expected temperature >= 0, got {temperature}")
    if temperature == 0:
        return logits.argmax(-1)
    probs = filter_logits(logits / temperature, top_k=top_k, top_p=top_p).softmax(-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)  # (B, 1) -> (B,)


def read_windows(model, ids: Sequence[int], state=None, *, window: int | None = None):
    """Run ``ids`` through ``model`` ``window`` (default :data:`PRIME_WINDOW`) tokens at a
    time, the state carried.

    Yields:
        ``(start, logits, state)`` per window: logits (1, t, V) at positions ``start``
        to ``start + t - 1`` of ``ids``, and the state after them.
    """
    window = window or PRIME_WINDOW
    ids = torch.as_tensor(list(ids), dtype=torch.long)[None]  # (1, T)
    for start in range(0, ids.shape[1], window):
        logits, state = model(ids[:, start:start + window], state)  # (1, t) -> (1, t, V)
        yield start, logits, state


@torch.no_grad()
def prime(model, prompt: Sequence[int]):
    """Run ``prompt`` (at least one id) through ``model`` in windows of
    :data:`PRIME_WINDOW`: the logits (1, V) after its last token, and the state."""
    if len(prompt) == 0:
        raise ValueError("the prompt is empty; give at least one token to start from")
    _, logits, state = deque(read_windows(model, prompt), maxlen=1)[0]  # the last window
    return logits[:, -1], state


@torch.no_grad()
def generate_ids(model, prompt: Sequence[int], length: int, *, temperature: float = 1.0,
                 top_k: int | None = None, top_p: float | None = None,
                 seed: int | None = None, on_token: OnToken | None = None) -> list[int]:
    """``length`` new ids continuing ``prompt``, sampled one by one.

    Args:
        model: a language model in eval mode (see the module docstring).
        prompt: the ids to start from (at least one).
        length: how many ids to produce.
        temperature, top_k, top_p: see :func:`sample_next`.
        seed: seeds a private generator: the same seed gives the same ids.
        on_token: called with each id as soon as it is drawn (for streaming).
    """
    generator = torch.Generator()
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    logits, state = prime(model, prompt)
    out: list[int] = []
    for _ in range(length):
        token = sample_next(logits, temperature=temperature, top_k=top_k, top_p=top_p,
                            generator=generator)
        out.append(int(token))
        if on_token is not None:
            on_token(out[-1])
        logits, state = model.step(token, state)
    return out


def _select(state, rows: Tensor):
    """The state of the given batch rows; state tensors are (L, B, H)."""
    if isinstance(state, Tensor):
        return state.index_select(1, rows)
    return tuple(s.index_select(1, rows) for s in state)


def _extend(model, logp: Tensor, seqs: Tensor, state, beam: int):
    """Keep the ``beam`` likeliest one-id extensions of the hypotheses (impossible ones,
    at ``-inf``, are dropped) and step ``model`` on their last ids.

    Shape:
        logp (K, V) log-probability of hypothesis k extended by id v; seqs (K, t) ->
        scores (K',), seqs (K', t + 1), logits (K', V) and the state of the K' rows.
    """
    scores, flat = logp.flatten().topk(min(beam, logp.numel()))  # (K * V,) -> (K',)
    possible = scores > float("-inf")
    scores, flat = scores[possible], flat[possible]
    rows, tokens = flat // logp.shape[1], flat % logp.shape[1]
    seqs = torch.cat([seqs[rows], tokens.unsqueeze(1)], dim=1)  # (K', t + 1)
    logits, state = model.step(tokens, _select(state, rows))
    return scores, seqs, logits, state


@torch.no_grad()
def sequence_log_prob(model, prompt: Sequence[int], continuation: Sequence[int]) -> float:
    """Natural-log probability of ``continuation`` following ``prompt`` (read in windows
    of :data:`PRIME_WINDOW`)."""
    ids = [*prompt, *continuation]
    first = len(prompt) - 1  # the position whose logits predict continuation[0]
    total = 0.0
    for start, logits, _ in read_windows(model, ids[:-1]):
        skip = max(0, first - start)
        if skip >= logits.shape[1]:
            continue
        targets = torch.tensor(ids[start + skip + 1:start + logits.shape[1] + 1])  # (n,)
        logp = logits[0, skip:].log_softmax(-1)  # (n, V)
        total += float(logp.gather(1, targets.unsqueeze(1)).sum())
    return total


@torch.no_grad()
def beam_search(model, prompt: Sequence[int], length: int, *, beam: int) -> list[int]:
    """The most likely ``length`` ids after ``prompt`` that a beam of width ``beam`` finds.

    The greedy continuation is scored too and returned if it is more likely, so the
    result is never less likely than greedy decoding.
    """
    if beam < 1:
        raise ValueError(f"beam_search: expected beam >= 1, got {beam}")
    logits, state = prime(model, prompt)
    scores = torch.zeros(1)  # (K,) log-probabilities of the hypotheses
    seqs = torch.zeros(1, 0, dtype=torch.long)  # (K, t)
    for _ in range(length):
        logp = logits.log_softmax(-1) + scores.unsqueeze(1)  # (K, V)
        scores, seqs, logits, state = _extend(model, logp, seqs, state, beam)
    best = seqs[0].tolist()
    greedy = generate_ids(model, prompt, length, temperature=0.0)
    if sequence_log_prob(model, prompt, greedy) > float(scores[0]):
        return greedy
    return best


@torch.no_grad()
def complete_words(model, prompt: Sequence[int], *, is_word_char: Tensor,
                   is_boundary: Tensor | None = None, top: int = 5, beam: int | None = None,
                   max_chars: int = 24, min_chars: int = 0) -> list[tuple[list[int], float]]:
    """The ``top`` likeliest ways to finish the word that ``prompt`` ends with.

    A completion is a run ``w`` of word-character ids that a boundary id follows; its
    probability is ``P(w | prompt) * P(a boundary id | prompt + w)``: the probability
    that the word being typed ends exactly after ``w``. A beam search grows the
    ``beam`` likeliest prefixes one word character at a time and stops once the
    likeliest prefix is less likely than the ``top``-th completion found (extending a
    prefix can only lower its probability) or after ``max_chars`` characters. With
    ``beam`` at least the number of prefixes of each length the result is exact
    (among completions of up to ``max_chars`` ids).

    Args:
        model: a language model in eval mode (see the module docstring).
        prompt: the ids so far (at least one), the start of the word included.
        is_word_char: (V,) bool, the ids that continue a word.
        is_boundary: (V,) bool, the ids that end a word; by default every other id.
            An id in neither mask (such as the unknown id) neither continues nor ends
            a word, so the probabilities then add up to less than one.
        top: how many completions to return.
        beam: prefixes kept per step; by default ``max(4 * top, 16)``.
        max_chars: the longest completion, in ids.
        min_chars: the shortest completion: 1 when the prompt ends between words,
            where the empty completion is no word.

    Returns:
        ``[(ids, probability), ...]``, most likely first, at most ``top`` of them.

    Example:
        >>> from lstmkit.models.language_model import LanguageModel
        >>> lm = LanguageModel(5, embedding_size=4, hidden_size=8).eval()
        >>> letters = torch.tensor([False, False, True, True, True])  # ids 2, 3, 4
        >>> found = complete_words(lm, [1], is_word_char=letters, top=3)
        >>> len(found), all(2 <= i <= 4 for ids, _ in found for i in ids)
        (3, True)
    """
    beam = max(4 * top, 16) if beam is None else beam
    for name, value, least in (("top", top, 1), ("beam", beam, 1), ("max_chars", max_chars, 0)):
        if value < least:
            raise ValueError(f"complete_words: expected {name} >= {least}, got {value}")
    ends = ~is_word_char if is_boundary is None else is_boundary
    logits, state = prime(model, prompt)
    scores = torch.zeros(1)  # (K,) log-probabilities of the prefixes
    seqs = torch.zeros(1, 0, dtype=torch.long)  # (K, t)
    found: list[tuple[float, list[int]]] = []  # (log-probability, ids), best first
    for length in range(max_chars + 1):
        logp = logits.log_softmax(-1) + scores.unsqueeze(1)  # (K, V)
        if length >= min_chars:
            ended = logp[:, ends].logsumexp(-1)  # (K, V) -> (K,)
            found = _best([*found, *zip(ended.tolist(), seqs.tolist(), strict=True)], top)
        grown = logp.masked_fill(~is_word_char, float("-inf"))  # (K, V)
        likeliest = float(grown.max())  # no completion still to come can beat it
        bound = found[-1][0] if len(found) == top else float("-inf")
        if length == max_chars or likeliest == float("-inf") or likeliest < bound:
            break
        scores, seqs, logits, state = _extend(model, grown, seqs, state, beam)
    return [(ids, math.exp(score)) for score, ids in found]


def _best(found: list[tuple[float, list[int]]], top: int) -> list[tuple[float, list[int]]]:
    """The ``top`` likeliest possible (finite log-probability) entries, best first."""
    found = [f for f in found if f[0] > float("-inf")]
    return sorted(found, key=lambda f: f[0], reverse=True)[:top]


@torch.no_grad()
def next_token_probs(model, prompt: Sequence[int]) -> Tensor:
    """The distribution (V,) of the id that follows ``prompt``."""
    logits, _ = prime(model, prompt)
    return logits[0].softmax(-1)

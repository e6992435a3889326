"""``TextModel.suggest``: the likeliest next tokens after a prompt, or, on a
character-level model, the likeliest words being typed."""

from __future__ import annotations

import torch

from ...models import generation
from ...threads import torch_threads


def is_word_char(char: str) -> bool:
    """Whether ``char`` continues a word: a letter, a digit or an apostrophe.

    Example:
        >>> is_word_char("a"), is_word_char("'"), is_word_char(" ")
        (True, True, False)
    """
    return char.isalnum() or char in "'’"


def suggest_next(text_model, prompt: str, *, top: int,
                 words: bool) -> list[tuple[str, float]]:
    """``[(token or word, probability), ...]`` after ``prompt``, likeliest first; see
    :meth:`~lstmkit.tasks.text_model.TextModel.suggest`."""
    if words and text_model.level == "char":
        return _suggest_words(text_model, prompt, top)
    probs = generation.next_token_probs(text_model.model_, text_model.encode_prompt(prompt))
    probs[0] = 0.0  # never suggest the unknown token
    values, ids = probs.topk(min(top, probs.numel() - 1))
    return [(text_model.tokenizer_.decode([i]), float(p)) for p, i in
            zip(values.tolist(), ids.tolist(), strict=True)]


def _suggest_words(text_model, prompt: str, top: int) -> list[tuple[str, float]]:
    ids = text_model.encode_prompt(prompt)
    vocab = text_model.tokenizer_.vocab_
    word_chars = torch.tensor([is_word_char(c) for c in vocab])  # (V,)
    boundaries = ~word_chars
    word_chars[0] = boundaries[0] = False  # the unknown character: neither
    start = len(prompt)
    while start > 0 and is_word_char(prompt[start - 1]):
        start -= 1
    with torch_threads(1):
        found = generation.complete_words(
            text_model.model_, ids, is_word_char=word_chars, is_boundary=boundaries,
            top=top, min_chars=0 if start < len(prompt) else 1)
    return [(prompt[start:] + text_model.tokenizer_.decode(tail), p) for tail, p in found]

"""Sequences to padded tensors: numeric series as they are, text through lstmkit's
char/word tokenisers (:mod:`lstmkit.data.text`), fitted on the training texts only."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ...data.text import Tokenizer, make_tokenizer
from .inputs import ClassificationDataError, Sequences, pad


def fit_tokenizer(texts: list[str], level: str, max_vocab: int, min_count: int = 1
                  ) -> Tokenizer:
    """A ``level`` tokeniser whose vocabulary is the ``max_vocab`` most frequent pieces
    of ``texts`` (the training texts) seen at least ``min_count`` times."""
    return make_tokenizer(level).fit("\n".join(texts), max_vocab=max_vocab,
                                     min_count=min_count)


def to_tensors(data: Sequences, *, tokenizer: Tokenizer | None, max_tokens: int
               ) -> tuple[Tensor, Tensor]:
    """``(x, lengths)``: (N, T, I) float32 for series, (N, T) int64 token ids for text
    (each document cut to its first ``max_tokens`` tokens), zero-padded.

    Raises:
        ClassificationDataError: a document with no tokens.
    """
    if data.kind == "text":
        ids = []
        for i, text in enumerate(data.items):
            tokens = tokenizer.encode(text)[:max_tokens]
            if not tokens:
                raise ClassificationDataError(f"document {i} is empty (no tokens)")
            ids.append(np.asarray(tokens, dtype=np.int64))
        x, lengths = pad(ids)
    else:
        x, lengths = pad(data.items)
    return torch.from_numpy(x), torch.from_numpy(lengths)


def trim(x: Tensor, lengths: Tensor) -> Tensor:
    """``x`` cut to its batch's longest sequence (B, T_max, ...) -> (B, max(lengths), ...),
    so a batch of short sequences does not run over another batch's padding."""
    return x[:, :int(lengths.max())]

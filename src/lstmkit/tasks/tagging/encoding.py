"""What a :class:`~lstmkit.tasks.tagging.SequenceTagger` reads, checked and turned into
tensors: token sentences (word and character ids) or multivariate series (standardised
features), and their tags (ids into the sorted tag set).

The vocabularies round-trip through JSON dicts, saved beside the model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ...errors import DatasetError

PAD, UNK = 0, 1  # ids of padding and of unknown words and characters
MAX_CHARS = 24  # characters read per word: the first and last 12 of a longer word


@dataclass
class Encoded:
    """One sentence or series as tensors: ``words`` (T,) and ``chars`` (T, C) for
    tokens, with ``suffixes`` (T, 2) and ``shapes`` (T, 4) when the tagger reads affix
    features (:mod:`~lstmkit.tasks.tagging.affixes`); ``feats`` (T, F) for series;
    ``tags`` (T,) when known."""

    words: Tensor | None = None
    chars: Tensor | None = None
    feats: Tensor | None = None
    tags: Tensor | None = None
    suffixes: Tensor | None = None
    shapes: Tensor | None = None

    def __len__(self) -> int:
        first = self.words if self.words is not None else self.feats
        return int(first.shape[0])


def input_kind(X: Any, who: str) -> str:
    """``"tokens"`` for sentences (lists of strings), ``"series"`` for a 3-D array or a
    list of (T, F) arrays; DatasetError for anything else or for no sequence at all."""
    if isinstance(X, np.ndarray) and X.ndim == 3:
        kind = "series"
    elif isinstance(X, str) or not isinstance(X, Sequence | np.ndarray) or len(X) == 0:
        raise DatasetError(f"{who}: expected X as a non-empty list of token lists, a 3-D "
                           f"array or a list of (T, F) arrays, got {_describe(X)}")
    else:
        first = X[0]
        kind = "tokens" if isinstance(first, Sequence) and not isinstance(first, str) and \
            all(isinstance(w, str) for w in first) else "series"
    for i, item in enumerate(X):
        if len(item) == 0:
            raise DatasetError(f"{who}: sequence {i} of X is empty; every sequence needs at "
                               "least one step")
    return kind


def _describe(value: Any) -> str:
    if isinstance(value, Sequence | np.ndarray) and not isinstance(value, str):
        return f"{type(value).__name__} of length {len(value)}"
    return type(value).__name__


def check_tags(X: Sequence, y: Any, who: str) -> list[list[Any]]:
    """``y`` as one list of plain labels per sequence, each as long as its sequence."""
    if y is None or isinstance(y, str) or len(y) != len(X):
        got = "none" if y is None else _describe(y)
        raise DatasetError(f"{who}: expected y with one tag list per sequence ({len(X)}), "
                           f"got {got}")
    out = []
    for i, (seq, tags) in enumerate(zip(X, y, strict=True)):
        tags = [t.item() if isinstance(t, np.generic) else t for t in tags]
        if len(tags) != len(seq):
            raise DatasetError(f"{who}: sequence {i} has {len(seq)} steps but {len(tags)} "
                               "tags")
        out.append(tags)
    return out


class Vocabulary:
    """Pieces (words or characters) to ids; ids 0 and 1 are padding and unknown."""

    def __init__(self, pieces: Sequence[str]) -> None:
        self.pieces = list(pieces)
        self.index = {p: i + 2 for i, p in enumerate(self.pieces)}

    @classmethod
    def fit(cls, pieces: Sequence[str], min_count: int = 1) -> Vocabulary:
        """The pieces seen at least ``min_count`` times, most frequent first."""
        counts = Counter(pieces)
        return cls([p for p, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                    if n >= min_count])

    def __len__(self) -> int:
        return len(self.pieces) + 2

    def ids(self, pieces: Sequence[str]) -> list[int]:
        """The id of each piece (UNK for unseen ones)."""
        return [self.index.get(p, UNK) for p in pieces]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"pieces": self.pieces}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocabulary:
        """The inverse of :meth:`to_dict`."""
        pieces = data["pieces"]
        if not isinstance(pieces, list) or not all(isinstance(p, str) for p in pieces):
            raise ValueError("a vocabulary must be a list of strings")
        return cls(pieces)


def clip_word(word: str) -> str:
    """At most :data:`MAX_CHARS` characters: a longer word's beginning and end."""
    half = MAX_CHARS // 2
    return word if len(word) <= MAX_CHARS else word[:half] + word[-half:]


def encode_tokens(sentence: Sequence[str], words: Vocabulary | None, chars: Vocabulary | None,
                  lowercase: bool) -> Encoded:
    """Word ids (T,) and character ids (T, C) of one sentence."""
    word_ids = torch.tensor(words.ids([w.lower() if lowercase else w for w in sentence])
                            if words is not None else [UNK] * len(sentence))
    char_ids = None
    if chars is not None:
        clipped = [clip_word(w) for w in sentence]
        char_ids = torch.zeros(len(sentence), max(1, max(map(len, clipped))), dtype=torch.long)
        for t, word in enumerate(clipped):
            char_ids[t, :len(word)] = torch.tensor(chars.ids(list(word)), dtype=torch.long)
    return Encoded(words=word_ids, chars=char_ids)


def as_series(seq: Any, index: int, n_features: int | None, who: str) -> np.ndarray:
    """One series as a finite float32 (T, F) array (a 1-D series is one feature)."""
    try:
        array = np.asarray(seq, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"{who}: sequence {index} of X is not numeric: {exc}") from None
    if array.ndim == 1:
        array = array[:, None]  # (T,) -> (T, 1)
    if array.ndim != 2:
        raise DatasetError(f"{who}: expected sequence {index} of X as a (T, F) array, got "
                           f"shape {array.shape}")
    if n_features is not None and array.shape[1] != n_features:
        raise DatasetError(f"{who}: expected {n_features} features per step, got "
                           f"{array.shape[1]} in sequence {index}")
    if not np.isfinite(array).all():
        raise DatasetError(f"{who}: sequence {index} of X holds NaN or infinite values")
    return array

"""Word-shape and affix features of tokens: the ids of each token's last 2 and last 3
characters (lower-cased) in vocabularies of the training part, and four shape flags.

Why: in an agglutinative language such as Turkish the part of speech sits in the
suffixes, and web text has odd capitalisation; the character encoder sees both, but only
through a recurrent summary of the whole word. Suffix and shape features (those of
Ratnaparkhi's 1996 maximum-entropy tagger, here as embeddings) give the tagger these
cues directly, at the cost of two embedding look-ups per token.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from .encoding import Vocabulary

SUFFIX_LENGTHS = (2, 3)  # the suffixes embedded: a token's last 2 and last 3 characters
SHAPE_FEATURES = 4  # capitalised, all capitals, holds a digit, no letter or digit


def suffix(token: str, n: int) -> str:
    """The last ``n`` characters of ``token`` in lower case (the whole token when it is
    shorter).

    Example:
        >>> suffix("Evlerde", 3), suffix("A", 2)
        ('rde', 'a')
    """
    return token.lower()[-n:]


def fit_suffixes(tokens: Sequence[str], min_count: int) -> list[Vocabulary]:
    """One vocabulary per length of :data:`SUFFIX_LENGTHS`: the suffixes seen at least
    ``min_count`` times in ``tokens`` (the others share the unknown id)."""
    return [Vocabulary.fit([suffix(t, n) for t in tokens], min_count) for n in SUFFIX_LENGTHS]


def suffix_ids(sentence: Sequence[str], vocabularies: Sequence[Vocabulary]) -> Tensor:
    """(T, len(SUFFIX_LENGTHS)) long: the id of each token's suffix of each length."""
    columns = [vocab.ids([suffix(t, n) for t in sentence])
               for vocab, n in zip(vocabularies, SUFFIX_LENGTHS, strict=True)]
    return torch.tensor(columns, dtype=torch.long).T.contiguous()


def shape_flags(token: str) -> list[float]:
    """Four 0/1 flags: the first character is a capital; every letter is a capital (and
    there are at least two); a digit occurs; no character is a letter or a digit
    (punctuation, symbols).

    Example:
        >>> shape_flags("Ankara"), shape_flags("NATO"), shape_flags("3."), shape_flags("!!")
        ([1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0])
    """
    letters = [c for c in token if c.isalpha()]
    return [float(token[:1].isupper()),
            float(len(letters) >= 2 and all(c.isupper() for c in letters)),
            float(any(c.isdigit() for c in token)),
            float(not any(c.isalnum() for c in token))]


def shapes(sentence: Sequence[str]) -> Tensor:
    """(T, :data:`SHAPE_FEATURES`) float32: :func:`shape_flags` of each token."""
    return torch.tensor([shape_flags(t) for t in sentence], dtype=torch.float32)

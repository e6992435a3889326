"""What a tagger takes from unlabelled sentences, ``fit(X, y, unlabelled=sentences)``:
the words seen at least ``min_count`` times in them join the word vocabulary, and the
word embedding starts from PPMI-SVD word vectors (:mod:`lstmkit.data.word_vectors`,
Levy, Goldberg & Dagan 2015) learned from the training sentences and the unlabelled
ones together.

Why: a small tagged corpus leaves many test words rare or unseen (the WSJ excerpt's
training part holds 20,000 tokens); a word that plain text shows in the company of
nouns, say, starts near the nouns' vectors, so the tagger can place it even when it
has never seen it tagged. Everything else of the tagger is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ...data.word_vectors import word_vectors
from ...errors import ConfigError, DatasetError
from .encoding import PAD, UNK, Vocabulary
from .ensemble import members_of


def unlabelled_sentences(fit_params: dict[str, Any], kind: str, settings: Any,
                         who: str) -> list[list[str]]:
    """``fit(..., unlabelled=sentences)``: token lists without tags, or [] when none
    were given; DatasetError for anything else or beside series input, ConfigError when
    the tagger has no word embedding to start (``word_size=0``)."""
    sentences = fit_params.get("unlabelled")
    if sentences is None:
        return []
    if isinstance(sentences, str) or not isinstance(sentences, Sequence) or not all(
            isinstance(s, Sequence) and not isinstance(s, str)
            and all(isinstance(w, str) for w in s) for s in sentences):
        raise DatasetError(f"{who}: expected unlabelled as a list of sentences (lists of "
                           f"token strings), got {type(sentences).__name__}")
    if kind != "tokens":
        raise DatasetError(f"{who}: unlabelled sentences need token input, but X holds "
                           "series")
    if not settings.word_size:
        raise ConfigError(f"{who}: unlabelled sentences start the word embedding, but "
                          "word_size is 0")
    return [list(s) for s in sentences if len(s)]


def extend_vocabulary(words: Vocabulary, sentences: list[list[str]], lowercase: bool,
                      min_count: int) -> Vocabulary:
    """``words`` (ids unchanged), then the words seen at least ``min_count`` times in
    ``sentences`` that it lacks, most frequent first.

    Example:
        >>> extend_vocabulary(Vocabulary(["the"]), [["A", "the", "a"]], True, 2).pieces
        ['the', 'a']
    """
    seen = Vocabulary.fit([w.lower() if lowercase else w for s in sentences for w in s],
                          min_count)
    known = set(words.pieces)
    return Vocabulary(words.pieces + [p for p in seen.pieces if p not in known])


def start_word_embeddings(network: torch.nn.Module, words: Vocabulary,
                          sentences: list[list[str]], lowercase: bool, seed: int) -> None:
    """Every member's word embedding starts as the PPMI-SVD vectors of ``sentences``
    (the training and the unlabelled ones) over ``words``; unknown words are left out
    of the co-occurrences, the padding row stays zero.

    Shape:
        network.words.weight: (V, E) with V = len(words), filled in place.
    """
    documents = []
    for sentence in sentences:
        ids = np.asarray(words.ids([w.lower() if lowercase else w for w in sentence]))
        documents.append(np.where(ids == UNK, 0, ids))  # id 0 is skipped when counting
    members = members_of(network)
    vectors = torch.from_numpy(word_vectors(documents, *members[0].words.weight.shape,
                                            seed=seed))  # once for every member
    vectors[PAD] = 0.0
    with torch.no_grad():
        for member in members:
            member.words.weight.copy_(vectors)

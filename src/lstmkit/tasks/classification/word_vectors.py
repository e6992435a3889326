"""The text classifier's use of word vectors learned from unlabelled text
(:mod:`lstmkit.data.word_vectors`, PPMI-SVD): ``fit(X, y, unlabelled=texts)`` checks
the texts, and every token embedding starts from the vectors.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from ...data.word_vectors import word_vectors
from ...models.vector_lr import VectorMeanLR
from .inputs import ClassificationDataError


def unlabelled_texts(fit_params: dict[str, Any], kind: str) -> list[str]:
    """``fit(..., unlabelled=texts)``: text without labels (text input only), or []."""
    texts = fit_params.get("unlabelled")
    if texts is None:
        return []
    if kind != "text" or isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        raise ClassificationDataError("SequenceClassifier: unlabelled must be a list of "
                                      "strings, for text input")
    return list(texts)


def start_embeddings(network: nn.Module, tokenizer: Any, texts: list[str], *,
                     embeddings: bool = True) -> None:
    """Every token embedding of ``network`` (each ensemble member's; with
    ``embeddings``) and every word-vector regression's table start as the word vectors
    learned from ``texts`` (the training texts without their labels and the unlabelled
    texts), computed once per shape (and not at all without a table to fill)."""
    tables = [m.table for m in network.modules() if isinstance(m, VectorMeanLR)]
    if embeddings:
        tables += [m.weight for m in network.modules() if type(m) is nn.Embedding]
    documents = ([np.asarray(tokenizer.encode(t), dtype=np.int64) for t in texts]
                 if tables else [])
    learned: dict[tuple[int, int], torch.Tensor] = {}
    for table in tables:
        shape = tuple(table.shape)
        if shape not in learned:
            learned[shape] = torch.from_numpy(word_vectors(documents, *shape))
        with torch.no_grad():
            table.copy_(learned[shape])

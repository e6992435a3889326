"""Word vectors learned from unlabelled text: the truncated SVD of the positive
pointwise mutual information (PPMI) matrix of word co-occurrences in a window (Levy,
Goldberg & Dagan 2015), from documents given as arrays of token ids. Shared by the
tasks that start their word embeddings from them (the text classifier's
``fit(..., unlabelled=texts)`` and the tagger's ``fit(..., unlabelled=sentences)``).

Why: on a few thousand labelled sentences an LSTM trained from scratch learns little
about words (Pang & Lee sentence polarity: 0.60 against naive Bayes' 0.74); vectors
learned from more text of the same kind carry what the labels cannot teach. Written
here with scipy's sparse matrices and scikit-learn's randomized SVD because no package
that installs offline ships English word vectors, and word2vec-style training would
cost minutes where the SVD of a 20,000-word matrix takes seconds.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.utils.extmath import randomized_svd

#: Context smoothing of the PPMI (Levy et al. 2015: 0.75, as word2vec's negative sampling).
CONTEXT_POWER = 0.75


def cooccurrences(documents: list[np.ndarray], vocab_size: int, window: int
                  ) -> sparse.csr_matrix:
    """Counts of each pair of ids at most ``window`` positions apart in a document,
    weighted 1/distance (as GloVe); id 0 (the unknown token) is left out.

    Shape:
        documents: 1-D int arrays -> (V, V), symmetric.
    """
    rows, cols, weights = [], [], []
    for ids in documents:
        ids = ids[ids != 0]
        for distance in range(1, window + 1):
            if len(ids) <= distance:
                break
            rows.append(ids[:-distance]), cols.append(ids[distance:])
            weights.append(np.full(len(ids) - distance, 1.0 / distance))
    if not rows:
        return sparse.csr_matrix((vocab_size, vocab_size))
    r, c, w = np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)
    counts = sparse.coo_matrix((w, (r, c)), shape=(vocab_size, vocab_size)).tocsr()
    return (counts + counts.T).tocsr()


def ppmi(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """max(0, log P(w, c) / (P(w) P_α(c))), with the context distribution smoothed by
    :data:`CONTEXT_POWER`; zero rows stay zero."""
    coo = counts.tocoo()
    total = coo.data.sum()
    words = np.asarray(counts.sum(1)).ravel() / max(total, 1e-30)
    contexts = np.asarray(counts.sum(0)).ravel() ** CONTEXT_POWER
    contexts /= max(contexts.sum(), 1e-30)
    pmi = np.log(coo.data / total / (words[coo.row] * contexts[coo.col]))
    keep = pmi > 0
    return sparse.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=counts.shape)


def word_vectors(documents: list[np.ndarray], vocab_size: int, dim: int, *,
                 window: int = 4, seed: int = 0) -> np.ndarray:
    """Vectors (V, dim) from the PPMI-SVD of ``documents`` (token id arrays): U·√S,
    each row scaled to unit variance per feature (the scale of ``nn.Embedding``'s own
    start); ids that never co-occur get small random rows.

    Example:
        >>> docs = [np.array([1, 2, 3, 1, 2, 3]), np.array([4, 5, 4, 5])] * 5
        >>> word_vectors(docs, 6, 2).shape
        (6, 2)
    """
    matrix = ppmi(cooccurrences(documents, vocab_size, window))
    rank = min(dim, max(min(matrix.shape) - 1, 1))
    u, s, _ = randomized_svd(matrix, rank, random_state=seed)
    vectors = np.zeros((vocab_size, dim))
    vectors[:, :rank] = u * np.sqrt(s)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    empty = norms[:, 0] < 1e-12
    vectors = vectors / np.where(empty[:, None], 1.0, norms) * np.sqrt(dim)
    vectors[empty] = np.random.default_rng(seed).normal(0.0, 0.1, (int(empty.sum()), dim))
    return vectors.astype(np.float32)

"""Word vectors from unlabelled text (PPMI-SVD) and ``fit(..., unlabelled=texts)``."""

import numpy as np
import pytest
import torch

from lstmkit import SequenceClassifier
from lstmkit.data.word_vectors import cooccurrences, ppmi, word_vectors
from lstmkit.errors import LstmkitError
from lstmkit.training import TrainConfig

A, B = [f"a{i}" for i in range(8)], [f"b{i}" for i in range(8)]


def _unlabelled(n=200, seed=0):
    """Sentences each drawn from one of two word groups (a0..a7 or b0..b7)."""
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(A if i % 2 else B, size=6)) for i in range(n)]


def test_cooccurrences_count_pairs_inside_the_window_weighted_by_distance():
    counts = cooccurrences([np.array([1, 2, 0, 3])], 4, window=2).toarray()
    # id 0 is dropped first: the document reads 1 2 3
    assert counts[1, 2] == counts[2, 1] == 1.0 and counts[2, 3] == 1.0
    assert counts[1, 3] == 0.5 and counts[0].sum() == 0 and np.allclose(counts, counts.T)
    assert cooccurrences([np.array([1])], 3, window=2).nnz == 0


def test_ppmi_is_positive_where_pairs_meet_more_often_than_chance():
    counts = cooccurrences([np.array([1, 2] * 20), np.array([3, 4] * 20)], 5, window=1)
    matrix = ppmi(counts).toarray()
    assert matrix[1, 2] > 0 and matrix[3, 4] > 0
    assert matrix[1, 3] == 0 and (matrix >= 0).all()


def test_word_vectors_put_words_of_one_group_together():
    from lstmkit.data.text import WordTokenizer

    texts = _unlabelled()
    tok = WordTokenizer().fit("\n".join(texts))
    docs = [np.asarray(tok.encode(t)) for t in texts]
    vectors = word_vectors(docs, tok.vocab_size, 8)
    assert vectors.shape == (tok.vocab_size, 8) and vectors.dtype == np.float32

    def cosine(u, v):
        u, v = vectors[tok.encode(u)[0]], vectors[tok.encode(v)[0]]
        return float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))

    assert cosine(" a1", " a2") > cosine(" a1", " b2") + 0.5
    seen = sorted({i for d in docs for i in d.tolist()} - {0})
    assert np.allclose(np.linalg.norm(vectors[seen], axis=1), np.sqrt(8), rtol=1e-4)
    never = tok.encode("\n")[0]  # a piece of the vocabulary that no document holds
    assert 0 < np.linalg.norm(vectors[never]) < 1


def _labelled(seed=1):
    """Labelled sentences that use only a0..a3 / b0..b3."""
    rng = np.random.default_rng(seed)
    y = np.array(["a", "b"] * 20)
    return [" ".join(rng.choice((A if c == "a" else B)[:4], size=5)) for c in y], y


def test_fit_with_unlabelled_text_learns_words_only_the_unlabelled_text_holds():
    texts, y = _labelled()
    rng = np.random.default_rng(2)
    unseen = np.array(["a", "b"] * 20)  # words a4..a7 / b4..b7: never in a labelled text
    tests = [" ".join(rng.choice((A if c == "a" else B)[4:], size=5)) for c in unseen]

    def fitted(**kwargs):
        return SequenceClassifier(model="lstm", hidden_size=8, embedding_dim=8,
                                  pooling="mean", progress=False,
                                  train=TrainConfig(epochs=15, lr=1e-2)).fit(texts, y, **kwargs)

    torch.manual_seed(0)
    plain, pretrained = fitted(), fitted(unlabelled=_unlabelled())
    assert " a5" not in plain.tokenizer_.vocab_ and " a5" in pretrained.tokenizer_.vocab_
    assert (plain.predict(tests) == unseen).mean() == 0.5  # every test word is unknown
    assert (pretrained.predict(tests) == unseen).mean() >= 0.75  # chance: 0.5


def test_fit_with_unlabelled_text_round_trips(tmp_path):
    texts, y = _labelled()
    clf = SequenceClassifier(model="lstm", hidden_size=4, embedding_dim=4, progress=False,
                             train=TrainConfig(epochs=1)).fit(texts, y, unlabelled=_unlabelled())
    clf.save(tmp_path / "m")
    loaded = SequenceClassifier.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_proba(texts), clf.predict_proba(texts))


@pytest.mark.parametrize("unlabelled", ["one string", [1, 2]])
def test_fit_rejects_unlabelled_that_is_not_a_list_of_strings(unlabelled):
    texts, y = _labelled()
    clf = SequenceClassifier(model="lstm", hidden_size=4, progress=False,
                             train=TrainConfig(epochs=1))
    with pytest.raises(LstmkitError, match="unlabelled must be a list of strings"):
        clf.fit(texts, y, unlabelled=unlabelled)


def test_fit_rejects_unlabelled_text_beside_series():
    clf = SequenceClassifier(model="lstm", hidden_size=4, progress=False,
                             train=TrainConfig(epochs=1))
    with pytest.raises(LstmkitError, match="for text input"):
        clf.fit(np.zeros((8, 5)) + np.arange(8)[:, None], np.arange(8) % 2,
                unlabelled=["a b"])

"""The text classifier's bag-of-n-grams branch: naive Bayes at the start, masking,
hashing, and its place in ``SequenceClassifier``."""


import numpy as np
import pytest
import torch
from sklearn.naive_bayes import MultinomialNB

from lstmkit import SequenceClassifier
from lstmkit.models.ngram_bag import BUCKETS, NgramBag, WithNgramBag
from lstmkit.training import TrainConfig


def _documents(seed=0, n=40, vocab=12, length=9):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, length + 1, size=n)
    x = torch.zeros(n, length, dtype=torch.long)
    for i, t in enumerate(lengths):
        x[i, :t] = torch.from_numpy(rng.integers(0, vocab, size=t))  # id 0: unknown
    return x, torch.from_numpy(lengths), torch.from_numpy(rng.integers(0, 3, size=n)), vocab


def test_ngram_bag_unigrams_start_as_scikit_learn_multinomial_naive_bayes():
    x, lengths, y, vocab = _documents()
    bag = NgramBag(vocab, 3, ngrams=1)
    bag.init_naive_bayes(x, lengths, y)
    counts = np.zeros((len(x), vocab))
    for i, t in enumerate(lengths.tolist()):
        np.add.at(counts[i], x[i, :t].numpy(), 1)
    counts[:, 0] = 0  # the unknown token carries no evidence
    counts = counts[:, counts.sum(0) > 0]  # scikit-learn's vocabulary: the seen words
    nb = MultinomialNB(alpha=1.0).fit(counts, y.numpy())
    expected = nb.predict_joint_log_proba(counts)  # (N, C)
    logits = bag(x, lengths).detach().numpy()
    # equal up to a per-document constant: compare the differences between classes
    np.testing.assert_allclose(logits - logits[:, :1], expected - expected[:, :1],
                               rtol=1e-4, atol=1e-4)


def test_ngram_bag_ignores_padding_and_counts_bigrams_inside_the_document():
    bag = NgramBag(6, 2)
    x = torch.tensor([[2, 3, 4, 0], [2, 3, 5, 5]])
    ids, mask = bag.features(x, torch.tensor([2, 2]))
    assert mask.sum(1).tolist() == [3, 3]  # 2 unigrams + 1 bigram each
    assert (ids[~mask] == 0).all() and (ids[mask][ids[mask] >= 6] < 6 + BUCKETS).all()
    torch.nn.init.normal_(bag.weight.weight)
    torch.testing.assert_close(bag(x, torch.tensor([2, 2]))[0], bag(x, torch.tensor([2, 2]))[1])


def test_ngram_bag_bigrams_tell_word_order_apart():
    x, lengths, y = torch.tensor([[2, 3], [3, 2]]), torch.tensor([2, 2]), torch.tensor([0, 1])
    unigrams, bigrams = NgramBag(4, 2, ngrams=1), NgramBag(4, 2, ngrams=2)
    for bag in (unigrams, bigrams):
        bag.init_naive_bayes(x, lengths, y)
    assert unigrams(x, lengths).argmax(1).tolist() == [0, 0]  # a tie: the same words
    assert bigrams(x, lengths).argmax(1).tolist() == [0, 1]


def test_ngram_bag_rejects_other_orders():
    with pytest.raises(ValueError, match="NgramBag: expected ngrams 1 or 2, got 3"):
        NgramBag(5, 2, ngrams=3)


def _texts():
    texts = ["great fun film", "loved it great", "awful boring film", "boring and awful"] * 6
    return texts, np.array(["pos", "pos", "neg", "neg"] * 6)


def test_classifier_text_network_with_the_bag_round_trips(tmp_path):
    texts, labels = _texts()
    clf = SequenceClassifier(n_models=1, model="lstm", hidden_size=4, embedding_dim=4, bag_ngrams=2,
                             progress=False, train=TrainConfig(epochs=2)).fit(texts, labels)
    assert isinstance(clf.network_, WithNgramBag)
    clf.save(tmp_path / "m")
    loaded = SequenceClassifier.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_proba(texts), clf.predict_proba(texts))


def test_classifier_bag_starts_from_naive_bayes():
    texts, labels = _texts()
    clf = SequenceClassifier(n_models=1, model="lstm", hidden_size=4, embedding_dim=4, bag_ngrams=2,
                             progress=False, val_fraction=0.25,
                             train=TrainConfig(epochs=1, lr=1e-9))
    clf.fit(texts, labels)
    # (almost) no training: the bias is naive Bayes' centred log prior of the balanced
    # fit part, and naive Bayes separates these words
    torch.testing.assert_close(clf.network_.bag.bias.detach(), torch.zeros(2))
    assert clf.network_.bag.weight.weight.abs().sum() > 0
    assert (clf.predict(texts) == labels).mean() == 1.0


def test_classifier_bag_off_by_default_and_series_keep_the_plain_network():
    texts, labels = _texts()
    plain = SequenceClassifier(model="lstm", hidden_size=4, embedding_dim=4,
                               progress=False, train=TrainConfig(epochs=1)).fit(texts, labels)
    assert not isinstance(plain.network_, WithNgramBag)
    X = np.zeros((8, 5)) + np.arange(8)[:, None]
    series = SequenceClassifier(model="lstm", hidden_size=4, bag_ngrams=2, progress=False,
                                train=TrainConfig(epochs=1)).fit(X, np.arange(8) % 2)
    assert not isinstance(series.network_, WithNgramBag)


def test_classifier_saved_before_the_bag_loads_without_it(tmp_path, saved_without):
    texts, labels = _texts()
    clf = SequenceClassifier(model="lstm", hidden_size=4, embedding_dim=4, bag_ngrams=0,
                             progress=False, train=TrainConfig(epochs=1)).fit(texts, labels)
    loaded = saved_without(clf, tmp_path / "m", "bag_ngrams", "min_count")
    assert loaded.settings.bag_ngrams == 0 and not isinstance(loaded.network_, WithNgramBag)
    np.testing.assert_array_equal(loaded.predict_proba(texts), clf.predict_proba(texts))

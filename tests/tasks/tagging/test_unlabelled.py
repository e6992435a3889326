"""Word vectors from unlabelled sentences for the tagger, ``fit(X, y,
unlabelled=sentences)``: the vocabulary they add, the embedding they start, what they
let a tagger learn about words it never saw tagged, the round trip, and bad input."""

import numpy as np
import pytest
import torch

from lstmkit.errors import ConfigError, DatasetError
from lstmkit.models.tagger_net import TaggerNet
from lstmkit.tasks.tagging import SequenceTagger
from lstmkit.tasks.tagging.encoding import PAD, UNK, Vocabulary
from lstmkit.tasks.tagging.ensemble import TaggerEnsemble
from lstmkit.tasks.tagging.unlabelled import extend_vocabulary, start_word_embeddings
from lstmkit.training import TrainConfig

A, B = [f"a{i}" for i in range(8)], [f"b{i}" for i in range(8)]


def _group_sentences(n, words_a, words_b, seed):
    """Sentences of 6 words, each drawn from one group (its words tagged by the group)."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for i in range(n):
        group, tag = (words_a, "A") if i % 2 else (words_b, "B")
        X.append(list(rng.choice(group, size=6))), y.append([tag] * 6)
    return X, y


def _words_only(**settings):
    """A small tagger that reads words only (no characters, no affixes)."""
    return SequenceTagger(hidden_size=8, word_size=8, char_size=0, affix_size=0,
                          val_fraction=0.0, **settings,
                          train=TrainConfig(epochs=15, lr=1e-2))


def test_extend_vocabulary_keeps_the_training_ids_and_adds_frequent_words():
    words = Vocabulary(["the", "cat"])
    grown = extend_vocabulary(words, [["The", "Dog", "dog", "owl", "cat"]], True, 2)
    assert grown.pieces == ["the", "cat", "dog"]  # "owl" seen once: left out
    assert grown.index["the"] == words.index["the"] and grown.index["cat"] == words.index["cat"]
    assert extend_vocabulary(words, [["Dog", "dog"]], False, 2).pieces == ["the", "cat"]


def test_start_word_embeddings_puts_the_words_of_one_group_together():
    X, _ = _group_sentences(200, A, B, seed=0)
    words = Vocabulary(A + B)
    net = TaggerEnsemble([TaggerNet(2, hidden_size=4, vocab_size=len(words), word_size=8)
                          for _ in range(2)])
    start_word_embeddings(net, words, X, lowercase=True, seed=0)
    first, second = (m.words.weight.detach() for m in net.members)
    torch.testing.assert_close(first, second)  # computed once, for every member
    assert first[PAD].abs().sum() == 0  # padding stays zero

    def cosine(u, v):
        u, v = first[words.index[u]], first[words.index[v]]
        return float(u @ v / u.norm() / v.norm())

    assert cosine("a1", "a6") > cosine("a1", "b6") + 0.5
    assert torch.allclose(first[words.index["b3"]].norm(), torch.tensor(8.0).sqrt(), rtol=1e-4)
    assert 0 < float(first[UNK].norm()) < 1  # never counted: a small random row


def test_unlabelled_words_are_tagged_by_the_company_they_keep():
    X, y = _group_sentences(40, A[:4], B[:4], seed=1)  # tagged: a0..a3 and b0..b3 only
    unlabelled, _ = _group_sentences(300, A, B, seed=2)  # a4..a7, b4..b7 only here
    unseen = [[w] for w in A[4:] + B[4:]]
    truth = [["A"]] * 4 + [["B"]] * 4
    plain = _words_only().fit(X, y)
    helped = _words_only().fit(X, y, unlabelled=unlabelled)
    assert len(helped.inputs_.words) == len(plain.inputs_.words) + 8
    assert plain.evaluate(unseen, truth)["token_accuracy"] == 0.5  # all unknown: one tag
    assert helped.evaluate(unseen, truth)["token_accuracy"] >= 0.875


def test_no_unlabelled_sentences_change_nothing():
    X, y = _group_sentences(20, A[:4], B[:4], seed=3)
    small = dict(hidden_size=4, word_size=4, char_size=3, char_hidden_size=3, affix_size=0,
                 train=TrainConfig(epochs=2))
    plain = SequenceTagger(**small).fit(X, y)
    empty = SequenceTagger(**small).fit(X, y, unlabelled=[])
    for key, value in plain.network_.state_dict().items():
        torch.testing.assert_close(empty.network_.state_dict()[key], value)


def test_a_tagger_fitted_with_unlabelled_sentences_round_trips(tmp_path):
    X, y = _group_sentences(20, A[:4], B[:4], seed=4)
    unlabelled, _ = _group_sentences(50, A, B, seed=5)
    tagger = SequenceTagger(hidden_size=4, word_size=4, char_size=3, char_hidden_size=3,
                            train=TrainConfig(epochs=1)).fit(X, y, unlabelled=unlabelled)
    tagger.save(tmp_path / "m")
    loaded = SequenceTagger.load(tmp_path / "m")
    assert loaded.inputs_.words.pieces == tagger.inputs_.words.pieces
    assert "a7" in loaded.inputs_.words.index
    probe = [["a7", "a1", "b5"], ["b0"]]
    assert loaded.predict(probe) == tagger.predict(probe)


@pytest.mark.parametrize("unlabelled", ["a0 a1", [["a0", 3]], ["a0 a1"], 5])
def test_fit_rejects_unlabelled_that_is_not_a_list_of_token_lists(unlabelled):
    X, y = _group_sentences(12, A, B, seed=6)
    with pytest.raises(DatasetError, match="SequenceTagger: expected unlabelled as a list "
                       r"of sentences \(lists of token strings\)"):
        _words_only().fit(X, y, unlabelled=unlabelled)


def test_fit_rejects_unlabelled_sentences_beside_series_or_without_word_embeddings():
    series = [np.zeros((5, 2), dtype=np.float32)] * 12
    with pytest.raises(DatasetError, match="SequenceTagger: unlabelled sentences need token "
                       "input, but X holds series"):
        SequenceTagger().fit(series, [[0, 1, 0, 1, 0]] * 12, unlabelled=[["a"]])
    X, y = _group_sentences(12, A, B, seed=7)
    with pytest.raises(ConfigError, match="SequenceTagger: unlabelled sentences start the "
                       "word embedding, but word_size is 0"):
        SequenceTagger(word_size=0).fit(X, y, unlabelled=[["a0"]])

"""SequenceTagger: learns tags that need context (tokens and series), with the CRF and
the softmax head; BIO constraints respected; validation from the training data; save
and load; bad input named."""

import itertools

import numpy as np
import pytest
from sklearn.base import clone

from lstmkit.errors import DatasetError
from lstmkit.models.crf_constraints import allowed_transitions
from lstmkit.tasks.tagging import SequenceTagger
from lstmkit.training import TrainConfig

TINY = dict(hidden_size=12, word_size=8, char_size=6, char_hidden_size=6, batch_size=8,
            dropout=0.0)


def context_sentences(n, seed=0):
    """'saw' is a verb after a pronoun and a noun after 'the': the tag needs context."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(n):
        if rng.random() < 0.5:
            X.append(["i", "saw", "the", "saw"])
            y.append(["PRON", "VERB", "DET", "NOUN"])
        else:
            X.append(["the", "saw", "saw", "it"])
            y.append(["DET", "NOUN", "VERB", "PRON"])
    return X, y


def entity_sentences(n, seed=0):
    """Names (a first name, sometimes a surname) are PER spans, BIO-tagged, each
    followed by an ordinary word."""
    rng = np.random.default_rng(seed)
    first, last, words = ["Ada", "Bob", "Cem"], ["Lee", "Kim"], ["met", "saw", "and", "then"]
    X, y = [], []
    for _ in range(n):
        sentence, tags = [], []
        for _ in range(int(rng.integers(1, 4))):
            if rng.random() < 0.5:
                span = [str(rng.choice(first))] + ([str(rng.choice(last))]
                                                   if rng.random() < 0.5 else [])
                sentence += span
                tags += ["B-PER"] + ["I-PER"] * (len(span) - 1)
            sentence.append(str(rng.choice(words)))
            tags.append("O")
        X.append(sentence), y.append(tags)
    return X, y


@pytest.mark.parametrize("head", ["crf", "softmax"])
def test_tagger_learns_tags_that_need_context(head):
    X, y = context_sentences(80)
    tagger = SequenceTagger(**TINY, head=head, train=TrainConfig(epochs=12, lr=1e-2))
    tagger.fit(X, y)
    assert tagger.predict([["i", "saw", "the", "saw"], ["the", "saw", "saw", "it"]]) == [
        ["PRON", "VERB", "DET", "NOUN"], ["DET", "NOUN", "VERB", "PRON"]]
    assert tagger.evaluate(X, y)["token_accuracy"] == 1.0


def test_tagger_crf_decodes_legal_bio_spans_and_scores_them():
    X, y = entity_sentences(120)
    tagger = SequenceTagger(**TINY, train=TrainConfig(epochs=10, lr=1e-2)).fit(X, y)
    assert tagger.scheme_ == "bio"
    rules = allowed_transitions(tagger.classes_, "bio")
    for seq in tagger._predict_ids(X):
        assert rules.start[seq[0]] and all(rules.allowed[a, b] for a, b in itertools.pairwise(seq))
    scores = tagger.evaluate(*entity_sentences(40, seed=1))
    assert scores["span_f1"] > 0.9 and scores["token_accuracy"] > 0.9


def test_tagger_learns_per_step_labels_of_series():
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(int(rng.integers(5, 15)), 2)).astype(np.float32) for _ in range(60)]
    y = [(np.cumsum(x[:, 0]) > 0).astype(int) for x in X]  # the sign of a running sum
    tagger = SequenceTagger(hidden_size=16, dropout=0.0, batch_size=8,
                            train=TrainConfig(epochs=25, lr=1e-2)).fit(X, y)
    assert tagger.classes_ == [0, 1] and tagger.input_kind_ == "series"
    assert tagger.evaluate(X, y)["token_accuracy"] > 0.9
    assert [len(p) for p in tagger.predict(X[:3])] == [len(x) for x in X[:3]]
    cube = rng.normal(size=(4, 6, 2))
    assert len(tagger.predict(cube)) == 4


def test_tagger_validation_comes_from_the_training_data():
    X, y = context_sentences(40)
    tagger = SequenceTagger(**TINY, val_fraction=0.25, train=TrainConfig(epochs=2)).fit(X, y)
    assert "val_accuracy" in tagger.history_[-1]
    given = SequenceTagger(**TINY, train=TrainConfig(epochs=2)).fit(
        X[:30], y[:30], validation=(X[30:], y[30:]))
    assert "val_accuracy" in given.history_[-1]
    none = SequenceTagger(**TINY, val_fraction=0.0, train=TrainConfig(epochs=1)).fit(X, y)
    assert "val_accuracy" not in none.history_[-1]


def test_tagger_save_load_predicts_the_same(tmp_path):
    X, y = entity_sentences(30)
    tagger = SequenceTagger(**TINY, train=TrainConfig(epochs=1)).fit(X, y)
    loaded = SequenceTagger.load(tagger.save(tmp_path / "m"))
    assert loaded.predict(X) == tagger.predict(X) and loaded.scheme_ == "bio"
    assert clone(tagger).get_params() == tagger.get_params()


def test_tagger_padded_batch_equals_each_sentence_alone():
    X, y = entity_sentences(30)
    tagger = SequenceTagger(**TINY, train=TrainConfig(epochs=1)).fit(X, y)
    assert tagger._predict_ids(X) == [tagger._predict_ids([x])[0] for x in X]


@pytest.mark.parametrize("X,y,message", [
    ([["a", "b"]] * 4, [["X", "X"]] * 4, "single tag"),
    ([["a", "b"], []], [["X", "Y"], []], "sequence 1 of X is empty"),
    ([["a", "b"]], [["X"]], "sequence 0 has 2 steps but 1 tags"),
    ([["a", "b"]], None, "expected y with one tag list per sequence"),
    ([], [], "expected X as a non-empty list"),
    ([np.array([[np.nan], [1.0]])] * 3, [[0, 1]] * 3, "holds NaN or infinite values"),
])
def test_tagger_bad_input_is_named(X, y, message):
    with pytest.raises(DatasetError, match=message):
        SequenceTagger(**TINY, val_fraction=0.0, train=TrainConfig(epochs=1)).fit(X, y)


def test_tagger_explicit_scheme_refuses_tags_that_break_it():
    with pytest.raises(DatasetError, match="training sequence 1 breaks it"):
        SequenceTagger(**TINY, scheme="bio", val_fraction=0.0,
                       train=TrainConfig(epochs=1)).fit(
            [["a"], ["b", "c"]], [["B-X"], ["O", "I-X"]])

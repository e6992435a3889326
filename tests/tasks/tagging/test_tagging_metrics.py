"""Span scores equal seqeval 1.2.2's on random (also malformed) BIO and BIOES taggings;
token accuracy, the per-tag report and the most-frequent-tag baseline."""

import random
import warnings

import pytest

from lstmkit.tasks.tagging.baselines import MostFrequentTag
from lstmkit.tasks.tagging.metrics import (
    per_tag_report,
    scheme_violation,
    span_scores,
    spans,
    tagging_scores,
    token_accuracy,
)

TAGS = {"bio": ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"],
        "bioes": ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "E-LOC", "S-LOC"]}


def random_tagging(rng, tags, n=12):
    return [[rng.choice(tags) for _ in range(rng.randint(1, 9))] for _ in range(n)]


@pytest.mark.parametrize("scheme", ["bio", "bioes"])
@pytest.mark.parametrize("seed", range(10))
def test_span_scores_equal_seqeval(scheme, seed):
    metrics = pytest.importorskip("seqeval.metrics")
    from seqeval.metrics.sequence_labeling import get_entities

    rng = random.Random(seed)
    truth = random_tagging(rng, TAGS[scheme])
    predicted = [[t if rng.random() < 0.7 else rng.choice(TAGS[scheme]) for t in seq]
                 for seq in truth]
    ours = span_scores(truth, predicted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert sorted(spans(truth)) == sorted(get_entities(truth))
        assert ours["span_precision"] == pytest.approx(metrics.precision_score(truth, predicted))
        assert ours["span_recall"] == pytest.approx(metrics.recall_score(truth, predicted))
        assert ours["span_f1"] == pytest.approx(metrics.f1_score(truth, predicted))
        assert token_accuracy(truth, predicted) == pytest.approx(
            metrics.accuracy_score(truth, predicted))


def test_span_scores_without_spans_are_zero_as_seqeval():
    assert span_scores([["O", "O"]], [["O", "O"]]) == {
        "span_precision": 0.0, "span_recall": 0.0, "span_f1": 0.0}


def test_tagging_scores_give_spans_only_for_chunk_tags():
    assert set(tagging_scores([["NOUN", "VERB"]], [["NOUN", "NOUN"]])) == {"token_accuracy"}
    scores = tagging_scores([["B-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]])
    assert scores["span_f1"] == 1.0 and scores["token_accuracy"] == 1.0


def test_per_tag_report_counts_each_tag():
    rows = per_tag_report([["A", "A", "B"]], [["A", "B", "B"]])
    assert rows == [{"tag": "A", "precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3),
                     "support": 2},
                    {"tag": "B", "precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3),
                     "support": 1}]


def test_scheme_violation_names_the_sequence_and_the_transition():
    assert scheme_violation([["B-X", "I-X"], ["O", "I-X"]], "bio") == (
        1, "'O' is followed by 'I-X'")
    assert scheme_violation([["I-X"]], "bio") == (0, "it starts with 'I-X'")
    assert scheme_violation([["B-X", "E-X"], ["S-X", "O"]], "bioes") is None


def test_most_frequent_tag_uses_each_tokens_majority_and_the_overall_one_for_new_tokens():
    X = [["run", "the", "run"], ["the", "run", "dog"]]
    y = [["VB", "DT", "NN"], ["DT", "NN", "NN"]]
    base = MostFrequentTag().fit(X, y)
    assert base.predict([["run", "the", "cat"]]) == [["NN", "DT", "NN"]]

"""Late fusion of the naive-Bayes bag with a text classifier network
(``bag_fusion="late"``): the weight fitted on validation, the frozen bag, persistence."""

import numpy as np
import pytest
import torch

from lstmkit import SequenceClassifier
from lstmkit.models.ngram_bag import LateNgramBag, NgramBag
from lstmkit.tasks.classification.bag_fusion import fit_bag_weight
from lstmkit.tasks.classification.encoding import to_tensors
from lstmkit.tasks.classification.ensemble import MeanProbability
from lstmkit.tasks.classification.inputs import read_sequences
from lstmkit.tasks.classification.split import stratified_split
from lstmkit.training import TrainConfig

POS, NEG = ["great", "fun", "loved", "superb"], ["awful", "boring", "dull", "bad"]
FILLER = ["the", "film", "it", "was", "and", "a", "plot"]


def _texts(n=80, seed=0):
    """SYNTHETIC reviews: filler words and one or two words of the label's side."""
    rng = np.random.default_rng(seed)
    y = np.array(["pos", "neg"] * (n // 2))
    texts = [" ".join(list(rng.choice(FILLER, 4)) + list(rng.choice(POS if c == "pos"
                                                                   else NEG, 2)))
             for c in y]
    return texts, y


@pytest.mark.parametrize("true_weight", [0.0, 0.3, 2.0])
def test_fit_bag_weight_recovers_the_weight_the_labels_were_drawn_with(true_weight):
    gen = torch.Generator().manual_seed(0)
    net, bag = torch.randn(20000, 3, generator=gen), 2 * torch.randn(20000, 3, generator=gen)
    y = torch.multinomial((net + true_weight * bag).softmax(1), 1, generator=gen)[:, 0]
    assert fit_bag_weight(net, bag, y) == pytest.approx(true_weight, abs=0.05)


def test_fit_bag_weight_with_no_validation_data_is_the_plain_sum():
    assert fit_bag_weight(torch.zeros(0, 2), torch.zeros(0, 2), torch.zeros(0).long()) == 1.0


def _late(**kw):
    settings = {"model": "lstm", "hidden_size": 4, "embedding_dim": 4, "bag_ngrams": 2,
                "bag_fusion": "late", "min_val_size": 5, "progress": False,
                "train": TrainConfig(epochs=2)}
    return SequenceClassifier(**{**settings, **kw})


def test_late_fusion_keeps_the_bag_naive_bayes_of_the_fit_part_and_fits_its_weight():
    texts, labels = _texts()
    clf = _late().fit(texts, labels)
    net = clf.network_
    assert isinstance(net, LateNgramBag)
    assert not any(p.requires_grad for p in net.bag.parameters())
    _, codes = np.unique(labels, return_inverse=True)
    fit, _ = stratified_split(codes, 0.2, seed=0, min_size=5)
    x, lengths = to_tensors(read_sequences(texts), tokenizer=clf.tokenizer_, max_tokens=400)
    expected = NgramBag(clf.tokenizer_.vocab_size, 2)
    expected.init_naive_bayes(x[fit], lengths[fit], torch.as_tensor(codes[fit]))
    torch.testing.assert_close(net.bag.state_dict(), expected.state_dict())  # untrained
    weight = float(net.bag_weight)
    assert weight > 0 and weight != 1.0  # fitted on the 16 validation reviews
    with torch.no_grad():
        net.eval()
        fused = net.network(x, lengths) + weight * net.bag(x, lengths)
    np.testing.assert_allclose(clf.decision_function(texts) * clf.temperature_,
                               fused.numpy(), rtol=1e-4, atol=1e-4)
    assert (clf.predict(texts) == labels).mean() == 1.0  # the bag separates the words


def test_late_fusion_wraps_the_whole_ensemble_and_round_trips(tmp_path):
    texts, labels = _texts()
    clf = _late(n_models=2).fit(texts, labels)
    assert isinstance(clf.network_, LateNgramBag)
    assert isinstance(clf.network_.network, MeanProbability)
    members = clf.network_.network.members
    assert not torch.equal(members[0].head.weight, members[1].head.weight)  # two seeds
    clf.save(tmp_path / "m")
    loaded = SequenceClassifier.load(tmp_path / "m")
    assert float(loaded.network_.bag_weight) == float(clf.network_.bag_weight)
    np.testing.assert_array_equal(loaded.predict_proba(texts), clf.predict_proba(texts))


def test_late_fusion_without_a_validation_split_adds_the_bag_with_weight_one():
    texts, labels = _texts(24)
    clf = _late(min_val_size=30).fit(texts, labels)
    assert float(clf.network_.bag_weight) == 1.0 and clf.temperature_ == 1.0

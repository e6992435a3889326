"""``vector_lr=True``: a logistic regression on mean word vectors fused late beside the
naive-Bayes bag, fitted out of fold with ``cross_fit``, its weight fitted jointly with
the bag's; persistence and errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lstmkit import SequenceClassifier
from lstmkit.errors import ConfigError
from lstmkit.models.ngram_bag import NgramBag
from lstmkit.models.vector_lr import LateVectorBag, VectorMeanLR
from lstmkit.tasks.classification.bag_fusion import fit_late_weights
from lstmkit.tasks.classification.cross_fit import stratified_folds
from lstmkit.tasks.classification.inputs import ClassificationDataError
from lstmkit.tasks.classification.objective import batch_logits
from lstmkit.tasks.classification.vector_lr import fit_vector_lr
from lstmkit.tasks.classification.word_vectors import start_embeddings
from lstmkit.training import TrainConfig

from .test_bag_fusion import _late, _texts
from .test_cross_fit import _noisy_texts, _tensors


def test_vector_mean_lr_averages_the_known_tokens_inside_each_document():
    lr = VectorMeanLR(4, 2, 2)
    lr.table.copy_(torch.tensor([[9.0, 9.0], [1.0, 0.0], [0.0, 1.0], [3.0, 3.0]]))
    x = torch.tensor([[1, 2, 0, 3], [3, 1, 2, 2]])  # id 0 unknown; row 2 ends after 1 step
    features = lr.features(x, torch.tensor([4, 1]))
    torch.testing.assert_close(features, torch.tensor([[4 / 3, 4 / 3], [3.0, 3.0]]))
    assert lr(x, torch.tensor([4, 1])).shape == (2, 2)


def test_fit_vector_lr_separates_classes_that_the_mean_vector_separates():
    gen = torch.Generator().manual_seed(0)
    lr = VectorMeanLR(21, 3, 2)
    lr.table.copy_(torch.randn(21, 3, generator=gen))
    x = torch.randint(1, 21, (200, 6), generator=gen)
    y = (lr.table[x].mean(1)[:, 0] > lr.table[x].mean(1)[:, 0].median()).long()
    fit_vector_lr(lr, x, torch.full((200,), 6), y)
    logits = lr(x, torch.full((200,), 6))
    assert (logits.argmax(1) == y).float().mean() > 0.95
    torch.testing.assert_close(logits.sum(1), torch.zeros(200), atol=1e-5, rtol=0)  # centred


def test_fit_late_weights_recovers_two_weights_jointly():
    gen = torch.Generator().manual_seed(0)
    net, bag, vec = (torch.randn(20000, 3, generator=gen) * s for s in (1, 2, 2))
    y = torch.multinomial((net + 0.3 * bag + 1.5 * vec).softmax(1), 1, generator=gen)[:, 0]
    assert fit_late_weights(net, [bag, vec], y) == pytest.approx([0.3, 1.5], abs=0.06)
    assert fit_late_weights(net[:0], [bag[:0], vec[:0]], y[:0]) == [1.0, 1.0]


def test_start_embeddings_fills_the_tables_and_the_embeddings_only_when_asked():
    texts, labels = _texts()
    clf = _late(vector_lr=True).fit(texts, labels)
    network = clf._build()
    embedding = next(m for m in network.modules() if type(m) is nn.Embedding)
    before = embedding.weight.detach().clone()
    start_embeddings(network, clf.tokenizer_, texts, embeddings=False)
    assert torch.equal(embedding.weight, before)
    assert network.vector_lr.table.abs().sum() > 0
    start_embeddings(network, clf.tokenizer_, texts)
    torch.testing.assert_close(embedding.weight, network.vector_lr.table)


def test_vector_lr_weights_are_a_joint_refit_on_the_out_of_fold_predictions():
    texts, labels = _noisy_texts()
    clf = _late(n_models=3, cross_fit=True, vector_lr=True,
                train=TrainConfig(epochs=3)).fit(texts, labels)
    net = clf.network_
    assert isinstance(net, LateVectorBag)
    assert net.vector_lr.table.abs().sum() > 0  # vectors of the training texts
    x, lengths, target, codes = _tensors(clf, texts, labels)
    net_oof, bag_oof, vec_oof = (torch.zeros(len(texts), 2) for _ in range(3))
    for member, fold in zip(net.network.members, stratified_folds(codes, 3, seed=0,
                                                                    min_size=5), strict=True):
        rest = np.setdiff1d(np.arange(len(texts)), fold)
        net_oof[fold] = F.log_softmax(batch_logits(member, x[fold], lengths[fold]), dim=-1)
        bag = NgramBag(clf.tokenizer_.vocab_size, 2)
        bag.init_naive_bayes(x[rest], lengths[rest], target[rest])
        bag_oof[fold] = batch_logits(bag, x[fold], lengths[fold])
        vec = VectorMeanLR(clf.tokenizer_.vocab_size, 4, 2)
        vec.table.copy_(net.vector_lr.table)
        fit_vector_lr(vec, x[rest], lengths[rest], target[rest])
        vec_oof[fold] = batch_logits(vec, x[fold], lengths[fold])
    weights = fit_late_weights(net_oof, [bag_oof, vec_oof], target)
    assert [float(net.bag_weight), float(net.vector_weight)] == pytest.approx(weights, rel=1e-4)
    every = VectorMeanLR(clf.tokenizer_.vocab_size, 4, 2)  # the one that predicts: all rows
    every.table.copy_(net.vector_lr.table)
    fit_vector_lr(every, x, lengths, target)
    torch.testing.assert_close(net.vector_lr.state_dict(), every.state_dict())


def test_vector_lr_on_a_validation_split_round_trips_through_save_and_load(tmp_path):
    texts, labels = _noisy_texts(60)
    clf = _late(vector_lr=True).fit(texts, labels, unlabelled=_texts(40, seed=3)[0])
    assert isinstance(clf.network_, LateVectorBag)
    assert float(clf.network_.vector_weight) != 1.0  # fitted on the validation split
    clf.save(tmp_path / "m")
    loaded = SequenceClassifier.load(tmp_path / "m")
    assert loaded.settings.vector_lr
    assert float(loaded.network_.vector_weight) == float(clf.network_.vector_weight)
    np.testing.assert_array_equal(loaded.predict_proba(texts), clf.predict_proba(texts))


def test_vector_lr_needs_a_late_bag_and_text(waves):
    with pytest.raises(ConfigError, match="vector_lr needs a late bag"):
        SequenceClassifier(vector_lr=True, bag_ngrams=2)
    with pytest.raises(ConfigError, match="vector_lr needs a late bag"):
        SequenceClassifier(vector_lr=True, bag_fusion="late")
    X, y = waves(20, 0)
    clf = SequenceClassifier(model="lstm", hidden_size=4, bag_ngrams=2, bag_fusion="late",
                             vector_lr=True, progress=False, train=TrainConfig(epochs=1))
    with pytest.raises(ClassificationDataError, match="vector_lr needs text input"):
        clf.fit(X, y)


def test_bag_refit_fits_the_vector_regression_again_on_every_training_text():
    texts, labels = _noisy_texts(60)
    clf = _late(vector_lr=True, bag_refit=True).fit(texts, labels)
    x, lengths, target, _ = _tensors(clf, texts, labels)
    every = VectorMeanLR(clf.tokenizer_.vocab_size, 4, 2)
    every.table.copy_(clf.network_.vector_lr.table)
    fit_vector_lr(every, x, lengths, target)
    torch.testing.assert_close(clf.network_.vector_lr.state_dict(), every.state_dict())

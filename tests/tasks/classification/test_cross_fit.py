"""``cross_fit=True``: network k trains on every fold but k and stops on fold k; the late
bag's weight and the temperature are fitted on the out-of-fold predictions; and
``bag_refit=True``: the late bag becomes naive Bayes of every training sequence."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lstmkit import SequenceClassifier
from lstmkit.errors import ConfigError
from lstmkit.models.ngram_bag import NgramBag
from lstmkit.tasks.classification.bag_fusion import fit_bag_weight
from lstmkit.tasks.classification.calibration import fit_temperature
from lstmkit.tasks.classification.cross_fit import stratified_folds
from lstmkit.tasks.classification.encoding import to_tensors
from lstmkit.tasks.classification.inputs import read_sequences
from lstmkit.tasks.classification.objective import batch_logits
from lstmkit.training import TrainConfig

from .test_bag_fusion import _late, _texts


def _noisy_texts(n=90, seed=0):
    """SYNTHETIC reviews as in ``_texts``, a third of them with the other side's words
    (so that neither the network nor naive Bayes is certain)."""
    texts, labels = _texts(n, seed)
    flip = np.random.default_rng(seed + 1).random(n) < 1 / 3
    return texts, np.where(flip, np.where(labels == "pos", "neg", "pos"), labels)


def _tensors(model, texts, labels):
    _, codes = np.unique(labels, return_inverse=True)
    x, lengths = to_tensors(read_sequences(texts), tokenizer=model.tokenizer_, max_tokens=400)
    return x, lengths, torch.as_tensor(codes), codes


def test_stratified_folds_partition_the_rows_with_each_class_in_proportion():
    codes = np.array([0] * 30 + [1] * 15)
    folds = stratified_folds(codes, 5, seed=3)
    assert sorted(np.concatenate(folds).tolist()) == list(range(45))
    assert all(np.bincount(codes[f]).tolist() == [6, 3] for f in folds)
    assert [f.tolist() for f in stratified_folds(codes, 5, seed=3)] == [f.tolist() for f in folds]
    assert stratified_folds(codes, 5, seed=3, min_size=10) == []  # folds of 9
    assert stratified_folds(np.array([0] * 20 + [1] * 4), 5, seed=0) == []  # 4 < 5 in a class


def test_cross_fit_weight_and_temperature_are_fitted_on_the_out_of_fold_predictions():
    texts, labels = _noisy_texts()
    clf = _late(n_models=3, cross_fit=True, train=TrainConfig(epochs=3)).fit(texts, labels)
    x, lengths, target, codes = _tensors(clf, texts, labels)
    net_oof, bag_oof = torch.zeros(len(texts), 2), torch.zeros(len(texts), 2)
    members = clf.network_.network.members
    for member, fold in zip(members, stratified_folds(codes, 3, seed=0, min_size=5),
                            strict=True):
        rest = np.setdiff1d(np.arange(len(texts)), fold)
        net_oof[fold] = F.log_softmax(batch_logits(member, x[fold], lengths[fold]), dim=-1)
        bag = NgramBag(clf.tokenizer_.vocab_size, 2)
        bag.init_naive_bayes(x[rest], lengths[rest], target[rest])
        bag_oof[fold] = batch_logits(bag, x[fold], lengths[fold])
    weight = fit_bag_weight(net_oof, bag_oof, target)
    assert float(clf.network_.bag_weight) == pytest.approx(weight, rel=1e-5)
    assert clf.temperature_ == pytest.approx(
        fit_temperature(net_oof + weight * bag_oof, target), rel=1e-5)
    oof = ((net_oof + weight * bag_oof).argmax(1) == target).float().mean()
    assert clf.out_of_fold_accuracy_ == pytest.approx(float(oof))
    every = NgramBag(clf.tokenizer_.vocab_size, 2)  # the bag that predicts: all of them
    every.init_naive_bayes(x, lengths, target)
    torch.testing.assert_close(clf.network_.bag.state_dict(), every.state_dict())
    assert not torch.equal(members[0].head.weight, members[1].head.weight)


def test_cross_fit_members_validate_on_a_fold_and_classify_new_texts():
    texts, labels = _texts(80)
    clf = _late(n_models=2, cross_fit=True, train=TrainConfig(epochs=4)).fit(texts, labels)
    assert len(clf.history_) == 4 and all("val_loss" in h for h in clf.history_)
    held_out = _texts(40, seed=7)
    assert clf.score(*held_out) == 1.0


def test_cross_fit_round_trips_through_save_and_load(tmp_path):
    texts, labels = _noisy_texts(60)
    clf = _late(n_models=2, cross_fit=True).fit(texts, labels)
    clf.save(tmp_path / "m")
    loaded = SequenceClassifier.load(tmp_path / "m")
    assert loaded.settings.cross_fit and loaded.temperature_ == clf.temperature_
    np.testing.assert_array_equal(loaded.predict_proba(texts), clf.predict_proba(texts))


def test_cross_fit_with_folds_below_min_val_size_is_the_plain_ensemble():
    texts, labels = _texts(24)
    plain = _late(n_models=2, min_val_size=30).fit(texts, labels)
    crossed = _late(n_models=2, min_val_size=30, cross_fit=True).fit(texts, labels)
    np.testing.assert_array_equal(crossed.predict_proba(texts), plain.predict_proba(texts))


def test_cross_fit_of_a_series_model_fits_the_temperature_on_all_sequences(waves):
    X, y = waves(60, 0)
    clf = SequenceClassifier(model="lstm", hidden_size=4, n_models=2, cross_fit=True,
                             min_val_size=5, progress=False,
                             train=TrainConfig(epochs=3, lr=1e-2)).fit(X, y)
    assert clf.temperature_ != 1.0
    assert clf.predict_proba(X).shape == (60, 2)


@pytest.mark.parametrize(("settings", "message"), [
    ({"cross_fit": True, "n_models": 1}, "cross_fit needs n_models >= 2 (one network per fold), "
                          "refit=False and average_epochs=1, got n_models=1, refit=False"),
    ({"cross_fit": True, "n_models": 3, "refit": True}, "got n_models=3, refit=True"),
    ({"cross_fit": True, "n_models": 3, "average_epochs": 5}, "average_epochs=5"),
    ({"bag_refit": True, "bag_ngrams": 2}, "bag_refit needs a late bag (bag_ngrams 1 or 2, "
                                           "bag_fusion='late'), got bag_ngrams=2, "
                                           "bag_fusion='joint'"),
])
def test_cross_fit_and_bag_refit_reject_settings_they_cannot_honour(settings, message):
    with pytest.raises(ConfigError) as error:
        SequenceClassifier(**settings)
    assert str(error.value).startswith("SequenceClassifier: ") and message in str(error.value)


def test_bag_refit_keeps_weight_and_temperature_and_makes_the_bag_naive_bayes_of_all():
    texts, labels = _noisy_texts()
    first = _late().fit(texts, labels)
    refit = _late(bag_refit=True).fit(texts, labels)
    assert float(refit.network_.bag_weight) == float(first.network_.bag_weight)
    assert refit.temperature_ == first.temperature_
    x, lengths, target, _ = _tensors(refit, texts, labels)
    every = NgramBag(refit.tokenizer_.vocab_size, 2)
    every.init_naive_bayes(x, lengths, target)
    torch.testing.assert_close(refit.network_.bag.state_dict(), every.state_dict())
    assert not np.array_equal(refit.predict_proba(texts), first.predict_proba(texts))

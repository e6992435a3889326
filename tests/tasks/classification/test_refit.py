"""``refit=True``: after the validation split has chosen, the networks train again on
every training sequence for the chosen epochs, keeping the bag weight and temperature."""

import numpy as np
import torch

from lstmkit import SequenceClassifier
from lstmkit.models.ngram_bag import NgramBag
from lstmkit.tasks.classification.encoding import to_tensors
from lstmkit.tasks.classification.inputs import read_sequences
from lstmkit.training import StopAtEpoch, TensorBatches, TrainConfig, Trainer

from .test_bag_fusion import _late, _texts


def _pair(**kw):
    texts, labels = _texts()
    train = TrainConfig(epochs=6, early_stopping=2, lr=3e-3)
    first = _late(train=train, **kw).fit(texts, labels)
    refit = _late(train=train, refit=True, **kw).fit(texts, labels)
    return texts, labels, first, refit


def test_stop_at_epoch_ends_training_at_that_epoch_with_the_schedule_of_all_epochs():
    net = torch.nn.Linear(2, 1)
    batches = TensorBatches(torch.randn(8, 2), torch.randn(8, 1), batch_size=4)

    def step(model, batch, state):
        return torch.nn.functional.mse_loss(model(batch[0]), batch[1]), None

    config = TrainConfig(epochs=10, schedule="cosine", lr=0.1)
    trainer = Trainer(net, step, config, callbacks=[StopAtEpoch(3)]).fit(batches)
    assert trainer.epoch == 3 and len(trainer.history_) == 3
    full = Trainer(torch.nn.Linear(2, 1), step, config).fit(batches)
    assert [h["lr"] for h in trainer.history_] == [h["lr"] for h in full.history_[:3]]


def test_refit_keeps_the_weight_and_temperature_and_trains_each_member_its_best_epochs():
    texts, labels, first, refit = _pair(n_models=2)
    assert refit.temperature_ == first.temperature_
    assert float(refit.network_.bag_weight) == float(first.network_.bag_weight)
    assert refit.history_ == first.history_  # the first pass is the same fit
    assert len(refit.refit_epochs_) == 2 and all(1 <= e <= 6 for e in refit.refit_epochs_)
    best = 1 + min(range(len(first.history_)), key=lambda i: first.history_[i]["val_loss"])
    assert refit.refit_epochs_[0] == best  # the first member's best epoch on validation
    a, b = first.network_.network.members[0], refit.network_.network.members[0]
    assert not torch.equal(a.head.weight, b.head.weight)  # retrained
    assert (refit.predict(texts) == labels).mean() == 1.0


def test_refit_bag_is_naive_bayes_of_every_training_sequence(tmp_path):
    texts, labels, _, refit = _pair()
    _, codes = np.unique(labels, return_inverse=True)
    x, lengths = to_tensors(read_sequences(texts), tokenizer=refit.tokenizer_, max_tokens=400)
    expected = NgramBag(refit.tokenizer_.vocab_size, 2)
    expected.init_naive_bayes(x, lengths, torch.as_tensor(codes))
    torch.testing.assert_close(refit.network_.bag.state_dict(), expected.state_dict())
    refit.save(tmp_path / "m")
    loaded = SequenceClassifier.load(tmp_path / "m")
    assert loaded.settings.refit
    np.testing.assert_array_equal(loaded.predict_proba(texts), refit.predict_proba(texts))


def test_refit_without_a_validation_split_changes_nothing():
    texts, labels = _texts(24)
    a = _late(min_val_size=30).fit(texts, labels)
    b = _late(min_val_size=30, refit=True).fit(texts, labels)
    assert not hasattr(b, "refit_epochs_")
    np.testing.assert_array_equal(a.predict_proba(texts), b.predict_proba(texts))


def test_refit_of_a_series_model_keeps_the_fitted_temperature(waves):
    X, y = waves(60, 0)
    kw = {"model": "lstm", "hidden_size": 4, "min_val_size": 5, "progress": False,
          "train": TrainConfig(epochs=4, lr=1e-2)}
    first = SequenceClassifier(**kw).fit(X, y)
    refit = SequenceClassifier(refit=True, **kw).fit(X, y)
    assert first.temperature_ != 1.0 and refit.temperature_ == first.temperature_
    assert not np.array_equal(first.predict_proba(X), refit.predict_proba(X))

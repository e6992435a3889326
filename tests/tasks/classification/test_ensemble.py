"""An ensemble of classifier networks (``n_models``): its probabilities are the mean of
its members', each member trains with its own seed, and it saves and loads."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lstmkit import SequenceClassifier
from lstmkit.tasks import base
from lstmkit.tasks.classification.ensemble import MeanProbability, members_of
from lstmkit.training import TrainConfig
from lstmkit.training.checkpoint import member_dir


class Fixed(nn.Module):
    """Returns the same logits whatever the input."""

    def __init__(self, logits: list[float]) -> None:
        super().__init__()
        self.logits = torch.tensor(logits)

    def forward(self, x, lengths):
        return self.logits.expand(len(x), -1)


def test_mean_probability_is_the_members_mean_and_a_softmax_away():
    a, b = [2.0, 0.0, -1.0], [-3.0, 1.0, 0.5]
    out = MeanProbability([Fixed(a), Fixed(b)])(torch.zeros(4, 3, 1), torch.full((4,), 3))
    mean = (torch.tensor(a).softmax(0) + torch.tensor(b).softmax(0)) / 2
    torch.testing.assert_close(out.softmax(1), mean.expand(4, -1))
    torch.testing.assert_close(out.exp().sum(1), torch.ones(4))  # already log-probabilities


def test_members_of_and_member_dir(tmp_path):
    single = Fixed([0.0, 1.0])
    assert members_of(single) == [single]
    ens = MeanProbability([Fixed([0.0, 1.0]), Fixed([1.0, 0.0])])
    assert len(members_of(ens)) == 2
    assert member_dir(None, 1) is None
    assert member_dir(tmp_path, 0) == tmp_path
    assert member_dir(tmp_path, 2) == tmp_path / "member-2"


def test_classifier_ensemble_predicts_its_members_mean_and_round_trips(tmp_path, waves):
    X, y = waves(32, 0)
    Xt, yt = waves(40, 1)
    model = SequenceClassifier(model="lstm-fcn", hidden_size=8, filters=(4, 4, 4),
                               batch_size=8, progress=False,  # n_models: 3 by default
                               train=TrainConfig(epochs=10, lr=1e-2)).fit(X, y)
    members = members_of(model.network_)
    assert len(members) == 3
    x = torch.from_numpy(Xt)[:, :, None]
    lengths = torch.full((len(Xt),), 12)
    with torch.no_grad():
        probs = [m.eval()(x, lengths).softmax(1).numpy() for m in members]
    assert not np.allclose(probs[0], probs[1], atol=1e-3)  # seeds differ
    assert model.temperature_ == 1.0  # too few series for a validation split
    np.testing.assert_allclose(model.predict_proba(Xt), np.mean(probs, 0), atol=1e-5)
    assert model.score(Xt, yt) >= 0.9
    model.save(tmp_path / "m")
    again = SequenceClassifier.load(tmp_path / "m")
    assert again.settings.n_models == 3
    np.testing.assert_allclose(again.predict_proba(Xt), model.predict_proba(Xt), rtol=1e-6)


def test_classifier_ensemble_members_use_seeds_train_seed_plus_k(monkeypatch, waves):
    seeds = []
    original = base.Trainer

    def spy(network, step, config, **kwargs):  # the trainer each member is trained by
        seeds.append((config.seed, kwargs["checkpoint_dir"]))
        return original(network, step, config, **kwargs)

    monkeypatch.setattr(base, "Trainer", spy)
    X, y = waves(16, 0)
    SequenceClassifier(model="lstm", hidden_size=4, n_models=2, progress=False,
                       train=TrainConfig(epochs=1, seed=7)).fit(X, y)
    assert seeds == [(7, None), (8, None)]


def test_classifier_saved_before_the_ensemble_default_loads_as_one_network(
        tmp_path, waves, saved_without):
    X, y = waves(16, 0)
    model = SequenceClassifier(model="lstm", hidden_size=4, n_models=1, progress=False,
                               train=TrainConfig(epochs=1)).fit(X, y)
    again = saved_without(model, tmp_path / "m", "n_models")
    assert again.settings.n_models == 1 and len(members_of(again.network_)) == 1
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X), rtol=1e-6)

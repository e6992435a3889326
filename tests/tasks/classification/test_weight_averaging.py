"""The classifier's ``average_epochs``: the last epochs' weights averaged into the
network, batch-norm statistics recomputed for them, saved and loaded like any weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmkit import SequenceClassifier
from lstmkit.errors import ConfigError
from lstmkit.training import Callback, TrainConfig


class Record(Callback):
    """The weights after every epoch."""

    def __init__(self) -> None:
        self.states = []

    def on_epoch_end(self, trainer, metrics) -> None:
        self.states.append({k: v.detach().clone() for k, v in trainer.model.state_dict().items()})


def _model(**settings) -> SequenceClassifier:
    return SequenceClassifier(n_models=1, hidden_size=6, filters=(4, 4, 4), batch_size=8,
                              progress=False,
                              train=TrainConfig(epochs=8, lr=1e-2), **settings)


def test_classifier_average_epochs_holds_the_mean_of_the_last_epochs(waves, tmp_path):
    X, y = waves(24, 0)
    record = Record()
    single = _model().fit(X, y, callbacks=[record])
    averaged = _model(average_epochs=3).fit(X, y)  # the same seed: the same trajectory
    for name in ("conv.convs.0.weight", "head.weight", "recurrent.recurrent.weight_hh_l0"):
        mean = sum(state[name] for state in record.states[-3:]) / 3
        torch.testing.assert_close(averaged.network_.state_dict()[name], mean)
    assert not torch.allclose(averaged.network_.state_dict()["head.weight"],
                              single.network_.state_dict()["head.weight"])
    # the batch-norm statistics are those of the averaged weights, not the last epoch's
    stats = averaged.network_.state_dict()["conv.norms.0.running_mean"]
    assert not torch.allclose(stats, record.states[-1]["conv.norms.0.running_mean"])
    assert averaged.score(X, y) >= 0.9
    averaged.save(tmp_path / "m")
    again = SequenceClassifier.load(tmp_path / "m")
    assert again.settings.average_epochs == 3
    np.testing.assert_allclose(again.predict_proba(X), averaged.predict_proba(X), rtol=1e-6)


def test_classifier_average_epochs_must_be_positive():
    with pytest.raises(ConfigError, match="average_epochs must be an integer in"):
        SequenceClassifier(average_epochs=0)

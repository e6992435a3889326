"""Training-time augmentation of series: window slicing, scaling, jitter (shapes, labels,
padding, seeding), and that the classifier uses it only while training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lstmkit import SequenceClassifier
from lstmkit.tasks.classification import ensemble
from lstmkit.tasks.classification.augment import (
    Augmentation,
    AugmentedBatches,
    augment,
    slice_and_stretch,
)
from lstmkit.training import TensorBatches, TrainConfig


def padded() -> tuple[torch.Tensor, torch.Tensor]:
    """Two ramps of 3 features: 10 valid steps and 6 valid steps then zeros."""
    x = torch.arange(10.0)[None, :, None].repeat(2, 1, 3) * torch.tensor([1.0, 2.0, -1.0])
    lengths = torch.tensor([10, 6])
    x[1, 6:] = 0
    return x, lengths


def test_slice_and_stretch_whole_window_is_the_identity():
    x, lengths = padded()
    out = slice_and_stretch(x, lengths, torch.tensor([[0.0, 1.0], [0.0, 1.0]]))
    torch.testing.assert_close(out, x)


def test_slice_and_stretch_resamples_the_window_over_the_valid_steps():
    x, lengths = padded()
    out = slice_and_stretch(x, lengths, torch.tensor([[0.5, 1.0], [0.0, 0.5]]))
    # series 0: steps 4.5..9 in 10 points; series 1: steps 0..2.5 in 6 points, then padding
    torch.testing.assert_close(out[0, :, 0], torch.linspace(4.5, 9.0, 10))
    torch.testing.assert_close(out[1, :6, 1], 2 * torch.linspace(0.0, 2.5, 6))
    assert torch.all(out[1, 6:] == 0)


def test_augment_keeps_shape_and_padding_and_is_seeded():
    x, lengths = padded()
    how = Augmentation(crop=0.2, scale=0.1, jitter=0.05)
    one = augment(x, lengths, how, torch.Generator().manual_seed(3))
    again = augment(x, lengths, how, torch.Generator().manual_seed(3))
    other = augment(x, lengths, how, torch.Generator().manual_seed(4))
    assert one.shape == x.shape
    torch.testing.assert_close(one, again)
    assert not torch.allclose(one, other)
    assert not torch.allclose(one, x)
    assert torch.all(one[1, 6:] == 0)
    # small amounts give views near the series
    assert float((one - x).abs().max()) < 0.5 * float(x.abs().max())


def test_augment_with_nothing_on_is_the_identity():
    x, lengths = padded()
    assert not Augmentation().active
    torch.testing.assert_close(augment(x, lengths, Augmentation(),
                                       torch.Generator().manual_seed(0)), x)


def test_augmented_batches_keep_lengths_and_labels_and_resume_exactly():
    x = torch.randn(10, 7, 2)
    lengths = torch.tensor([7, 5] * 5)
    y = torch.arange(10)
    plain = TensorBatches(x, lengths, y, batch_size=4)
    batches = AugmentedBatches(plain, Augmentation(crop=0.3, scale=0.2, jitter=0.1))
    assert len(batches) == len(plain) == 3
    views = list(batches.epoch(2, seed=5))
    for (vx, vl, vy), (px, pl, py) in zip(views, plain.epoch(2, seed=5), strict=True):
        assert vx.shape == px.shape
        torch.testing.assert_close(vl, pl)
        torch.testing.assert_close(vy, py)
        assert not torch.allclose(vx, px)
    resumed = list(batches.epoch(2, seed=5, start=1))
    torch.testing.assert_close(resumed[0][0], views[1][0])
    assert not torch.allclose(next(batches.epoch(3, seed=5))[0], views[0][0])


def fit(waves, **settings) -> SequenceClassifier:
    X, y = waves(32, 0)
    return SequenceClassifier(model="lstm-fcn", hidden_size=8, filters=(4, 4, 4),
                              batch_size=8, progress=False,
                              train=TrainConfig(epochs=12, lr=1e-2), **settings).fit(X, y)


AUGMENTED = {"augment_crop": 0.2, "augment_scale": 0.1, "augment_jitter": 0.05}


def test_classifier_trains_on_views_and_predicts_on_the_series(tmp_path, monkeypatch,
                                                                  waves):
    seen = []
    original = ensemble.training_batches

    def spy(*args):
        out = original(*args)
        seen.append(type(out).__name__)
        return out

    monkeypatch.setattr(ensemble, "training_batches", spy)
    model = fit(waves, **AUGMENTED)
    plain = fit(waves)
    assert seen == ["AugmentedBatches", "TensorBatches"]
    Xt, yt = waves(40, 1)
    assert model.score(Xt, yt) >= 0.9
    # prediction is deterministic (no augmentation in eval) and survives save/load
    np.testing.assert_array_equal(model.predict_proba(Xt), model.predict_proba(Xt))
    model.save(tmp_path / "m")
    again = SequenceClassifier.load(tmp_path / "m")
    np.testing.assert_allclose(again.predict_proba(Xt), model.predict_proba(Xt), rtol=1e-6)
    assert again.settings.augment_crop == pytest.approx(0.2)
    assert not np.allclose(plain.predict_proba(Xt), model.predict_proba(Xt))


def test_classifier_augmented_fit_is_reproducible(waves):
    X, _ = waves(16, 2)
    np.testing.assert_array_equal(fit(waves, **AUGMENTED).predict_proba(X),
                                  fit(waves, **AUGMENTED).predict_proba(X))

"""Averaging the weights of the tagger's best epochs (``average_epochs``)."""

from types import SimpleNamespace

import torch

from lstmkit.tasks.tagging import SequenceTagger
from lstmkit.tasks.tagging.estimator import _average as average_best_epochs
from lstmkit.training import TrainConfig
from lstmkit.training.averaging import BestEpochs


def _epoch(callback, model, epoch, score):
    callback.on_epoch_end(SimpleNamespace(model=model), {"epoch": epoch, "val_accuracy": score})


def test_best_epochs_keeps_the_k_best_and_averages_their_weights():
    model = torch.nn.Linear(2, 1)
    best = BestEpochs(2)
    for epoch, (value, score) in enumerate([(1.0, 0.5), (2.0, 0.9), (3.0, 0.7), (4.0, 0.6)], 1):
        with torch.no_grad():
            model.weight.fill_(value)
        _epoch(best, model, epoch, score)
    assert best.epochs() == [2, 3]
    torch.testing.assert_close(best.average()["weight"], torch.full((1, 2), 2.5))


def test_best_epochs_ignores_epochs_without_the_metric_and_keeps_the_earlier_of_a_tie():
    model, best = torch.nn.Linear(1, 1), BestEpochs(1)
    best.on_epoch_end(SimpleNamespace(model=model), {"epoch": 1, "train_loss": 0.3})
    _epoch(best, model, 2, 0.8)
    _epoch(best, model, 3, 0.8)
    assert best.epochs() == [2]


def test_best_epochs_copies_integer_buffers_from_the_best_epoch():
    model = torch.nn.BatchNorm1d(2)  # num_batches_tracked is an integer buffer
    best = BestEpochs(2)
    for epoch, tracked in ((1, 5), (2, 9)):
        model.num_batches_tracked.fill_(tracked)
        _epoch(best, model, epoch, 0.1 * epoch)
    assert int(best.average()["num_batches_tracked"]) == 9


DATA = ([["the", "dog", "runs"], ["a", "cat", "sleeps"], ["the", "cat", "runs"]] * 8,
        [["DET", "NOUN", "VERB"]] * 24)


def _tagger(**kw):
    return SequenceTagger(hidden_size=8, word_size=8, char_size=4, char_hidden_size=4,
                          progress=False, train=TrainConfig(epochs=6, lr=1e-2), **kw)


def test_tagger_averages_only_when_the_average_is_as_good_on_validation():
    tagger = _tagger(average_epochs=3).fit(*DATA)
    info = tagger.averaging_
    assert len(info["epochs"]) == 3
    assert info["kept"] == (info["val_accuracy"] >= info["single_val_accuracy"])
    assert tagger.predict(DATA[0]) == DATA[1]
    assert _tagger().fit(*DATA).averaging_ is None  # off by default


def _validation(tagger):
    from lstmkit.tasks.tagging.batching import SentenceBatches

    return SentenceBatches(tagger._encode(*DATA), batch_size=8, shuffle=False)


def test_tagger_average_kept_when_as_good_and_undone_when_worse():
    tagger = _tagger().fit(*DATA)
    good = {k: v.clone() for k, v in tagger.network_.state_dict().items()}
    bad = {k: torch.randn_like(v) * 5 if v.is_floating_point() else v for k, v in good.items()}
    torch.manual_seed(0)
    best = BestEpochs(2)
    best.kept = [(1.0, 4, good), (0.9, 5, bad)]
    info = average_best_epochs(tagger.network_, best, _validation(tagger))
    assert not info["kept"] and info["val_accuracy"] < info["single_val_accuracy"] == 1.0
    for name, value in good.items():  # the network as trained, untouched
        torch.testing.assert_close(tagger.network_.state_dict()[name], value)
    scaled = {k: v * 1.5 if v.is_floating_point() else v for k, v in good.items()}
    best.kept = [(1.0, 4, good), (1.0, 5, scaled)]
    info = average_best_epochs(tagger.network_, best, _validation(tagger))
    if info["kept"]:  # the network now holds the mean of the two: 1.25 x the weights
        torch.testing.assert_close(tagger.network_.state_dict()["project.weight"],
                                   good["project.weight"] * 1.25)
    assert info["kept"] == (info["val_accuracy"] >= info["single_val_accuracy"])


def test_tagger_with_averaging_round_trips(tmp_path):
    tagger = _tagger(average_epochs=2).fit(*DATA)
    tagger.save(tmp_path / "t")
    loaded = SequenceTagger.load(tmp_path / "t")
    assert loaded.settings.average_epochs == 2
    for name, value in tagger.network_.state_dict().items():
        torch.testing.assert_close(loaded.network_.state_dict()[name], value)


def test_tagger_saved_before_averaging_loads_with_it_off(tmp_path, saved_without):
    tagger = _tagger().fit(*DATA)
    assert saved_without(tagger, tmp_path / "t", "average_epochs").settings.average_epochs == 1

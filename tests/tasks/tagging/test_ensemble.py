"""Seed ensembles of taggers (``n_models``): averaged scores, training, save/load."""

import copy
import itertools
from types import SimpleNamespace

import pytest
import torch

from lstmkit.models.crf_constraints import allowed_transitions
from lstmkit.models.tagger_net import TaggerNet
from lstmkit.tasks.tagging import SequenceTagger
from lstmkit.tasks.tagging.ensemble import TaggerEnsemble, members_of
from lstmkit.training import TrainConfig

DATA = ([["the", "dog", "runs"], ["a", "cat", "sleeps"], ["the", "cat", "runs"],
         ["dogs", "run"]] * 6,
        [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB"],
         ["NOUN", "VERB"]] * 6)


def _tagger(**kw):
    return SequenceTagger(hidden_size=8, word_size=8, char_size=4, char_hidden_size=4,
                          progress=False, train=TrainConfig(epochs=6, lr=1e-2, seed=3), **kw)


def _series_batch(lengths, n_features=2, seed=0):
    gen = torch.Generator().manual_seed(seed)
    steps = max(lengths)
    mask = torch.arange(steps)[None, :] < torch.tensor(lengths)[:, None]
    return SimpleNamespace(feats=torch.randn(len(lengths), steps, n_features, generator=gen),
                           lengths=torch.tensor(lengths), words=None, chars=None, mask=mask)


def _members(k, head="crf", constraints=None, tags=3):
    torch.manual_seed(0)
    nets = [TaggerNet(tags, hidden_size=4, n_features=2, head=head, constraints=constraints)
            for _ in range(k)]
    for net in nets:  # random CRF scores, far from their small initial values
        if net.crf is not None:
            with torch.no_grad():
                for p in (net.crf.transitions, net.crf.start_transitions,
                          net.crf.end_transitions):
                    p.normal_(0, 2)
        net.eval()
    return nets


@pytest.mark.parametrize("seed", range(4))
def test_ensemble_decodes_the_sequence_of_highest_mean_member_log_probability(seed):
    nets = _members(3)
    ensemble = TaggerEnsemble(nets).eval()
    batch = _series_batch([4, 2, 3], seed=seed)
    paths = ensemble.decode(batch)
    with torch.no_grad():
        for row, length in enumerate(batch.lengths.tolist()):  # brute force: every sequence
            one = SimpleNamespace(feats=batch.feats[row:row + 1, :length], words=None,
                                  chars=None, mask=batch.mask[row:row + 1, :length],
                                  lengths=batch.lengths[row:row + 1])
            best, best_y = -float("inf"), None
            for y in itertools.product(range(3), repeat=length):
                tags = torch.tensor([y])
                logp = sum(float(-n.crf(n.emissions(one), tags, one.mask)[0]) for n in nets)
                if logp > best:
                    best, best_y = logp, list(y)
            assert paths[row, :length].tolist() == best_y
            assert (paths[row, length:] == -1).all()


def test_softmax_ensemble_takes_each_steps_highest_mean_log_probability():
    nets = _members(2, head="softmax")
    batch = _series_batch([5, 3])
    with torch.no_grad():
        mean = torch.stack([n.emissions(batch).log_softmax(2) for n in nets]).mean(0)
        expected = mean.argmax(2).masked_fill(~batch.mask, -1)
        assert torch.equal(TaggerEnsemble(nets).eval().decode(batch), expected)


def test_ensemble_of_copies_decodes_like_the_single_network():
    tags = ["B-X", "I-X", "O"]
    net = _members(1, constraints=allowed_transitions(tags, "bio"))[0]
    batch = _series_batch([6, 4, 1])
    with torch.no_grad():
        alone = net.decode(batch)
        together = TaggerEnsemble([net, copy.deepcopy(net)]).eval().decode(batch)
    assert torch.equal(alone, together)


def test_ensemble_decoding_draws_no_random_numbers():
    ensemble = TaggerEnsemble(_members(2)).eval()
    state = torch.get_rng_state()
    with torch.no_grad():
        ensemble.decode(_series_batch([3]))
    assert torch.equal(torch.get_rng_state(), state)


def test_ensemble_needs_two_members():
    with pytest.raises(ValueError, match="at least 2 members"):
        TaggerEnsemble(_members(1))


def test_tagger_trains_n_models_members_with_their_own_seeds():
    tagger = _tagger(n_models=2).fit(*DATA)
    first, second = members_of(tagger.network_)
    assert not torch.equal(first.project.weight, second.project.weight)
    alone = _tagger().fit(*DATA)  # member 0 is the single tagger of the same seed
    for (name, a), b in zip(first.state_dict().items(), alone.network_.state_dict().values(),
                            strict=True):
        torch.testing.assert_close(a, b, msg=name)
    info = tagger.ensemble_
    assert len(info["member_val_accuracy"]) == 2 and 0.0 <= info["val_accuracy"] <= 1.0
    assert tagger.predict(DATA[0]) == DATA[1]
    assert alone.ensemble_ is None


def test_tagger_ensemble_save_load_predicts_the_same(tmp_path):
    tagger = _tagger(n_models=3, head="crf").fit(*DATA)
    loaded = SequenceTagger.load(tagger.save(tmp_path / "model"))
    assert isinstance(loaded.network_, TaggerEnsemble) and len(loaded.network_.members) == 3
    sentences = DATA[0] + [["a", "unseen", "word", "runs"]]
    assert loaded.predict(sentences) == tagger.predict(sentences)
    batch = next(iter(_batches(tagger, sentences)))
    with torch.no_grad():
        torch.testing.assert_close(loaded.network_.emissions(batch),
                                   tagger.network_.emissions(batch), rtol=0, atol=0)


def _batches(tagger, sentences):
    from lstmkit.tasks.tagging.batching import SentenceBatches
    return SentenceBatches(tagger._encode(sentences), batch_size=64, shuffle=False).epoch(0, 0)


def test_parallel_members_give_the_serial_scores():
    ensemble = TaggerEnsemble(_members(3)).eval()
    batch = _series_batch([7, 5, 2])
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with torch.no_grad():
            torch.testing.assert_close(ensemble.parallel_emissions(batch),
                                       ensemble.serial_emissions(batch), rtol=0, atol=0)
            assert torch.get_num_threads() == 2  # put back
    finally:
        torch.set_num_threads(threads)

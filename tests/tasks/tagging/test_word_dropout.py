"""Word dropout of the tagger: known words looked up as the unknown word while training,
never padding, never in eval mode."""

from types import SimpleNamespace

import torch

from lstmkit.models.tagger_net import TaggerNet
from lstmkit.tasks.tagging import SequenceTagger
from lstmkit.tasks.tagging.encoding import PAD, UNK
from lstmkit.training import TrainConfig


def _net(rate):
    return TaggerNet(3, hidden_size=4, vocab_size=50, word_size=4, word_dropout=rate,
                     unknown_id=UNK, head="softmax")


def test_word_dropout_replaces_known_words_at_its_rate_and_never_padding():
    torch.manual_seed(0)
    words = torch.randint(2, 50, (200, 30))
    words[:, 25:] = PAD
    dropped = _net(0.25).train()._drop_words(words)
    changed = dropped != words
    assert (dropped[changed] == UNK).all() and not changed[:, 25:].any()
    assert abs(changed[:, :25].float().mean().item() - 0.25) < 0.02


def test_word_dropout_leaves_eval_mode_and_rate_zero_alone():
    words = torch.randint(2, 50, (8, 6))
    assert torch.equal(_net(0.5).eval()._drop_words(words), words)
    assert torch.equal(_net(0.0).train()._drop_words(words), words)


def test_word_dropout_changes_training_emissions_only():
    torch.manual_seed(0)
    net = _net(0.9)
    batch = SimpleNamespace(feats=None, words=torch.randint(2, 50, (4, 7)), chars=None,
                            lengths=torch.tensor([7, 7, 5, 3]))
    net.eval()
    torch.testing.assert_close(net.emissions(batch), net.emissions(batch))
    assert not torch.equal(net.train().emissions(batch), net.eval().emissions(batch))


def test_tagger_with_word_dropout_still_learns_and_round_trips(tmp_path):
    sentences = [["the", "dog", "runs"], ["a", "cat", "sleeps"]] * 10
    tags = [["DET", "NOUN", "VERB"]] * 20
    tagger = SequenceTagger(word_dropout=0.3, hidden_size=8, word_size=8, char_size=4,
                            char_hidden_size=4, progress=False,
                            train=TrainConfig(epochs=15, lr=1e-2)).fit(sentences, tags)
    assert tagger.predict(sentences) == tags
    tagger.save(tmp_path / "t")
    assert SequenceTagger.load(tmp_path / "t").predict(sentences) == tags


def test_tagger_saved_before_word_dropout_loads_with_none(tmp_path, saved_without):
    sentences, tags = [["the", "dog"], ["a", "cat"]] * 4, [["DET", "NOUN"]] * 8
    tagger = SequenceTagger(hidden_size=4, word_size=4, char_size=0, progress=False,
                            train=TrainConfig(epochs=1)).fit(sentences, tags)
    loaded = saved_without(tagger, tmp_path / "t", "word_dropout")
    assert loaded.settings.word_dropout == 0.0
    assert loaded.predict(sentences) == tagger.predict(sentences)

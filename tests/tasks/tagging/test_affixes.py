"""Word-shape and affix features of the tagger (``affix_size``): the suffix ids and
shape flags of known words, their place in batches and in the network, what they let
a tagger learn, and the save/load round trip."""

import json
import random

import pytest
import torch

from lstmkit.errors import ModelFileError
from lstmkit.models.tagger_net import TaggerNet
from lstmkit.tasks.tagging import SequenceTagger
from lstmkit.tasks.tagging.affixes import fit_suffixes, shape_flags, shapes, suffix, suffix_ids
from lstmkit.tasks.tagging.batching import collate
from lstmkit.tasks.tagging.encoding import UNK
from lstmkit.tasks.tagging.inputs import encode_inputs, fit_inputs
from lstmkit.tasks.tagging.settings import TaggerSettings
from lstmkit.training import TrainConfig


def test_suffixes_are_the_last_characters_in_lower_case():
    assert [suffix("Evlerde", n) for n in (2, 3)] == ["de", "rde"]
    assert [suffix("Ol", n) for n in (2, 3)] == ["ol", "ol"]  # shorter: the whole token
    assert suffix("İSTANBUL", 3) == "bul"


def test_suffix_ids_of_known_words_and_unknown_suffixes():
    tokens = ["evlerde", "okullarda", "evde", "masada", "gel"]
    two, three = fit_suffixes(tokens, min_count=2)
    assert two.pieces == ["da", "de"]  # each seen twice; "el" once: not kept
    assert three.pieces == []  # every 3-suffix here is seen once
    ids = suffix_ids(["Evde", "Masada", "gel"], [two, three])
    assert ids.dtype == torch.long and ids.shape == (3, 2)
    assert ids.tolist() == [[two.index["de"], UNK], [two.index["da"], UNK], [UNK, UNK]]


@pytest.mark.parametrize("token, flags", [
    ("Ankara", [1, 0, 0, 0]), ("NATO", [1, 1, 0, 0]), ("ankara", [0, 0, 0, 0]),
    ("A", [1, 0, 0, 0]), ("2015'te", [0, 0, 1, 0]), ("...", [0, 0, 0, 1]),
    ("A4", [1, 0, 1, 0]), ("İZMİR", [1, 1, 0, 0]), (":)", [0, 0, 0, 1])])
def test_shape_flags(token, flags):
    assert shape_flags(token) == [float(f) for f in flags]
    assert shapes([token, token]).tolist() == [[float(f) for f in flags]] * 2


def test_default_tagger_reads_affixes():
    assert SequenceTagger().settings.affix_size == 16


def test_inputs_carry_suffixes_and_shapes_only_with_affix_size():
    X = [["Evde", "kaldı", "."], ["Okulda", "kaldı"]] * 2
    for size, present in ((0, False), (8, True)):
        settings = TaggerSettings(affix_size=size, min_count=1)
        spec = fit_inputs("tokens", X, settings, "t")
        items = encode_inputs(spec, X, settings, "t")
        assert (items[0].suffixes is not None) is present
        assert spec.network_sizes()["affix_size"] == size
    batch = collate(items[:2])
    assert batch.suffixes.shape == (2, 3, 2) and batch.shapes.shape == (2, 3, 4)
    assert batch.suffixes[1, 2].tolist() == [0, 0] and batch.shapes[1, 2].tolist() == [0] * 4
    assert batch.shapes[0, 0].tolist() == [1.0, 0.0, 0.0, 0.0]


def test_network_reads_the_suffix_ids_and_the_shapes():
    torch.manual_seed(0)
    net = TaggerNet(3, hidden_size=4, vocab_size=10, word_size=4, suffix_vocab_sizes=(6, 7),
                    affix_size=3, shape_size=4, head="softmax").eval()
    assert net.encoder.input_size == 4 + 2 * 3 + 4
    batch = collate_like(words=torch.randint(2, 10, (2, 5)),
                         suffixes=torch.randint(2, 6, (2, 5, 2)), shapes=torch.zeros(2, 5, 4))
    base = net.emissions(batch)
    other = collate_like(words=batch.words, suffixes=batch.suffixes.clone(),
                         shapes=batch.shapes)
    other.suffixes[:, :, 1] = 1
    assert not torch.allclose(net.emissions(other), base)
    flagged = collate_like(words=batch.words, suffixes=batch.suffixes,
                           shapes=torch.ones(2, 5, 4))
    assert not torch.allclose(net.emissions(flagged), base)


def collate_like(**parts):
    from types import SimpleNamespace
    return SimpleNamespace(feats=None, chars=None, lengths=torch.tensor([5, 5]), **parts)


def _suffix_corpus(seed, n):
    """Random made-up stems; the tag is given by the suffix alone."""
    rng = random.Random(seed)
    stem = lambda: "".join(rng.choice("bcdfgkmnprst") + rng.choice("aeiou")  # noqa: E731
                           for _ in range(3))
    tags = {"ler": "NOUN", "yor": "VERB", "ca": "ADV"}
    X, y = [], []
    for _ in range(n):
        ends = [rng.choice(list(tags)) for _ in range(4)]
        X.append([stem() + e for e in ends])
        y.append([tags[e] for e in ends])
    return X, y


@pytest.mark.parametrize("affix_size", [0, 6])
def test_affixes_let_a_tagger_without_characters_tag_unseen_words(affix_size):
    X, y = _suffix_corpus(0, 60)
    X_new, y_new = _suffix_corpus(1, 20)  # other stems: every word is unseen
    tagger = SequenceTagger(affix_size=affix_size, char_size=0, word_size=4, hidden_size=8,
                            head="softmax", progress=False, val_fraction=0.0,
                            train=TrainConfig(epochs=20, lr=2e-2)).fit(X, y)
    accuracy = tagger.evaluate(X_new, y_new)["token_accuracy"]
    if affix_size:
        assert accuracy > 0.95
    else:  # every word is unknown: one tag for all of them
        assert accuracy < 0.5


def test_tagger_with_affixes_round_trips(tmp_path):
    X, y = _suffix_corpus(0, 30)
    tagger = SequenceTagger(affix_size=4, hidden_size=6, word_size=4, char_size=3,
                            char_hidden_size=3, progress=False,
                            train=TrainConfig(epochs=2)).fit(X, y)
    tagger.save(tmp_path / "t")
    assert {"suffix2.json", "suffix3.json"} <= {p.name for p in (tmp_path / "t").iterdir()}
    loaded = SequenceTagger.load(tmp_path / "t")
    assert loaded.settings.affix_size == 4
    X_new, _ = _suffix_corpus(2, 10)
    assert loaded.predict(X_new) == tagger.predict(X_new)
    torch.testing.assert_close(  # identical scores, not only identical decisions
        loaded.network_.emissions(collate(loaded._encode(X_new))),
        tagger.network_.eval().emissions(collate(tagger._encode(X_new))))
    path = tmp_path / "t" / "config.json"
    config = json.loads(path.read_text())
    config["config"]["fitted"]["inputs"]["affix_size"] = 0  # a damaged file
    path.write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match="affix_size 0 needs the suffix vocabularies"):
        SequenceTagger.load(tmp_path / "t")
    (tmp_path / "t" / "suffix3.json").unlink()
    with pytest.raises(ModelFileError, match=r"suffix3\.json: missing"):
        SequenceTagger.load(tmp_path / "t")


def test_tagger_saved_before_affixes_loads_with_none(tmp_path, saved_without):
    X, y = _suffix_corpus(0, 8)
    tagger = SequenceTagger(affix_size=0, hidden_size=4, word_size=4, char_size=0,
                            progress=False, train=TrainConfig(epochs=1)).fit(X, y)
    loaded = saved_without(tagger, tmp_path / "t", "affix_size", fitted=("inputs.affix_size",))
    assert loaded.settings.affix_size == 0 and loaded.inputs_.suffixes is None
    assert loaded.predict(X) == tagger.predict(X)

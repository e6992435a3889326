"""The character encoder's two length groups when predicting (a fast path) against one
padded group (the reference path, used in training)."""

import torch

from lstmkit.models.tagger_net import TaggerNet


def _words(n, longest, seed=0):
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, longest + 1, (n,), generator=gen)
    lengths[0] = longest
    ids = torch.randint(1, 20, (n, longest), generator=gen)
    return ids.masked_fill(torch.arange(longest)[None, :] >= lengths[:, None], 0)


def _net():
    torch.manual_seed(0)
    return TaggerNet(4, hidden_size=6, vocab_size=10, word_size=4, char_vocab_size=20,
                     char_size=5, char_hidden_size=7)


def test_grouped_character_encoding_equals_one_padded_group():
    net = _net().eval()
    words = _words(37, 15)
    with torch.no_grad():
        torch.testing.assert_close(net._encode_words(words), net.chars(words),
                                   rtol=1e-6, atol=1e-6)
        one = words[:1]  # a single word is encoded as it is
        torch.testing.assert_close(net._encode_words(one), net.chars(one))


def test_training_encodes_words_in_one_group():
    net = _net().train()
    lengths = torch.tensor([6, 1, 2, 6, 3, 1, 6, 2, 5])
    words = torch.randint(1, 20, (9, 6)).masked_fill(
        torch.arange(6)[None, :] >= lengths[:, None], 0)
    calls = []
    net.chars.register_forward_hook(lambda m, args, out: calls.append(args[0].shape))
    net._encode_words(words)
    net.eval()
    with torch.no_grad():
        net._encode_words(words)
    assert calls[0] == words.shape
    assert len(calls) == 3 and calls[1][0] + calls[2][0] == len(words)
    assert sorted([calls[1], calls[2]]) == [(4, 6), (5, 3)]  # each cut to its longest

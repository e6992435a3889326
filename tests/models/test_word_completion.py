"""complete_words: exact against brute-force enumeration on a tiny vocabulary."""

import itertools
import math

import pytest
import torch

from lstmkit.models import generation
from lstmkit.models.language_model import LanguageModel

# ids: 0 unknown, 1 " ", 2 ".", 3 "a", 4 "b"
WORD = torch.tensor([False, False, False, True, True])
BOUNDARY = torch.tensor([False, True, True, False, False])
PROMPT = [3, 1, 4]  # "a b"


def tiny_model(seed):
    torch.manual_seed(seed)
    lm = LanguageModel(5, embedding_size=4, hidden_size=8)
    with torch.no_grad():  # sharper distributions: long words among the likeliest
        lm.decoder.weight.mul_(4.0)
    return lm.eval()


def word_prob(lm, word, boundaries=(1, 2)):
    """P(word, then a boundary | PROMPT), one boundary id at a time."""
    return sum(math.exp(generation.sequence_log_prob(lm, PROMPT, [*word, b]))
               for b in boundaries)


@torch.no_grad()
def brute_force(lm, *, max_chars, min_chars, top):
    """Every word of ``min_chars`` to ``max_chars`` letters scored in one forward pass
    per length: the ``top`` likeliest with their probabilities."""
    scored = []
    for n in range(min_chars, max_chars + 1):
        words = torch.tensor(list(itertools.product((3, 4), repeat=n)),
                             dtype=torch.long).view(2 ** n, n)  # (N, n)
        ids = torch.cat([torch.tensor(PROMPT).expand(len(words), -1), words], 1)  # (N, P + n)
        logp = lm(ids)[0].log_softmax(-1)[:, len(PROMPT) - 1:]  # (N, n + 1, V)
        spelled = logp[:, :-1].gather(2, words.unsqueeze(2)).sum((1, 2))  # (N,)
        ended = logp[:, -1, BOUNDARY].logsumexp(-1)  # (N,)
        scored += zip(words.tolist(), (spelled + ended).exp().tolist(), strict=True)
    return sorted(scored, key=lambda e: -e[1])[:top]


def test_brute_force_agrees_with_sequence_log_prob():
    lm = tiny_model(0)
    for ids, p in brute_force(lm, max_chars=3, min_chars=0, top=15):
        assert p == pytest.approx(word_prob(lm, ids), rel=1e-5)


@pytest.mark.parametrize(("seed", "max_chars", "min_chars"),
                         [(0, 6, 0), (1, 6, 1), (2, 5, 0), (3, 2, 1)])
def test_complete_words_equals_brute_force_enumeration(seed, max_chars, min_chars):
    lm = tiny_model(seed)
    got = generation.complete_words(lm, PROMPT, is_word_char=WORD, is_boundary=BOUNDARY,
                                    top=6, beam=64, max_chars=max_chars, min_chars=min_chars)
    expected = brute_force(lm, max_chars=max_chars, min_chars=min_chars, top=6)
    assert [ids for ids, _ in got] == [ids for ids, _ in expected]
    torch.testing.assert_close(torch.tensor([p for _, p in got]),
                               torch.tensor([p for _, p in expected]), rtol=1e-4, atol=1e-7)
    assert any(len(ids) >= 2 for ids, _ in got)  # the search went past one character


def test_complete_words_narrow_beam_probabilities_still_exact_and_sorted():
    lm = tiny_model(4)
    got = generation.complete_words(lm, PROMPT, is_word_char=WORD, is_boundary=BOUNDARY,
                                    top=5, beam=2)
    probs = [p for _, p in got]
    assert len(got) == 5 and probs == sorted(probs, reverse=True) and sum(probs) <= 1.0
    assert len({tuple(ids) for ids, _ in got}) == 5
    for ids, p in got:
        assert all(i in (3, 4) for i in ids)
        assert p == pytest.approx(word_prob(lm, ids), rel=1e-4)


def test_complete_words_default_boundary_is_every_non_word_id():
    lm = tiny_model(5)
    got = generation.complete_words(lm, PROMPT, is_word_char=WORD, top=3, beam=64,
                                    max_chars=4)
    for ids, p in got:  # the unknown id 0 ends words too
        assert p == pytest.approx(word_prob(lm, ids, boundaries=(0, 1, 2)), rel=1e-4)


def test_complete_words_min_chars_never_returns_shorter():
    lm = tiny_model(0)
    assert any(ids == [] for ids, _ in generation.complete_words(
        lm, PROMPT, is_word_char=WORD, is_boundary=BOUNDARY, top=8))
    got = generation.complete_words(lm, PROMPT, is_word_char=WORD, is_boundary=BOUNDARY,
                                    top=8, min_chars=2)
    assert len(got) == 8 and all(len(ids) >= 2 for ids, _ in got)


def test_complete_words_stops_once_no_prefix_can_beat_the_top(monkeypatch):
    lm, steps = tiny_model(0), []
    step = lm.step
    monkeypatch.setattr(lm, "step", lambda *a: steps.append(1) or step(*a))
    got = generation.complete_words(lm, PROMPT, is_word_char=WORD, is_boundary=BOUNDARY,
                                    top=1, max_chars=24, min_chars=2)
    assert len(got) == 1 and 2 <= len(steps) < 24
    exact = brute_force(lm, max_chars=len(steps) + 4, min_chars=2, top=1)
    assert got[0][0] == exact[0][0]


def test_complete_words_no_word_characters_gives_only_the_empty_completion():
    got = generation.complete_words(tiny_model(0), PROMPT, is_word_char=torch.zeros(5, dtype=bool),
                                    top=3)
    assert [ids for ids, _ in got] == [[]] and got[0][1] == pytest.approx(1.0)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"top": 0}, "complete_words: expected top >= 1, got 0"),
    ({"beam": 0}, "complete_words: expected beam >= 1, got 0"),
    ({"max_chars": -1}, "complete_words: expected max_chars >= 0, got -1"),
])
def test_complete_words_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        generation.complete_words(tiny_model(0), PROMPT, is_word_char=WORD, **kwargs)

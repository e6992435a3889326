"""Sampling, top-k / top-p supports, seeded generation and beam search."""

import pytest
import torch

from lstmkit.models import generation
from lstmkit.models.language_model import LanguageModel


def small_model(seed=0):
    torch.manual_seed(seed)
    lm = LanguageModel(12, embedding_size=6, hidden_size=10)
    with torch.no_grad():  # sharper distributions than the initial ones
        lm.decoder.weight.mul_(8.0)
    return lm.eval()


def test_generate_ids_same_seed_same_ids_other_seed_differs():
    lm = small_model()
    a = generation.generate_ids(lm, [1, 2], 40, seed=5)
    assert a == generation.generate_ids(lm, [1, 2], 40, seed=5)
    assert a != generation.generate_ids(lm, [1, 2], 40, seed=6)


def test_sample_next_top_k_never_leaves_support():
    logits = torch.randn(2000, 50)
    tokens = generation.sample_next(logits, top_k=3, generator=torch.Generator().manual_seed(0))
    support = logits.topk(3).indices
    assert (support == tokens.unsqueeze(1)).any(1).all()


def test_sample_next_top_p_never_leaves_nucleus():
    logits = torch.randn(2000, 50) * 3
    tokens = generation.sample_next(logits, top_p=0.6, generator=torch.Generator().manual_seed(0))
    probs = logits.softmax(-1)
    chosen = probs.gather(1, tokens.unsqueeze(1)).squeeze(1)
    # a token is in the nucleus iff the mass of strictly likelier tokens is below p
    mass_above = (probs * (probs > chosen.unsqueeze(1))).sum(1)
    assert (mass_above < 0.6).all()


def test_generate_ids_top_k_one_is_greedy():
    lm = small_model()
    greedy = generation.generate_ids(lm, [3], 25, temperature=0.0)
    assert generation.generate_ids(lm, [3], 25, top_k=1, seed=1) == greedy


def test_generate_ids_streams_each_token_in_order():
    lm, seen = small_model(), []
    out = generation.generate_ids(lm, [1], 10, seed=0, on_token=seen.append)
    assert seen == out


@pytest.mark.parametrize("seed", range(4))
def test_beam_search_never_less_likely_than_greedy(seed):
    lm = small_model(seed)
    prompt = [seed % 12, 4]
    greedy = generation.generate_ids(lm, prompt, 12, temperature=0.0)
    beam = generation.beam_search(lm, prompt, 12, beam=4)
    assert len(beam) == 12
    assert (generation.sequence_log_prob(lm, prompt, beam)
            >= generation.sequence_log_prob(lm, prompt, greedy) - 1e-5)


def test_filter_logits_rejects_bad_arguments():
    with pytest.raises(ValueError, match="expected top_k >= 1, got 0"):
        generation.filter_logits(torch.zeros(3), top_k=0)
    with pytest.raises(ValueError, match=r"expected 0 < top_p <= 1, got 1.5"):
        generation.filter_logits(torch.zeros(3), top_p=1.5)


def test_prime_rejects_empty_prompt():
    with pytest.raises(ValueError, match="the prompt is empty"):
        generation.prime(small_model(), [])


# -- long prompts: read in windows, the state carried ----------------------------------
def cached_model(seed=0):
    from lstmkit.models.cache import NeuralCache

    lm = small_model(seed)
    lm.cache = NeuralCache(size=7, theta=0.5, lam=0.3)
    return lm


def one_pass(lm, prompt):
    """The reference: the whole prompt in one forward pass."""
    with torch.no_grad():
        logits, state = lm(torch.tensor([prompt]))  # (1, T) -> (1, T, V)
    return logits[:, -1], state


@pytest.mark.parametrize("cached", [False, True])
@pytest.mark.parametrize("window", [1, 3, 7, 64])
def test_prime_in_windows_equals_one_pass(monkeypatch, cached, window):
    lm = cached_model() if cached else small_model()
    prompt = torch.randint(12, (40,), generator=torch.Generator().manual_seed(1)).tolist()
    expected_logits, expected_state = one_pass(lm, prompt)
    monkeypatch.setattr(generation, "PRIME_WINDOW", window)
    logits, state = generation.prime(lm, prompt)
    torch.testing.assert_close(logits, expected_logits)
    for got, want in zip(state, expected_state, strict=True):
        torch.testing.assert_close(got, want)


@pytest.mark.parametrize("cached", [False, True])
def test_windowed_suggestions_and_probabilities_equal_one_pass(monkeypatch, cached):
    lm = cached_model(2) if cached else small_model(2)
    prompt = torch.randint(12, (30,), generator=torch.Generator().manual_seed(3)).tolist()
    continuation = [4, 7, 1, 1, 9]
    with torch.no_grad():  # the reference: prompt and continuation in one pass
        logp = lm(torch.tensor([prompt + continuation[:-1]]))[0].log_softmax(-1)
    reference = float(logp[0, len(prompt) - 1:].gather(
        1, torch.tensor(continuation)[:, None]).sum())
    letters = torch.tensor([i % 3 != 0 for i in range(12)])
    probs_whole = one_pass(lm, prompt)[0][0].softmax(-1)
    monkeypatch.setattr(generation, "PRIME_WINDOW", 4)
    assert generation.sequence_log_prob(lm, prompt, continuation) == pytest.approx(
        reference, abs=1e-5)
    torch.testing.assert_close(generation.next_token_probs(lm, prompt), probs_whole)
    windowed = generation.complete_words(lm, prompt, is_word_char=letters, top=4)
    monkeypatch.setattr(generation, "PRIME_WINDOW", 10_000)
    whole = generation.complete_words(lm, prompt, is_word_char=letters, top=4)
    assert [ids for ids, _ in windowed] == [ids for ids, _ in whole]
    assert [p for _, p in windowed] == pytest.approx([p for _, p in whole], rel=1e-5)


def test_long_prompt_is_read_in_bounded_windows(monkeypatch):
    """A 200k-token prompt: the network never sees more than PRIME_WINDOW steps at a
    time, so time and memory grow linearly (a cache attends within a window only)."""
    lm, seen = cached_model(), []
    forward = type(lm).forward

    def recording(self, tokens, state=None, **kwargs):
        seen.append(tokens.shape[1])
        return forward(self, tokens, state, **kwargs)

    monkeypatch.setattr(type(lm), "forward", recording)
    prompt = torch.randint(12, (200_000,), generator=torch.Generator().manual_seed(0)).tolist()
    probs = generation.next_token_probs(lm, prompt)
    assert max(seen) == generation.PRIME_WINDOW
    assert sum(seen) == len(prompt)
    assert probs.shape == (12,) and float(probs.sum()) == pytest.approx(1.0, abs=1e-5)
    seen.clear()
    generation.sequence_log_prob(lm, prompt[:5000], [1, 2, 3])
    assert max(seen) <= generation.PRIME_WINDOW and sum(seen) == 5002

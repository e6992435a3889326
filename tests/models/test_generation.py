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

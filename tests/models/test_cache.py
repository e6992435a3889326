"""The continuous cache: its distribution against a direct reading of the equations,
windows and steps that agree with one pass, the fit, and a language model that copies."""

import math

import pytest
import torch
from torch.testing import assert_close

from lstmkit.kernels import build
from lstmkit.models.cache import (
    NeuralCache,
    as_keys,
    cache_probs,
    cache_weight,
    empty_memory,
    mix,
)
from lstmkit.models.cache_fit import fit_cache
from lstmkit.models.language_model import LanguageModel


def reference_cache_probs(hidden, tokens, *, size, theta, vocab_size):
    """p_cache and the match strength at every position of streams (B, N, H), straight
    from the equations."""
    batch, steps, _ = hidden.shape
    out = torch.zeros(batch, steps, vocab_size, dtype=hidden.dtype)
    strength = torch.full((batch, steps), float("-inf"), dtype=hidden.dtype)
    for b in range(batch):
        for t in range(steps):
            past = list(range(max(0, t - size), t))
            if not past:
                continue
            scores = torch.stack([theta * hidden[b, t] @ hidden[b, s] for s in past])
            strength[b, t] = scores.logsumexp(0)
            for s, w in zip(past, scores.softmax(0), strict=True):
                out[b, t, tokens[b, s + 1]] += w
    return out, strength


def run_windows(hidden, tokens, cuts, *, size, theta, vocab_size, inplace=False):
    memory, parts, strengths = empty_memory(hidden.shape[0], hidden), [], []
    for a, b in zip([0, *cuts], [*cuts, hidden.shape[1]], strict=True):
        probs, strength, memory = cache_probs(hidden[:, a:b], tokens[:, a:b], memory,
                                              size=size, theta=theta, vocab_size=vocab_size,
                                              inplace=inplace)
        parts.append(probs)
        strengths.append(strength)
    return torch.cat(parts, 1), torch.cat(strengths, 1)


@pytest.mark.parametrize("size", [3, 7, 50])
def test_cache_probs_match_the_equations_across_windows(size):
    torch.manual_seed(0)
    hidden, tokens = torch.randn(2, 23, 5, dtype=torch.float64), torch.randint(6, (2, 23))
    expected = reference_cache_probs(hidden, tokens, size=size, theta=0.7, vocab_size=6)
    for cuts in ([], [1, 2, 10], [5, 6, 7, 8, 20], list(range(1, 23))):
        got = run_windows(hidden, tokens, cuts, size=size, theta=0.7, vocab_size=6)
        assert_close(got, expected)


def test_cache_probs_sum_to_one_once_filled_and_zero_before():
    hidden, tokens = torch.randn(1, 9, 4), torch.randint(5, (1, 9))
    probs, strength, _ = cache_probs(hidden, tokens, empty_memory(1, hidden), size=4,
                                     theta=1.0, vocab_size=5)
    assert (strength > float("-inf")).tolist() == [[False] + [True] * 8]
    assert_close(probs.sum(-1), torch.tensor([[0.0] + [1.0] * 8]))


def test_cache_inplace_steps_equal_one_pass():
    hidden, tokens = torch.randn(3, 12, 4), torch.randint(7, (3, 12))
    whole = run_windows(hidden, tokens, [], size=5, theta=1.3, vocab_size=7)
    steps = run_windows(hidden, tokens, list(range(1, 12)), size=5, theta=1.3, vocab_size=7,
                        inplace=True)
    assert_close(steps, whole)


def test_neural_cache_rejects_bad_settings():
    with pytest.raises(ValueError, match=r"NeuralCache: size must be an integer in "
                                         r"\[1, 1000000\], got 0"):
        NeuralCache(0, 1.0, 0.1)
    with pytest.raises(ValueError, match=r"NeuralCache: lam must be a finite number in "
                                         r"\[0, 1\], got 1.5"):
        NeuralCache(10, 1.0, 1.5)


def cached_lm(cell="lstm", lam=0.3):
    torch.manual_seed(0)
    lm = LanguageModel(11, embedding_size=6, hidden_size=8, num_layers=2, cell=cell).eval()
    lm.cache = NeuralCache(size=9, theta=0.5, lam=lam)
    return lm


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_language_model_with_cache_windows_and_steps_equal_one_pass(cell):
    lm, tokens = cached_lm(cell), torch.randint(11, (2, 25))
    whole, final = lm(tokens)
    first, state = lm(tokens[:, :10])
    second, _ = lm(tokens[:, 10:], state)
    assert_close(torch.cat([first, second], 1), whole)
    state, steps = None, []
    for t in range(tokens.shape[1]):
        logits, state = lm.step(tokens[:, t], state)
        steps.append(logits)
    assert_close(torch.stack(steps, 1), whole)
    assert len(state) == len(final) == (6 if cell == "lstm" else 5)  # (h, c) or h, then 4
    for got, expected in zip(state, final, strict=True):
        assert_close(got, expected.detach())


def test_language_model_cache_mixes_distributions_and_leaves_training_alone():
    lm, tokens = cached_lm(lam=0.25), torch.randint(11, (1, 30))
    mixed, _ = lm(tokens)
    lm.cache = None
    plain, state = lm(tokens)
    lm.cache = NeuralCache(size=9, theta=0.5, lam=0.25)
    assert_close(mixed.exp().sum(-1), torch.ones(1, 30))
    assert_close(mixed[:, 0], plain[:, 0].log_softmax(-1))  # nothing cached yet
    assert not torch.allclose(mixed[:, 1:], plain[:, 1:].log_softmax(-1))
    trained_out, trained_state = lm.train()(tokens)  # no dropout here: the plain network
    assert_close(trained_out, plain)
    assert len(trained_state) == len(state) == 2  # (h, c): no cache memory


def test_fit_cache_finds_the_settings_that_help_and_turns_off_when_none_do():
    torch.manual_seed(0)
    vocab, size = 9, 60
    tokens = torch.randint(vocab, (2, 40)).repeat(1, 5)  # (2, 200): every token repeats
    position = torch.arange(200).remainder(40).expand(2, -1)  # the state knows where it is
    hidden = torch.nn.functional.one_hot(position, 40).double() * 3  # (B, N, 40)
    uniform = torch.full((2, 199), -math.log(vocab), dtype=torch.float64)
    cache, loss = fit_cache(hidden, tokens, uniform, size=size, vocab_size=vocab)
    assert cache.size == size and cache.lam > 0.3 and loss < 0.7 * math.log(vocab)
    exact = torch.zeros(2, 199, dtype=torch.float64)  # the network is already certain
    cache, loss = fit_cache(hidden, tokens, exact, size=size, vocab_size=vocab)
    assert cache.lam == 0.0 and loss == pytest.approx(0.0)


def test_cache_weight_is_zero_when_empty_and_gated_by_the_match():
    strength = torch.tensor([float("-inf"), -2.0, 1.0, 4.0])
    assert cache_weight(strength, 0.4, None).tolist() == pytest.approx([0.0, 0.4, 0.4, 0.4])
    gated = cache_weight(strength, 0.4, 1.0)
    assert gated[0] == 0.0 and gated[2] == pytest.approx(0.2)
    assert 0.0 < gated[1] < gated[2] < gated[3] < 0.4
    warming = cache_weight(strength, 0.4, None, keys=torch.tensor([0, 5, 10, 40]), warmup=20)
    assert warming.tolist() == pytest.approx([0.0, 0.1, 0.2, 0.4])


@pytest.mark.parametrize("filled", [0, 3, 40])
@pytest.mark.parametrize(("threshold", "warmup"), [(None, 0), (0.5, 0), (None, 10)])
def test_cache_mix_step_kernel_equals_the_reference(filled, threshold, warmup, monkeypatch):
    if not build.load():
        pytest.skip("the fused kernels are not available")
    cache = NeuralCache(size=16, theta=0.8, lam=0.3, threshold=threshold, warmup=warmup)
    hidden, tokens = torch.randn(3, filled + 1, 37), torch.randint(50, (3, filled + 1))
    memory = empty_memory(3, hidden)
    if filled:
        _, _, memory = cache_probs(hidden[:, :-1], tokens[:, :-1], memory, size=16, theta=0.8,
                                   vocab_size=50)
    logits = torch.randn(3, 1, 50) * 3
    step = (logits, hidden[:, -1:], tokens[:, -1:])
    with torch.no_grad():
        fused = mix(*step, memory, cache)
        monkeypatch.setenv("LSTMKIT_KERNELS", "0")
        reference = mix(*step, memory, cache)
    assert_close(fused[0], reference[0])
    for got, expected in zip(fused[1], reference[1], strict=True):
        assert_close(got, expected)


def test_cache_mix_step_kernel_rejects_a_token_outside_the_vocabulary():
    if not build.load():
        pytest.skip("the fused kernels are not available")
    keys, values = torch.randn(4, 1, 8).half(), torch.tensor([[2], [9], [-1], [-1]])
    with pytest.raises(RuntimeError, match="cache_mix_step: a cached token id is not below "
                       "the vocabulary size 5"):
        torch.ops.lstmkit.cache_mix_step(torch.randn(1, 8), keys, values, torch.randn(1, 5),
                                         1.0, 0.2, float("nan"), 0)


def test_cache_stores_float32_outputs_as_float16_and_keeps_float64():
    hidden = torch.tensor([[[0.1234567, -1e6, 7e4, 0.5]]])  # (1, 1, 4)
    keys = as_keys(hidden)
    assert keys.dtype == torch.float16 and keys[0, 0, 1:3].tolist() == [-65504.0, 65504.0]
    assert abs(float(keys[0, 0, 0]) - 0.1234567) < 5e-4
    assert as_keys(hidden.double()).dtype == torch.float64
    _, _, memory = cache_probs(torch.randn(2, 5, 4), torch.randint(3, (2, 5)),
                               empty_memory(2, torch.zeros(2, 1, 4)), size=8, theta=1.0,
                               vocab_size=3)
    assert memory[0].dtype == torch.float16 and memory[0].shape == (8, 2, 4)  # ring of size 8

"""The cache on empty inputs: its one-token kernel (no batch, no vocabulary, no keys yet)
and its reference path and the language model (no streams, no tokens)."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close

from lstmkit.models.cache import NeuralCache, empty_memory, mix
from lstmkit.models.language_model import LanguageModel

CACHE = NeuralCache(size=8, theta=1.0, lam=0.5)


def _mix(batch: int, vocab: int, size: int, width: int = 4) -> torch.Tensor:
    return torch.ops.lstmkit.cache_mix_step(
        torch.randn(batch, width), torch.randn(size, batch, width).half(),
        torch.zeros(size, batch, dtype=torch.int64).clamp_max(vocab - 1).clamp_min(-1),
        torch.randn(batch, vocab), 1.0, 0.5, float("nan"), 0)


@pytest.mark.parametrize(("batch", "vocab", "size"), [(0, 5, 3), (2, 0, 0), (0, 0, 0)],
                         ids=["no-rows", "no-vocabulary", "nothing"])
def test_cache_kernel_on_empty_inputs_returns_empty_log_probs(kernels, batch, vocab, size):
    assert _mix(batch, vocab, size).shape == (batch, vocab)


def test_cache_kernel_without_keys_returns_the_networks_distribution(kernels):
    logits = torch.randn(2, 5)
    mixed = torch.ops.lstmkit.cache_mix_step(
        torch.randn(2, 4), torch.zeros(0, 2, 4).half(), torch.zeros(0, 2, dtype=torch.int64),
        logits, 1.0, 0.5, float("nan"), 0)
    assert_close(mixed, logits.log_softmax(-1))


@pytest.mark.parametrize("kernels_on", [True, False], ids=["kernels", "reference"])
@pytest.mark.parametrize(("batch", "steps"), [(0, 1), (0, 3), (2, 0), (0, 0)])
def test_cache_mix_of_an_empty_window_keeps_the_memory(monkeypatch, kernels_on, batch, steps):
    if not kernels_on:
        monkeypatch.setenv("LSTMKIT_KERNELS", "0")
    hidden = torch.randn(batch, steps, 4)
    memory = empty_memory(batch, hidden)
    mixed, after = mix(torch.randn(batch, steps, 5), hidden,
                       torch.zeros(batch, steps, dtype=torch.int64), memory, CACHE)
    assert mixed.shape == (batch, steps, 5)
    assert all(torch.equal(a, m) for a, m in zip(after, memory, strict=True))


def test_cache_mix_of_no_tokens_after_reading_changes_nothing():
    hidden, tokens = torch.randn(2, 3, 4), torch.zeros(2, 3, dtype=torch.int64)
    _, memory = mix(torch.randn(2, 3, 5), hidden, tokens, empty_memory(2, hidden), CACHE)
    mixed, after = mix(torch.randn(2, 0, 5), hidden[:, :0], tokens[:, :0], memory, CACHE)
    assert mixed.shape == (2, 0, 5)
    assert all(torch.equal(a, m) for a, m in zip(after, memory, strict=True))


def test_language_model_with_cache_on_no_streams_returns_empty_logits():
    model = LanguageModel(7, embedding_size=4, hidden_size=6).eval()
    model.cache = CACHE
    with torch.no_grad():
        logits, state = model(torch.zeros(0, 3, dtype=torch.int64))
        again, _ = model(torch.zeros(0, 1, dtype=torch.int64), state)
    assert logits.shape == (0, 3, 7) and again.shape == (0, 1, 7)

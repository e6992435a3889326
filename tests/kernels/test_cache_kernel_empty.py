"""The cache's one-token kernel on empty inputs: no batch, no vocabulary, no keys yet."""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close


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

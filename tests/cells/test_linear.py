"""functional.linear: F.linear's values and gradients (double backward included), with
the weight gradient formed in the faster orientation."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch.autograd import gradcheck, gradgradcheck
from torch.testing import assert_close

from lstmkit import functional as LF


@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("shape", [(7, 3), (4, 5, 3), (3,)])
def test_linear_matches_f_linear_values_and_gradients(shape, with_bias):
    torch.manual_seed(0)
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    w = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(6, dtype=torch.float64, requires_grad=True) if with_bias else None
    out = LF.linear(x, w, b)
    assert_close(out, F.linear(x, w, b))
    inputs = (x, w) if b is None else (x, w, b)
    assert gradcheck(lambda *a: LF.linear(*a), inputs)
    assert gradgradcheck(lambda *a: LF.linear(*a), inputs)


def test_linear_skips_gradients_nobody_needs():
    x, w = torch.randn(5, 3), torch.randn(4, 3, requires_grad=True)
    LF.linear(x, w).sum().backward()
    assert x.grad is None
    assert_close(w.grad, x.sum(0).expand(4, 3))

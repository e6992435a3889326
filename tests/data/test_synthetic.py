"""The synthetic long-memory tasks are what the papers describe."""

import pytest
import torch

from lstmkit.data.synthetic import ADDING_MEAN_BASELINE_MSE, adding_problem, temporal_order


def test_adding_problem_marks_one_value_in_each_half():
    x, y = adding_problem(256, 30, seed=1)
    markers = x[..., 1]
    assert torch.all(markers.sum(1) == 2)
    assert torch.all(markers[:, :15].sum(1) == 1)
    torch.testing.assert_close(y[:, 0], (x[..., 0] * markers).sum(1))


def test_adding_problem_mean_baseline_is_one_sixth():
    _, y = adding_problem(200_000, 2, seed=2)
    assert abs(((y - 1) ** 2).mean().item() - ADDING_MEAN_BASELINE_MSE) < 3e-3


def test_adding_problem_is_reproducible_with_seed():
    assert torch.equal(adding_problem(4, 9, seed=3)[0], adding_problem(4, 9, seed=3)[0])


def test_temporal_order_label_is_order_of_relevant_symbols():
    x, y = temporal_order(64, 50, seed=4)
    symbols = x.argmax(-1)
    for row, label in zip(symbols, y, strict=True):
        relevant = row[(row == 4) | (row == 5)] - 4
        assert relevant.numel() == 2
        assert label == relevant[0] * 2 + relevant[1]
    assert torch.all(symbols[:, 0] == 6) and torch.all(symbols[:, -1] == 7)


@pytest.mark.parametrize(("fn", "message"), [
    (lambda: adding_problem(4, 1), r"^adding_problem: expected seq_len >= 2, got 1$"),
    (lambda: temporal_order(0, 20), r"^temporal_order: expected n to be a positive integer"),
])
def test_synthetic_bad_arguments_message(fn, message):
    with pytest.raises(ValueError, match=message):
        fn()

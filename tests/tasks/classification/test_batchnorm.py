"""Precise batch-norm statistics: the running mean/variance become the average over
the training batches, dropout stays off, and nothing but the statistics changes."""

from __future__ import annotations

import torch
from torch import nn

from lstmkit.models.lstm_fcn import LSTMFCN
from lstmkit.tasks.classification.batchnorm import has_batchnorm, precise_batchnorm


def _run(net, batch):
    return net(batch[0], batch[1])


def test_precise_batchnorm_averages_the_batches_statistics():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.9))
    x = torch.randn(60, 3)
    batches = [(x[i:i + 20],) for i in range(0, 60, 20)]
    net[1].running_mean.fill_(100.0)  # stale statistics from "training"
    precise_batchnorm(net, batches, lambda n, b: n(b[0]))
    h = net[0](x).detach()
    means = torch.stack([h[i:i + 20].mean(0) for i in range(0, 60, 20)])
    variances = torch.stack([h[i:i + 20].var(0) for i in range(0, 60, 20)])
    torch.testing.assert_close(net[1].running_mean, means.mean(0))
    torch.testing.assert_close(net[1].running_var, variances.mean(0))
    assert not net.training and not net[2].training and net[1].momentum == 0.1


def test_precise_batchnorm_changes_only_the_statistics_and_matches_train_mode():
    """With one batch holding every series, eval-mode logits after recalibration equal
    train-mode logits up to the variance's unbiasing (dropout off)."""
    torch.manual_seed(0)
    net = LSTMFCN(1, 3, hidden_size=4, filters=(8, 8, 8), dropout=0.0)
    x, lengths = torch.randn(32, 20, 1), torch.full((32,), 20)
    weights = {k: v.clone() for k, v in net.state_dict().items()
               if "running" not in k and "num_batches" not in k}
    net.train()
    with torch.no_grad():
        train_mode = net(x, lengths)
    precise_batchnorm(net, [(x, lengths)], _run)
    with torch.no_grad():
        eval_mode = net(x, lengths)
    torch.testing.assert_close(eval_mode, train_mode, atol=0.05, rtol=0.05)
    for key, value in weights.items():
        torch.testing.assert_close(net.state_dict()[key], value, atol=0, rtol=0)
    assert has_batchnorm(net) and not has_batchnorm(nn.LSTM(2, 3))


def test_precise_batchnorm_leaves_a_network_without_batchnorm_alone():
    net = nn.Linear(2, 2)
    precise_batchnorm(net, [(torch.randn(4, 2),)], lambda n, b: n(b[0]))
    assert net.training  # untouched: not even switched to eval

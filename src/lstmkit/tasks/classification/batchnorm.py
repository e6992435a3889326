"""Precise batch-norm statistics (Wu & Johnson 2021, "Rethinking 'Batch' in BatchNorm"):
before a network in eval mode is scored, its batch-norm layers' running mean and
variance are recomputed as the average over every training batch, with the current
weights.

Why: PyTorch's running statistics are an exponential average (momentum 0.1) over the
last few training steps. On the small training sets of time-series classification
(ArrowHead: 29 series, two batches per epoch) each step's batch statistics differ a lot
and the weights move between steps, so the averaged statistics match no set of weights:
ArrowHead's validation loss swung between 0.7 and 11 from one epoch to the next while
the learning rate was near 0 and the training loss under 1e-3. Recomputed statistics
make the scored network the one training produced, so the best epoch is chosen on a
stable curve. No library ships this for plain PyTorch modules (fvcore's
``update_bn_stats`` needs fvcore and detectron2-style loaders), so it is written here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import Tensor, nn

BatchNorm = nn.modules.batchnorm._BatchNorm


def has_batchnorm(network: nn.Module) -> bool:
    """Whether ``network`` holds a batch-norm layer."""
    return any(isinstance(m, BatchNorm) for m in network.modules())


def precise_batchnorm(network: nn.Module, batches: Iterable[tuple[Tensor, ...]],
                      forward: Callable[[nn.Module, tuple[Tensor, ...]], Tensor]) -> None:
    """Recompute the running mean and variance of every batch-norm layer of ``network``
    as the plain average over ``batches`` (``momentum=None``), without gradients; the
    network is left in eval mode.

    The batches run through the training forward pass (train mode: the same paths and
    precision as training, e.g. LSTM-FCN's float32 convolutions even with
    ``bf16_inference``), except that ``nn.Dropout`` layers are off, as when predicting.

    Args:
        network: the network (its weights are not changed).
        batches: the training batches (each seen once).
        forward: ``forward(network, batch)`` runs the network on one batch.

    Example:
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
        >>> x = torch.randn(64, 2)
        >>> precise_batchnorm(net, [(x[:32],), (x[32:],)], lambda n, b: n(b[0]))
        >>> h = net[0](x).detach()
        >>> bool(torch.allclose(net[1].running_mean, h.mean(0), atol=1e-5))
        True
    """
    norms = [m for m in network.modules() if isinstance(m, BatchNorm)]
    if not norms:
        return
    network.train()
    for m in network.modules():
        if isinstance(m, nn.modules.dropout._DropoutNd):
            m.eval()
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the batches
    with torch.no_grad():
        for batch in batches:
            forward(network, batch)
    for m, momentum in zip(norms, momenta, strict=True):
        m.momentum = momentum
    network.eval()

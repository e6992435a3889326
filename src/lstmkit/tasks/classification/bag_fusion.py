"""How a text classifier's bag-of-n-grams branch starts and joins the network: naive
Bayes fitted on the fit part, then either trained jointly with the network
(``bag_fusion="joint"``) or kept frozen and added with one weight fitted on the
validation split (``"late"``: :func:`fit_bag_weight`).

Why late fusion: on Pang & Lee's sentences, training the bag jointly with a BiLSTM
that starts from word vectors did worse than either alone (``docs/classification.md``):
the bag, already naive Bayes, fits the training sentences at once and leaves the
recurrent branch little to learn. Trained apart, each model keeps what it learned and
one weight, the only thing fitted on validation besides the epoch and the temperature,
sets how much the bag's evidence counts (Wang & Manning 2012 and Mesnil et al. 2014
combine a bag and a neural sentiment model the same way).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...models.ngram_bag import LateNgramBag, NgramBag, WithNgramBag
from .objective import batch_logits

#: The fitted weight is kept in [0, MAX_WEIGHT].
MAX_WEIGHT = 10.0


def add_bag(network: nn.Module, settings: Any, vocab_size: int | None, n_classes: int, *,
            outer: bool) -> nn.Module:
    """``network`` with the bag branch of ``settings.bag_ngrams`` (text only: a
    ``vocab_size``), where ``settings.bag_fusion`` puts it: ``joint`` around each network
    (``outer=False``), ``late`` around the whole ensemble (``outer=True``); else as is."""
    if not vocab_size or not settings.bag_ngrams or (settings.bag_fusion == "late") != outer:
        return network
    bag = NgramBag(vocab_size, n_classes, ngrams=settings.bag_ngrams)
    return LateNgramBag(network, bag) if outer else WithNgramBag(network, bag)


def start_bags(network: nn.Module, x: Tensor, lengths: Tensor, target: Tensor) -> None:
    """Every bag branch of ``network`` (one per ensemble member when joint, one around
    the ensemble when late) starts as naive Bayes fitted on ``(x, lengths, target)``:
    the fit part only, never the validation split."""
    for module in network.modules():
        if isinstance(module, WithNgramBag):
            module.bag.init_naive_bayes(x, lengths, target)


def fit_bag_weight(net_logits: Tensor, bag_logits: Tensor, targets: Tensor, *,
                   steps: int = 100) -> float:
    """The weight w >= 0 minimising the NLL of ``softmax(net_logits + w * bag_logits)``.

    Args:
        net_logits, bag_logits: (N, C) validation logits of the two branches.
        targets: (N,) class indices.
        steps: L-BFGS iterations.

    Returns:
        w in [0, :data:`MAX_WEIGHT`]; 1.0 (the plain sum) with nothing to fit on.

    Example:
        >>> net = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
        >>> bag = torch.tensor([[0.0, 3.0], [3.0, 0.0], [0.0, 3.0], [3.0, 0.0]])  # noise
        >>> fit_bag_weight(net, bag, torch.tensor([0, 0, 1, 1])) < 0.05
        True
    """
    if len(targets) == 0:
        return 1.0
    net, bag = net_logits.detach().double(), bag_logits.detach().double()
    weight = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight], lr=0.5, max_iter=steps,
                                  line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(net + weight.clamp(0, MAX_WEIGHT) * bag, targets)
        loss.backward()
        return loss

    optimizer.step(closure)
    value = float(weight.detach().clamp(0, MAX_WEIGHT))
    return value if value == value else 1.0  # NaN -> the plain sum


def fuse_late_bag(network: nn.Module, x: Tensor, lengths: Tensor, target: Tensor) -> None:
    """For a :class:`~lstmkit.models.ngram_bag.LateNgramBag`: fit its ``bag_weight`` on
    the validation split ``(x, lengths, target)`` (nothing for other networks; the weight
    stays 1 without a validation split)."""
    if not isinstance(network, LateNgramBag) or len(target) == 0:
        return
    weight = fit_bag_weight(batch_logits(network.network, x, lengths),
                            batch_logits(network.bag, x, lengths), target)
    network.bag_weight.fill_(weight)


def refit_late_bag(network: nn.Module, x: Tensor, lengths: Tensor, target: Tensor) -> None:
    """``bag_refit``: a :class:`~lstmkit.models.ngram_bag.LateNgramBag`'s bag becomes
    naive Bayes of ``(x, lengths, target)`` (every training sequence); its weight stays."""
    if isinstance(network, LateNgramBag):
        network.bag.init_naive_bayes(x, lengths, target)

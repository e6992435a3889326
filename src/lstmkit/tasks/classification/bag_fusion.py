"""How a text classifier's bag-of-n-grams branch starts and joins the network: naive
Bayes fitted on the fit part, then either trained jointly with the network
(``bag_fusion="joint"``) or kept frozen and added with one weight fitted on the
validation split (``"late"``: :func:`fit_bag_weight`).

Why late fusion: on Pang & Lee's sentences, training the bag jointly with a BiLSTM
that starts from word vectors did worse than either alone (``docs/classification-benchmarks.md``):
the bag, already naive Bayes, fits the training sentences at once and leaves the
recurrent branch little to learn. Trained apart, each model keeps what it learned and
one weight, the only thing fitted on validation besides the epoch and the temperature,
sets how much the bag's evidence counts (Wang & Manning 2012 and Mesnil et al. 2014
combine a bag and a neural sentiment model the same way). With ``vector_lr`` a third
late component, a logistic regression on mean word vectors
(:mod:`lstmkit.models.vector_lr`), is fitted on the same rows as the bag and its weight
jointly with the bag's.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...models.ngram_bag import LateNgramBag, NgramBag, WithNgramBag
from ...models.vector_lr import LateVectorBag, VectorMeanLR
from .inputs import ClassificationDataError
from .objective import batch_logits
from .vector_lr import fit_vector_lr

#: The fitted weight is kept in [0, MAX_WEIGHT].
MAX_WEIGHT = 10.0


def add_bag(network: nn.Module, settings: Any, vocab_size: int | None, n_classes: int, *,
            outer: bool) -> nn.Module:
    """``network`` with the bag branch of ``settings.bag_ngrams`` (text only: a
    ``vocab_size``), where ``settings.bag_fusion`` puts it: ``joint`` around each network
    (``outer=False``), ``late`` around the whole ensemble (``outer=True``),
    with ``settings.vector_lr`` beside a word-vector regression; else as is.

    Raises:
        ClassificationDataError: ``vector_lr`` without text input (no ``vocab_size``).
    """
    if settings.vector_lr and not vocab_size:
        raise ClassificationDataError("SequenceClassifier: vector_lr needs text input "
                                      "(word vectors of its tokens)")
    if not vocab_size or not settings.bag_ngrams or (settings.bag_fusion == "late") != outer:
        return network
    bag = NgramBag(vocab_size, n_classes, ngrams=settings.bag_ngrams)
    if outer and settings.vector_lr:
        vectors = VectorMeanLR(vocab_size, settings.embedding_dim, n_classes)
        return LateVectorBag(network, bag, vectors)
    return LateNgramBag(network, bag) if outer else WithNgramBag(network, bag)


def start_bags(network: nn.Module, x: Tensor, lengths: Tensor, target: Tensor) -> None:
    """Every bag branch of ``network`` (one per ensemble member when joint, one around
    the ensemble when late) starts as naive Bayes fitted on ``(x, lengths, target)``:
    the fit part only, never the validation split; a word-vector regression too."""
    for module in network.modules():
        if isinstance(module, NgramBag | VectorMeanLR):
            fit_part(module, x, lengths, target)


def fit_part(module: nn.Module, x: Tensor, lengths: Tensor, target: Tensor) -> None:
    """Fit a late component on ``(x, lengths, target)``: a bag becomes naive Bayes, a
    word-vector regression the logistic regression of :func:`.vector_lr.fit_vector_lr`."""
    if isinstance(module, NgramBag):
        module.init_naive_bayes(x, lengths, target)
    else:
        fit_vector_lr(module, x, lengths, target)


def fit_bag_weight(net_logits: Tensor, bag_logits: Tensor, targets: Tensor, *,
                   steps: int = 100) -> float:
    """The weight w >= 0 minimising the NLL of ``softmax(net_logits + w * bag_logits)``
    (:func:`fit_late_weights` with one component).

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
    return fit_late_weights(net_logits, [bag_logits], targets, steps=steps)[0]


def fit_late_weights(net_logits: Tensor, parts: list[Tensor], targets: Tensor, *,
                     steps: int = 100) -> list[float]:
    """The weights w_i >= 0, fitted jointly, minimising the NLL of ``softmax(net_logits +
    sum_i w_i * parts[i])`` (L-BFGS, ``steps`` iterations).

    Args:
        net_logits: (N, C) held-out logits of the network; parts: (N, C) each, of the
            late components (the bag, the word-vector regression). targets: (N,).

    Returns:
        One weight per part, each in [0, :data:`MAX_WEIGHT`]; all 1.0 (the plain sum)
        with nothing to fit on or when the fit fails (NaN).
    """
    if len(targets) == 0:
        return [1.0] * len(parts)
    net = net_logits.detach().double()
    stack = torch.stack([p.detach().double() for p in parts])  # (P, N, C)
    weight = torch.zeros(len(parts), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight], lr=0.5, max_iter=steps,
                                  line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        optimizer.zero_grad()
        mixed = net + (weight.clamp(0, MAX_WEIGHT)[:, None, None] * stack).sum(0)
        loss = F.cross_entropy(mixed, targets)
        loss.backward()
        return loss

    optimizer.step(closure)
    values = weight.detach().clamp(0, MAX_WEIGHT).tolist()
    return values if all(v == v for v in values) else [1.0] * len(parts)  # NaN: plain sum


def fuse_late_bag(network: nn.Module, x: Tensor, lengths: Tensor, target: Tensor) -> None:
    """For a :class:`~lstmkit.models.ngram_bag.LateNgramBag`: fit the weights of its
    late components (``bag_weight``, a ``vector_weight``) jointly on the validation split
    ``(x, lengths, target)`` (nothing for other networks; the weights stay 1 without a
    validation split)."""
    if not isinstance(network, LateNgramBag) or len(target) == 0:
        return
    set_late_weights(network, batch_logits(network.network, x, lengths),
                     [batch_logits(part, x, lengths) for part, _ in network.late_parts()],
                     target)


def set_late_weights(network: LateNgramBag, net_logits: Tensor, part_logits: list[Tensor],
                     target: Tensor) -> Tensor:
    """Fit the weights of ``network``'s late components jointly
    (:func:`fit_late_weights`) on held-out logits, the network's ``net_logits`` and each
    component's in ``part_logits`` (N, C each), and set them; returns the held-out
    logits of the whole model."""
    weights = fit_late_weights(net_logits, part_logits, target)
    for (_, buffer), weight in zip(network.late_parts(), weights, strict=True):
        buffer.fill_(weight)
    return net_logits + sum(w * part for w, part in zip(weights, part_logits, strict=True))


def refit_late_bag(network: nn.Module, x: Tensor, lengths: Tensor, target: Tensor) -> None:
    """``bag_refit``: a :class:`~lstmkit.models.ngram_bag.LateNgramBag`'s late
    components are fitted again on ``(x, lengths, target)`` (every training sequence):
    the bag becomes naive Bayes of them, a word-vector regression too; weights stay."""
    if isinstance(network, LateNgramBag):
        for part, _ in network.late_parts():
            fit_part(part, x, lengths, target)

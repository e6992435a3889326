"""``VectorMeanLR`` and ``LateVectorBag``: a linear classifier on the mean of a text's
fixed word vectors, added late (with its own fitted weight) beside a network and a
naive-Bayes bag.

Why: on Pang & Lee's sentences, a logistic regression on averaged PPMI-SVD vectors
(0.718 in 5-fold cross-validation of the training part) added to naive Bayes gave 0.754
against 0.733 for naive Bayes alone (``docs/classification-benchmarks.md``, session 8): the
vectors carry signal a bag of n-grams does not, and a linear model on them is a
different kind of model from the networks, which start from the same vectors but are
trained. The weights are set by scikit-learn's logistic regression
(:mod:`lstmkit.tasks.classification.vector_lr`); the module lives in torch so that it
runs inside the fused network and saves with it.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .ngram_bag import LateNgramBag, NgramBag


class VectorMeanLR(nn.Module):
    """Logits of a linear model on the mean word vector of each document.

    Args:
        vocab_size: V; token id 0 (the unknown token) and padding are left out of the mean.
        dim: features of each word vector.
        n_classes: C.

    Shape:
        x (B, T) long, lengths (B,) -> logits (B, C).

    Example:
        >>> lr = VectorMeanLR(10, 4, 2)
        >>> lr(torch.tensor([[3, 4, 0], [5, 0, 0]]), torch.tensor([3, 1])).shape
        torch.Size([2, 2])
    """

    def __init__(self, vocab_size: int, dim: int, n_classes: int) -> None:
        super().__init__()
        self.register_buffer("table", torch.zeros(vocab_size, dim))  # fixed word vectors
        self.linear = nn.Linear(dim, n_classes)
        self.requires_grad_(False)

    def features(self, x: Tensor, lengths: Tensor) -> Tensor:
        """The mean vector of each document's known tokens (zeros for none).

        Shape:
            x (B, T), lengths (B,) -> (B, dim).
        """
        steps = torch.arange(x.shape[1], device=x.device)
        mask = ((steps[None] < lengths[:, None]) & (x != 0)).float()  # (B, T)
        total = (self.table[x] * mask[..., None]).sum(1)  # (B, dim)
        return total / mask.sum(1, keepdim=True).clamp(min=1)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        return self.linear(self.features(x, lengths))


class LateVectorBag(LateNgramBag):
    """:class:`~lstmkit.models.ngram_bag.LateNgramBag` with a third late component: a
    frozen :class:`VectorMeanLR` whose logits are added with a weight of their own,
    fitted with the bag's (``network(x) + w_bag * bag(x) + w_vec * vector_lr(x)``).

    Shape:
        x (B, T) long, lengths (B,) -> logits (B, C).

    Example:
        >>> net = LateVectorBag(nn.Identity(), NgramBag(5, 2), VectorMeanLR(5, 3, 2))
        >>> [float(w) for _, w in net.late_parts()]
        [1.0, 1.0]
    """

    def __init__(self, network: nn.Module, bag: NgramBag, vector_lr: VectorMeanLR) -> None:
        super().__init__(network, bag)
        self.vector_lr = vector_lr
        self.register_buffer("vector_weight", torch.ones(()))

    def late_parts(self) -> list[tuple[nn.Module, Tensor]]:
        """The late components and their weight buffers: the bag, then the regression."""
        return [*super().late_parts(), (self.vector_lr, self.vector_weight)]

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        return super().forward(x, lengths) + self.vector_weight * self.vector_lr(x, lengths)

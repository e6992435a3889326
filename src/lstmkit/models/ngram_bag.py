"""``NgramBag``, ``WithNgramBag`` and ``LateNgramBag``: a linear bag-of-n-grams branch
whose logits are added to a text classifier's, starting as multinomial naive Bayes
(trained jointly with it, or frozen beside it and weighted afterwards: late fusion).

Why a bag beside the LSTM: on a few thousand short documents an LSTM trained from
scratch loses to naive Bayes and TF-IDF + logistic regression (Wang & Manning 2012;
Mesnil et al. 2014 combine an RNN with an NB-weighted bag for the same reason). The
branch is a fastText-style sum of learned per-class weights over the document's
unigrams (its token ids) and word bigrams (hashed into :data:`BUCKETS` buckets, Joulin
et al. 2017); :meth:`NgramBag.init_naive_bayes` sets those weights to multinomial naive
Bayes' centred log-probabilities fitted on the training part, so that training starts
from naive Bayes and the recurrent branch learns what the bag misses. Written here
rather than taken from scikit-learn because the weights must train jointly with the
LSTM inside one ``nn.Module`` (and save with it).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

#: Hash buckets of the word bigrams (2**18: ~0.3 % of distinct bigrams collide at 10,000).
BUCKETS = 1 << 18
_PRIME = 1_000_003


class NgramBag(nn.Module):
    """Per-class weights summed over a document's unigrams and hashed bigrams, plus a bias.

    Args:
        vocab_size: V; token id 0 (the unknown token) and padding carry no weight.
        n_classes: C.
        ngrams: 1 (unigrams) or 2 (unigrams and bigrams).

    Shape:
        x (B, T) long, lengths (B,) -> logits (B, C).

    Example:
        >>> bag = NgramBag(10, 2)
        >>> x, lengths = torch.tensor([[3, 4, 5], [3, 0, 0]]), torch.tensor([3, 1])
        >>> bag.init_naive_bayes(x, lengths, torch.tensor([1, 0]))
        >>> bag(x, lengths).argmax(1).tolist()
        [1, 0]
    """

    def __init__(self, vocab_size: int, n_classes: int, *, ngrams: int = 2) -> None:
        super().__init__()
        if ngrams not in (1, 2):
            raise ValueError(f"NgramBag: expected ngrams 1 or 2, got {ngrams}")
        self.vocab_size, self.ngrams = vocab_size, ngrams
        rows = vocab_size + (BUCKETS if ngrams == 2 else 0)
        self.weight = nn.EmbeddingBag(rows, n_classes, mode="sum")
        nn.init.zeros_(self.weight.weight)
        self.bias = nn.Parameter(torch.zeros(n_classes))

    def features(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Row ids of every n-gram and whether it counts (inside the document, not the
        unknown token).

        Shape:
            x (B, T), lengths (B,) -> ids (B, N), mask (B, N), N = T or 2T - 1.
        """
        steps = torch.arange(x.shape[1], device=x.device)
        mask = (steps[None] < lengths[:, None]) & (x != 0)  # (B, T)
        ids = x
        if self.ngrams == 2 and x.shape[1] > 1:
            pairs = (x[:, :-1] * _PRIME + x[:, 1:]) % BUCKETS + self.vocab_size  # (B, T-1)
            inside = steps[None, 1:] < lengths[:, None]
            ids, mask = torch.cat([x, pairs], 1), torch.cat([mask, inside], 1)
        return torch.where(mask, ids, torch.zeros_like(ids)), mask

    @torch.no_grad()
    def init_naive_bayes(self, x: Tensor, lengths: Tensor, y: Tensor,
                         alpha: float = 1.0) -> None:
        """Set the weights to multinomial naive Bayes' log P(n-gram | class) (Laplace
        smoothing ``alpha`` over the n-grams seen in ``x``), centred over the classes, and
        the bias to the centred log priors.

        Args:
            x, lengths: the training documents' token ids. y: their class codes (B,).
        """
        ids, mask = self.features(x, lengths)
        counts = torch.zeros_like(self.weight.weight)  # (rows, C)
        for c in range(counts.shape[1]):
            rows = ids[y == c][mask[y == c]]
            counts[:, c] = torch.bincount(rows, minlength=counts.shape[0]).float()
        # smoothed over the n-grams seen in training (scikit-learn's vocabulary), not
        # over every hash bucket; the others (and the unknown token) weigh nothing
        seen = (counts.sum(1, keepdim=True) > 0).float()  # (rows, 1)
        smoothed = (counts + alpha) * seen
        logp = torch.log(smoothed.clamp(min=1e-30) / smoothed.sum(0, keepdim=True))
        self.weight.weight.copy_((logp - logp.mean(1, keepdim=True)) * seen)
        prior = torch.bincount(y, minlength=counts.shape[1]).float().clamp(min=1)
        self.bias.copy_(torch.log(prior / prior.sum()) - torch.log(prior / prior.sum()).mean())

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        ids, mask = self.features(x, lengths)
        return self.weight(ids, per_sample_weights=mask.float()) + self.bias  # (B, C)


class WithNgramBag(nn.Module):
    """A text classifier network with an :class:`NgramBag` whose logits add to its own.

    Args:
        network: any module mapping (token ids (B, T), lengths) to logits (B, C).
        bag: the bag branch.

    Shape:
        x (B, T) long, lengths (B,) -> logits (B, C).
    """

    def __init__(self, network: nn.Module, bag: NgramBag) -> None:
        super().__init__()
        self.network, self.bag = network, bag

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        return self.network(x, lengths) + self.bag(x, lengths)


class LateNgramBag(WithNgramBag):
    """Late fusion: a text classifier network trained alone, beside a frozen
    :class:`NgramBag` whose logits are added with one weight fitted afterwards.

    The network and the bag are trained apart (the bag is naive Bayes and stays so);
    ``bag_weight`` w is then fitted on held-out data
    (:func:`lstmkit.tasks.classification.bag_fusion.fit_bag_weight`), so the output is
    ``network(x) + w * bag(x)``: a product of the two models' probabilities, the bag's
    raised to the power w (naive Bayes' log-odds are over-confident: w is usually well
    below 1).

    Args:
        network: any module mapping (token ids (B, T), lengths) to logits (B, C); a
            :class:`~lstmkit.tasks.classification.ensemble.MeanProbability` too.
        bag: the bag branch (its parameters are frozen here).

    Shape:
        x (B, T) long, lengths (B,) -> logits (B, C).

    Example:
        >>> net = LateNgramBag(nn.Identity(), NgramBag(5, 2))
        >>> float(net.bag_weight)
        1.0
    """

    def __init__(self, network: nn.Module, bag: NgramBag) -> None:
        super().__init__(network, bag)
        bag.requires_grad_(False)
        self.register_buffer("bag_weight", torch.ones(()))

    def late_parts(self) -> list[tuple[nn.Module, Tensor]]:
        """The late components and their weight buffers (here the bag alone)."""
        return [(self.bag, self.bag_weight)]

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        return self.network(x, lengths) + self.bag_weight * self.bag(x, lengths)

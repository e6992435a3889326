"""``CRF``: a batched, masked linear-chain conditional random field.

PyTorch has no CRF layer (pytorch/pytorch#2400) and its tutorial BiLSTM-CRF scores one
sentence at a time, so lstmkit writes its own: every operation here is vectorised over
the batch and loops over time only. A tag sequence ``y`` of a sequence with emission
scores ``e`` (B, T, K) scores

    s(y) = start[y_0] + e_0[y_0] + Σ_{t≥1} (trans[y_{t-1}, y_t] + e_t[y_t]) + end[y_{T-1}]

and ``p(y | e) = exp(s(y)) / Z`` with ``log Z`` computed by the forward algorithm. The
best sequence, and the k best ones, come from (k-best) Viterbi. Transitions a scheme
forbids (:mod:`lstmkit.models.crf_constraints`, e.g. ``O → I-X`` under BIO) score
``-inf`` when decoding, so no decoded sequence contains one; in the forward algorithm
they score :data:`IMPOSSIBLE` instead, whose ``exp`` is 0 in float32 and float64
alike but whose gradients stay finite (``-inf`` gives NaN gradients for states no legal
path reaches).

Padding: ``mask`` (B, T) is True on the valid steps of each sequence, a prefix of at
least one step; padded steps change nothing, so a batch gives what each sequence alone
gives. Tested against brute-force enumeration of all tag sequences in
``tests/models/test_crf.py``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .crf_constraints import Transitions

IMPOSSIBLE = -1e4
"""The score of a forbidden transition in the forward algorithm (``exp`` of it is 0)."""


class CRF(nn.Module):
    """A linear-chain CRF over ``num_tags`` tags, with optional forbidden transitions.

    Args:
        num_tags: K, the number of tags.
        constraints: the allowed start, transition and end tags
            (:func:`~lstmkit.models.crf_constraints.allowed_transitions`); None allows all.

    Attributes:
        transitions: (K, K) score of tag j following tag i.
        start_transitions, end_transitions: (K,) scores of the first and the last tag.

    Shape:
        emissions (B, T, K), tags (B, T) long, mask (B, T) bool; ``forward`` gives the
        negative log-likelihood of each sequence (B,).

    Example:
        >>> crf = CRF(3)
        >>> emissions = torch.randn(2, 4, 3)
        >>> mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]]).bool()
        >>> paths, scores = crf.decode(emissions, mask)
        >>> paths.shape, paths[1, 2:].tolist()
        (torch.Size([2, 4]), [-1, -1])
    """

    def __init__(self, num_tags: int, *, constraints: Transitions | None = None) -> None:
        super().__init__()
        if isinstance(num_tags, bool) or not isinstance(num_tags, int) or num_tags < 1:
            raise ValueError(f"CRF: expected num_tags ≥ 1, got {num_tags!r}")
        self.num_tags = num_tags
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags).uniform_(-0.1, 0.1))
        self.start_transitions = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))
        self.end_transitions = nn.Parameter(torch.empty(num_tags).uniform_(-0.1, 0.1))
        if constraints is None:
            everything = torch.ones(num_tags, dtype=torch.bool)
            constraints = Transitions(everything, torch.ones(num_tags, num_tags,
                                                             dtype=torch.bool), everything)
        if constraints.allowed.shape != (num_tags, num_tags):
            raise ValueError(f"CRF: expected constraints for {num_tags} tags, got "
                             f"{tuple(constraints.allowed.shape)}")
        self.register_buffer("start_allowed", constraints.start.clone(), persistent=False)
        self.register_buffer("allowed", constraints.allowed.clone(), persistent=False)
        self.register_buffer("end_allowed", constraints.end.clone(), persistent=False)

    def _scores(self, fill: float) -> tuple[Tensor, Tensor, Tensor]:
        """Start (K,), transition (K, K) and end (K,) scores, forbidden ones set to ``fill``."""
        return (self.start_transitions.masked_fill(~self.start_allowed, fill),
                self.transitions.masked_fill(~self.allowed, fill),
                self.end_transitions.masked_fill(~self.end_allowed, fill))

    def forward(self, emissions: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        """Negative log-likelihood ``log Z - s(tags)`` of each sequence, (B,)."""
        return self.log_partition(emissions, mask) - self.score(emissions, tags, mask)

    def score(self, emissions: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        """``s(tags)`` of each sequence, (B,); forbidden transitions score IMPOSSIBLE."""
        self._check(emissions, mask)
        start, trans, end = self._scores(IMPOSSIBLE)
        tags = tags.masked_fill(~mask, 0)  # padding: any valid index, weighted by 0 below
        weights = mask.to(emissions.dtype)
        emitted = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, T, K) -> (B, T)
        total = start[tags[:, 0]] + (emitted * weights).sum(1)
        total = total + (trans[tags[:, :-1], tags[:, 1:]] * weights[:, 1:]).sum(1)
        last = tags.gather(1, (mask.sum(1, keepdim=True) - 1)).squeeze(1)  # (B,)
        return total + end[last]

    def log_partition(self, emissions: Tensor, mask: Tensor) -> Tensor:
        """``log Z`` of each sequence by the forward algorithm, (B,)."""
        self._check(emissions, mask)
        start, trans, end = self._scores(IMPOSSIBLE)
        alpha = start + emissions[:, 0]  # (B, K)
        for t in range(1, emissions.shape[1]):
            # (B, K, 1) + (K, K) -> (B, K, K), summed over the previous tag -> (B, K)
            step = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t:t + 1], step, alpha)
        return torch.logsumexp(alpha + end, dim=1)

    def decode(self, emissions: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """The best tag sequence of each sequence (Viterbi) and its score.

        Returns:
            paths (B, T) long, -1 on padded steps; scores (B,).
        """
        paths, scores = self.top_k(emissions, mask, 1)
        return paths[:, 0], scores[:, 0]

    @torch.no_grad()
    def top_k(self, emissions: Tensor, mask: Tensor, k: int) -> tuple[Tensor, Tensor]:
        """The ``k`` best tag sequences of each sequence, best first (k-best Viterbi).

        A sequence with fewer than ``k`` legal tag sequences gets ``-inf`` scores for
        the missing ones (their paths are meaningless).

        Returns:
            paths (B, k, T) long, -1 on padded steps; scores (B, k).
        """
        self._check(emissions, mask)
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"CRF.top_k: expected k ≥ 1, got {k!r}")
        batch, steps, tags = emissions.shape
        start, trans, end = self._scores(float("-inf"))
        score = emissions.new_full((batch, tags, k), float("-inf"))  # (B, K, k)
        score[:, :, 0] = start + emissions[:, 0]
        keep = torch.arange(tags * k, device=emissions.device).view(1, tags, k)
        pointers = []
        for t in range(1, steps):
            # (B, K_prev, 1, k) + (K_prev, K, 1) -> (B, K, K_prev * k): every way into tag j
            cand = (score.unsqueeze(2) + trans.unsqueeze(2)).permute(0, 2, 1, 3)
            best, where = cand.reshape(batch, tags, tags * k).topk(k, dim=2)
            valid = mask[:, t].view(batch, 1, 1)
            score = torch.where(valid, best + emissions[:, t].unsqueeze(2), score)
            pointers.append(torch.where(valid, where, keep))
        final, cursor = (score + end.view(1, tags, 1)).reshape(batch, tags * k).topk(k, dim=1)
        paths = emissions.new_empty((batch, k, steps), dtype=torch.long)
        paths[:, :, -1] = cursor // k
        for t in range(steps - 1, 0, -1):
            cursor = pointers[t - 1].reshape(batch, tags * k).gather(1, cursor)
            paths[:, :, t - 1] = cursor // k
        return paths.masked_fill(~mask.unsqueeze(1), -1), final

    def _check(self, emissions: Tensor, mask: Tensor) -> None:
        if emissions.dim() != 3 or emissions.shape[2] != self.num_tags:
            raise ValueError(f"CRF: expected emissions of shape (B, T, {self.num_tags}), got "
                             f"{tuple(emissions.shape)}")
        if mask.shape != emissions.shape[:2] or mask.dtype != torch.bool:
            raise ValueError(f"CRF: expected a bool mask of shape {tuple(emissions.shape[:2])},"
                             f" got {mask.dtype} {tuple(mask.shape)}")
        if emissions.shape[1] == 0 or not bool(mask[:, 0].all()):
            raise ValueError("CRF: every sequence needs at least one step (mask[:, 0] must "
                             "be True)")

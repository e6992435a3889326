"""Masked pooling over time: one vector per sequence from a padded (B, T, F) output.

Shared by the sequence classifier and any task that summarises a variable-length
sequence (the padded steps past each sequence's length never count).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

PoolingName = Literal["last", "mean", "max", "attention"]
POOLINGS = ("last", "mean", "max", "attention")


def step_mask(lengths: Tensor, steps: int) -> Tensor:
    """``(B, T)`` booleans: True on the valid steps ``t < lengths[b]``.

    Example:
        >>> step_mask(torch.tensor([2, 3]), 3).int().tolist()
        [[1, 1, 0], [1, 1, 1]]
    """
    return torch.arange(steps, device=lengths.device)[None, :] < lengths[:, None]  # (B, T)


class MaskedPooling(nn.Module):
    """Pool a padded batch of step outputs over its valid steps.

    Modes:
        - ``last``: the output at step ``lengths - 1``; for a bidirectional encoder
          (``directions=2``) the forward half there and the backward half at step 0,
          i.e. each direction's final state.
        - ``mean`` / ``max``: over the valid steps.
        - ``attention``: a learned softmax weighting of the valid steps (Bahdanau-style
          additive scoring, ``score_t = v . tanh(W h_t)``).

    Args:
        mode: one of :data:`POOLINGS`.
        size: F, the features per step.
        directions: 2 when the second half of the features runs backwards in time.

    Shape:
        x (B, T, F), lengths (B,) -> (B, F).

    Example:
        >>> pool = MaskedPooling("mean", 2)
        >>> x = torch.tensor([[[1., 2.], [3., 4.], [99., 99.]]])
        >>> pool(x, torch.tensor([2])).tolist()
        [[2.0, 3.0]]
    """

    def __init__(self, mode: str, size: int, *, directions: int = 1) -> None:
        super().__init__()
        if mode not in POOLINGS:
            raise ValueError(f"MaskedPooling: expected mode in {', '.join(POOLINGS)}, "
                             f"got {mode!r}")
        self.mode, self.size, self.directions = mode, size, directions
        if mode == "attention":
            self.score = nn.Sequential(nn.Linear(size, size), nn.Tanh(),
                                       nn.Linear(size, 1, bias=False))

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        mask = step_mask(lengths, x.shape[1])  # (B, T)
        if self.mode == "last":
            return self._last(x, lengths)
        if self.mode == "mean":
            total = (x * mask[..., None]).sum(1)  # (B, T, F) -> (B, F)
            return total / lengths.clamp(min=1)[:, None].to(x.dtype)
        if self.mode == "max":
            return x.masked_fill(~mask[..., None], float("-inf")).amax(1)  # (B, T, F) -> (B, F)
        scores = self.score(x).squeeze(-1).masked_fill(~mask, float("-inf"))  # (B, T)
        weights = torch.softmax(scores, dim=1)
        return torch.einsum("bt,btf->bf", weights, x)  # (B, T, F) -> (B, F)

    def _last(self, x: Tensor, lengths: Tensor) -> Tensor:
        index = (lengths - 1).clamp(min=0).long()
        last = x[torch.arange(x.shape[0], device=x.device), index]  # (B, T, F) -> (B, F)
        if self.directions == 1:
            return last
        half = x.shape[2] // 2
        return torch.cat([last[:, :half], x[:, 0, half:]], dim=1)  # fwd end, bwd start

    def extra_repr(self) -> str:
        return f"{self.mode!r}, size={self.size}, directions={self.directions}"

"""Dynamic evaluation (Krause et al. 2018, "Dynamic Evaluation of Neural Sequence
Models"): score a text while adapting the model to it.

The text is read as one stream in segments. Each segment is first scored with the
current weights, then the weights take one gradient step on that segment's loss and
decay towards the trained weights:

.. math::
    \\theta \\leftarrow \\theta - \\eta \\nabla_\\theta L(s_i) + \\lambda (\\theta_0 - \\theta)

Every token is predicted before the model has trained on it, so the score is an honest
sequential prediction of the text (the setting of a text compressor, or of an
autocomplete that learns from what its user types). It pays most where a text differs
from the training data: the names and style of a play the model never saw cost many
bits on every line with fixed weights, and few after some lines of adaptation.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from ..layers.state import detach_state


def dynamic_evaluation(model: torch.nn.Module, ids: Tensor, *, lr: float = 0.3,
                       decay: float = 0.001, segment: int = 64, clip: float = 1.0,
                       on_segment: Callable[[int], None] | None = None) -> tuple[float, int]:
    """Total loss (nats) and token count of ``ids`` predicted with adaptation.

    ``model`` is left unchanged: a copy adapts. Dropout is off (eval mode).

    Args:
        model: a language model: ``model(tokens (1, T), state) -> (logits (1, T, V),
            state)``.
        ids: (N,) the token ids of the text, N >= 2.
        lr: step size ``eta`` of the SGD update on a segment's mean loss (0: no
            adaptation, the plain sequential score).
        decay: ``lambda``, the pull back towards the trained weights after each update.
        segment: tokens per segment (one update each).
        clip: the gradient norm is clipped to this before the update.
        on_segment: called with the number of tokens of each segment once it is scored
            (for a progress bar).

    Example:
        >>> from lstmkit.models.language_model import LanguageModel
        >>> lm = LanguageModel(5, embedding_size=4, hidden_size=8).eval()
        >>> ids = torch.tensor([1, 2, 3, 4] * 30)
        >>> static, n = dynamic_evaluation(lm, ids, lr=0.0)
        >>> adapted, _ = dynamic_evaluation(lm, ids, lr=0.5)
        >>> n, adapted < static
        (119, True)
    """
    if ids.dim() != 1 or ids.numel() < 2:
        raise ValueError(f"dynamic_evaluation: expected ids of shape (N,) with N >= 2, got "
                         f"{tuple(ids.shape)}")
    if lr < 0 or not 0 <= decay < 1 or segment < 1:
        raise ValueError(f"dynamic_evaluation: expected lr >= 0, 0 <= decay < 1 and "
                         f"segment >= 1, got {lr}, {decay}, {segment}")
    adapted = copy.deepcopy(model).eval()
    params = [p for p in adapted.parameters() if p.requires_grad]
    trained = [p.detach().clone() for p in params]
    total, state = 0.0, None
    for start in range(0, ids.numel() - 1, segment):
        end = min(start + segment, ids.numel() - 1)
        x, y = ids[start:end].unsqueeze(0), ids[start + 1:end + 1].unsqueeze(0)  # (1, T)
        with torch.set_grad_enabled(lr > 0):
            logits, state = adapted(x, state)
            loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        total += float(loss.detach()) * y.numel()
        state = detach_state(state)
        if lr > 0:
            _update(params, trained, loss, lr=lr, decay=decay, clip=clip)
        if on_segment is not None:
            on_segment(y.numel())
    return total, ids.numel() - 1


def _update(params: list[Tensor], trained: list[Tensor], loss: Tensor, *, lr: float,
            decay: float, clip: float) -> None:
    """One clipped SGD step on ``loss``, then the pull towards the trained weights."""
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, clip)
    with torch.no_grad():
        for p, p0 in zip(params, trained, strict=True):
            if p.grad is not None:
                p.sub_(p.grad, alpha=lr)
            p.add_(p0 - p, alpha=decay)
            p.grad = None

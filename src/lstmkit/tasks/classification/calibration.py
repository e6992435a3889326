"""Temperature scaling (Guo et al. 2017): one scalar T > 0 dividing the logits, fitted by
minimising the negative log-likelihood of the **validation** split (never the test set).

It changes the probabilities, not the predicted classes (argmax is unchanged). Written
here rather than taken from scikit-learn because ``CalibratedClassifierCV`` refits or
wraps the estimator; the network is fitted once and only its logits are rescaled.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def fit_temperature(logits: Tensor, targets: Tensor, *, steps: int = 100) -> float:
    """The temperature minimising the NLL of ``softmax(logits / T)`` on ``targets``.

    Args:
        logits: (N, C) validation logits.
        targets: (N,) class indices.
        steps: L-BFGS iterations over ``log T``.

    Returns:
        T, clipped to [0.05, 20]; 1.0 when there is nothing to fit on.

    Example:
        >>> logits = torch.tensor([[4.0, 0.0], [0.0, 4.0], [4.0, 0.0], [0.0, 4.0]])
        >>> fit_temperature(logits, torch.tensor([0, 1, 1, 0])) > 1  # over-confident
        True
    """
    if len(targets) == 0:
        return 1.0
    logits = logits.detach().double()
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), targets)
        loss.backward()
        return loss

    optimizer.step(closure)
    value = float(log_t.detach().exp())
    return min(max(value, 0.05), 20.0) if value == value else 1.0  # NaN -> 1

"""Recurrent state helpers: the ``(L*D, B, S)`` layout and truncated backpropagation."""

from __future__ import annotations

from torch import Tensor

StateLike = Tensor | tuple[Tensor, ...]


def detach_state(state: StateLike | None) -> StateLike | None:
    """Cut the graph behind a state for truncated backpropagation through time.

    Accepts what a layer returns (a tensor, or a tuple ``(h, c)``) or None.

    Example:
        >>> import torch, lstmkit
        >>> lstm = lstmkit.LSTM(4, 8)
        >>> _, state = lstm(torch.randn(5, 2, 4))
        >>> state = detach_state(state)
        >>> state[0].requires_grad
        False
    """
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    return tuple(s.detach() for s in state)

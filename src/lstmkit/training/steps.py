"""Step functions: what the :class:`~lstmkit.training.Trainer` calls on each batch.

A step function is ``step_fn(model, batch, state) -> (loss, state)``; ``state`` is the
recurrent state carried across batches under truncated BPTT, else None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import Tensor, nn

StepFn = Callable[[nn.Module, Any, Any], tuple[Tensor, Any]]


def supervised_step(criterion: Callable[[Tensor, Tensor], Tensor]) -> StepFn:
    """A ``step_fn`` for ``(inputs, targets)`` batches: ``criterion(model(inputs), targets)``.

    Example:
        >>> step_fn = supervised_step(torch.nn.functional.mse_loss)
    """

    def step(model: nn.Module, batch: tuple[Tensor, Tensor], state: Any) -> tuple[Tensor, Any]:
        inputs, targets = batch
        return criterion(model(inputs), targets), None

    return step

"""The contract every task estimator keeps, checked by ``tests/tasks/test_contract.py``
over every registered task: a task gives a tiny instance of itself for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ContractExample:
    """A tiny, fast instance of a task for the contract tests every task must pass.

    Attributes:
        estimator: an unfitted estimator with tiny settings.
        X, y: data ``fit(X, y)`` accepts.
        output: what a fitted estimator produces (predictions), compared after
            ``save``/``load`` and between two fits with the same seed.
    """

    estimator: Any
    X: Any
    y: Any = None
    output: Callable[[Any], Any] = lambda est: None

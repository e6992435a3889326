"""The long-memory demo: a plain RNN against an LSTM on the adding problem.

The vanishing-gradient story of the LSTM papers, shown in seconds on 2 cores:
the RNN stays at the "always predict the mean" baseline, the LSTM goes far below it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...data.synthetic import ADDING_MEAN_BASELINE_MSE, adding_problem
from ...models.last_step import LastStepRegressor


@dataclass(frozen=True)
class DemoResult:
    """One model's outcome on the adding problem."""

    model: str
    parameters: int
    test_mse: float
    seconds: float



def build_models(hidden_size: int = 32) -> dict[str, LastStepRegressor]:
    """The two contestants, same width: an Elman RNN and an LSTM (forget bias 1)."""
    return {"RNN (tanh)": LastStepRegressor(2, hidden_size, cell="rnn"),
            "LSTM": LastStepRegressor(2, hidden_size, cell="lstm", forget_bias=1.0)}


def train_on_adding(model: nn.Module, *, seq_len: int, steps: int, batch_size: int = 32,
                    lr: float = 1e-2, seed: int = 0,
                    on_step: Callable[[int], None] | None = None) -> None:
    """Adam on fresh adding-problem batches, gradient norm clipped at 1."""
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for step in range(steps):
        x, y = adding_problem(batch_size, seq_len, seed=seed * 1_000_003 + step)
        loss = F.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if on_step is not None:
            on_step(step)


@torch.no_grad()
def test_mse(model: nn.Module, x: Tensor, y: Tensor) -> float:
    """Mean squared error on a held-out set."""
    model.eval()
    return F.mse_loss(model(x), y).item()


def run_adding_demo(*, seq_len: int = 100, steps: int = 1500, hidden_size: int = 32,
                    seed: int = 0, on_step: Callable[[str, int], None] | None = None,
                    ) -> list[DemoResult]:
    """Train both models on the adding problem and score them on 1,000 test sequences.

    Returns one :class:`DemoResult` per model; compare ``test_mse`` with
    :data:`~lstmkit.data.synthetic.ADDING_MEAN_BASELINE_MSE` (1/6).
    """
    x_test, y_test = adding_problem(1000, seq_len, seed=10_000 + seed)
    results = []
    for name, model in build_models(hidden_size).items():
        start = time.perf_counter()
        train_on_adding(model, seq_len=seq_len, steps=steps, seed=seed,
                        on_step=(lambda s, n=name: on_step(n, s)) if on_step else None)
        results.append(DemoResult(name, sum(p.numel() for p in model.parameters()),
                                  test_mse(model, x_test, y_test),
                                  time.perf_counter() - start))
    return results


__all__ = ["ADDING_MEAN_BASELINE_MSE", "DemoResult", "build_models", "run_adding_demo"]

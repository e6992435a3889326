"""Fixtures shared by the classification tests."""

import numpy as np
import pytest


def _waves(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    ramp = np.linspace(-1, 1, 12)
    X = np.where(y[:, None] == 1, ramp, -ramp) + 0.3 * rng.normal(size=(n, 12))
    return X.astype(np.float32), np.where(y == 1, "up", "down")


@pytest.fixture
def waves():
    """``waves(n, seed)``: ``n`` SYNTHETIC noisy rising ("up") or falling ("down") ramps
    of 12 steps, alternating, and their labels."""
    return _waves

"""Fixtures shared by the anomaly tests."""

import pytest

from lstmkit.tasks.anomaly.datasets import synthetic_anomalies


@pytest.fixture(scope="module")
def frame():
    """Two SYNTHETIC labelled series of 700 steps, two channels (value and its square)."""
    data = synthetic_anomalies(2, 700, seed=2)
    data["square"] = data["value"] ** 2  # two channels
    return data

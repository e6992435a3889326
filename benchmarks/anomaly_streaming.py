"""Streaming speed of ``AnomalyDetector.update`` (issue 17: <= 1 ms per new point).

Fits the default detectors (window 64, hidden 32; 1 epoch: speed does not depend on
the weights) on a SYNTHETIC noisy sine, then feeds the next points one at a time, as a
sensor would, and prints the time per new point beside the batch scorer's time per
point measured in the same run (the reference), for both detectors.

Usage: python benchmarks/anomaly_streaming.py [--points 2000]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from lstmkit.tasks.anomaly import AnomalyDetector
from lstmkit.tasks.anomaly.datasets import synthetic_anomalies
from lstmkit.training import TrainConfig


def measure(detector: str, points: int) -> None:
    """Print the ms per point of one-point updates and of a batch run."""
    frame = synthetic_anomalies(1, 2000)[["value"]]
    model = AnomalyDetector(detector=detector, train_part=1000,
                            train=TrainConfig(epochs=1)).fit(frame)
    new = pd.DataFrame({"value": np.tile(frame["value"].to_numpy(), 2)[:points + 50]})
    arrivals = [new.iloc[i:i + 1] for i in range(len(new))]  # one-row frames
    for rows in arrivals[:50]:  # warm up (and prime the stream from the fit data)
        model.update(rows)
    start = time.perf_counter()
    for rows in arrivals[50:]:
        model.update(rows)
    stream = (time.perf_counter() - start) / points * 1e3
    whole = pd.concat([frame, new], ignore_index=True)
    start = time.perf_counter()
    model.predict(whole)
    batch = (time.perf_counter() - start) / len(whole) * 1e3
    verdict = "met" if stream <= 1.0 else "MISSED"
    print(f"{detector:15s} streaming {stream:.3f} ms per new point (batch: {batch:.4f} ms "
          f"per point, ratio {stream / batch:.0f}x) -> target <= 1 ms: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=2000)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    for detector in ("prediction", "reconstruction"):
        measure(detector, args.points)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

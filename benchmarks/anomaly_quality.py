"""Anomaly-detection quality and scoring speed of lstmkit's LSTM detectors (issue 17).

For every labelled series that installs offline (the bundled SYNTHETIC example, three
series; the UCR anomaly archive's series 135 read from aeon), fit each LSTM detector
with several seeds on the training part and score the test part once; print per series
VUS-PR, event F1 and PR-AUC (mean ± sd over seeds) beside the random detector (same
alarm budget) and the simple baselines (deterministic, one value), then the targets:

* the default detector's VUS-PR and event F1 above the random detector's and above the
  best baseline's on at least half of the series;
* scoring throughput >= 50,000 points/s per channel in batch (measured on a long
  synthetic series, prediction and reconstruction detectors).

Usage: python benchmarks/anomaly_quality.py [--seeds 3] [--epochs 40] [--speed-only]
"""

from __future__ import annotations

import argparse
import time
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

from lstmkit.tasks.anomaly import AnomalyDetector
from lstmkit.tasks.anomaly.datasets import synthetic_anomalies
from lstmkit.training import TrainConfig

DATASETS = ("synthetic-anomalies", "ucr-internal-bleeding16")
DETECTORS = ("prediction", "reconstruction")
BASELINES = ("diff_zscore", "seasonal_naive", "pca", "isolation_forest")
KEYS = ("vus_pr", "event_f1", "pr_auc")


def run(seeds: int, epochs: int) -> dict:
    """{(dataset, series): {detector: {key: [values over seeds]}}}."""
    table: dict = {}
    for dataset in DATASETS:
        for detector in DETECTORS:
            for seed in range(seeds):
                train = replace(AnomalyDetector.default_train_config(), epochs=epochs,
                                seed=seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    model = AnomalyDetector(detector=detector, train=train).fit(dataset)
                for series, rows in model.evaluate()["per_series"].items():
                    entry = table.setdefault((dataset, series), {})
                    for name, metrics in rows.items():
                        label = detector if name == "model" else name
                        if name != "model" and detector != DETECTORS[0]:
                            continue  # baselines and random: once per series
                        if name in BASELINES and seed > 0:
                            continue  # deterministic
                        slot = entry.setdefault(label, {k: [] for k in (*KEYS, "ucr_hit")})
                        for key in slot:
                            if metrics.get(key) is not None:
                                slot[key].append(metrics[key])
    return table


def fmt(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{np.mean(values):.3f}±{np.std(values, ddof=1):.3f}"


def report(table: dict) -> None:
    names = [*DETECTORS, "random", *BASELINES]
    print(f"{'series':34s} {'detector':16s} " + " ".join(f"{k:>13s}" for k in
                                                        (*KEYS, "ucr_hit")))
    wins = {k: 0 for k in ("vus_pr", "event_f1")}
    for (dataset, series), entry in table.items():
        for name in names:
            if name in entry:
                cells = " ".join(f"{fmt(entry[name][k]):>13s}" for k in (*KEYS, "ucr_hit"))
                print(f"{dataset + ':' + series:34s} {name:16s} {cells}")
        for key in wins:
            mine = np.mean(entry[DETECTORS[0]][key])
            others = [np.mean(entry[n][key]) for n in ("random", *BASELINES)]
            wins[key] += mine > max(others)
        print()
    n = len(table)
    for key, won in wins.items():
        verdict = "met" if won >= n / 2 else "MISSED"
        print(f"target: default detector's {key} above random and every baseline on >= half "
              f"of the series: {won}/{n} series -> {verdict}")


def throughput() -> None:
    frame = synthetic_anomalies(1, 2000)[["value"]]
    long = pd.DataFrame({"value": np.tile(frame["value"].to_numpy(), 50)})  # 100,000 rows
    for detector in DETECTORS:
        model = AnomalyDetector(detector=detector, train_part=1000,
                                train=TrainConfig(epochs=1)).fit(frame)
        model.score(long[:5000])  # warm up
        start = time.perf_counter()
        model.score(long)
        rate = len(long) / (time.perf_counter() - start)
        verdict = "met" if rate >= 50_000 else "MISSED"
        print(f"target: {detector} scoring >= 50,000 points/s per channel: "
              f"{rate:,.0f} points/s -> {verdict}")
    print("target: streaming <= 1 ms per new point: not measured (update() not built yet)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--speed-only", action="store_true", help="only the throughput")
    args = parser.parse_args()
    if not args.speed_only:
        report(run(args.seeds, args.epochs))
    throughput()


if __name__ == "__main__":
    main()

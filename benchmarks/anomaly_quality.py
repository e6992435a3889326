"""Anomaly-detection quality and scoring speed of lstmkit's LSTM detectors (issue 17).

For every labelled series that is bundled or installs offline (SYNTHETIC example, three
series; Suthaharan et al. 2010 single-hop sensor data, motes 1 and 4 hold events; the
MIT-BIH ECG excerpt; the UCR anomaly archive's series 135 from aeon; the Yahoo S5
excerpt when sktime is installed), fit each LSTM detector with several seeds on the
training part of each series and score its test part once; print per series VUS-PR,
event F1 and PR-AUC (mean ± sd over seeds) beside the random detector (same alarm
budget) and the simple baselines (deterministic, one value), then the targets:

* the default detector's VUS-PR and event F1 above the random detector's and above the
  best baseline's on at least half of the series;
* Suthaharan single-hop, the issue's protocol: the detector learns from motes 2 and 3
  (no event), then scores motes 1 and 4, whose first CALIBRATION readings (before
  the events) only set the scaling: event recall 1.0 with event precision >= 0.5;
* scoring throughput >= 50,000 points/s per channel in batch (a long synthetic series,
  the best of 3 runs).

Nothing here reads a test label before the end: the settings are the detector's
defaults. Usage:
python benchmarks/anomaly_quality.py [--seeds 3] [--epochs 40] [--speed-only] [--markdown]
    [--detectors prediction,reconstruction]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

from lstmkit.errors import DatasetError
from lstmkit.tasks.anomaly import AnomalyDetector
from lstmkit.tasks.anomaly.baselines import BASELINES as BASELINES_BY_NAME
from lstmkit.tasks.anomaly.datasets import synthetic_anomalies
from lstmkit.tasks.anomaly.settings import AnomalySettings
from lstmkit.training import TrainConfig

DATASETS = ("synthetic-anomalies", "suthaharan-single-hop", "mitbih-ecg",
            "ucr-internal-bleeding16", "yahoo-s5-excerpt")
DEFAULT = AnomalySettings().detector  # the default detector: the targets are its
DETECTORS = (DEFAULT, *(d for d in ("prediction", "reconstruction") if d != DEFAULT))
BASELINES = tuple(BASELINES_BY_NAME)
KEYS = ("vus_pr", "event_f1", "pr_auc")
CALIBRATION = 1000  # Suthaharan protocol: readings of motes 1 and 4 that set the scaling


def fit(detector: str, seed: int, epochs: int, data, **settings) -> AnomalyDetector:
    """The default detector of kind ``detector`` fitted on ``data`` with ``seed``."""
    train = replace(AnomalyDetector.default_train_config(), epochs=epochs, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return AnomalyDetector(detector=detector, train=train, **settings).fit(data)


def run(table: dict, seed: int, epochs: int, detectors: tuple[str, ...],
        datasets: tuple[str, ...] = DATASETS) -> None:
    """Add one seed's fits to ``table``: {(dataset, series): {detector: {key: [values
    over seeds]}}}."""
    for dataset in datasets:
        for detector in detectors:
            start = time.perf_counter()
            try:
                model = fit(detector, seed, epochs, dataset)
            except DatasetError as error:
                print(f"skipped {dataset}: {error}")
                continue
            add(table, dataset, detector, seed, model.evaluate()["per_series"])
            print(f"# {dataset} {detector} seed {seed}: "
                  f"{time.perf_counter() - start:.0f} s", flush=True)


def add(table: dict, dataset: str, detector: str, seed: int, per_series: dict) -> None:
    """Add one fit's per-series metrics (random and baselines: once)."""
    for series, rows in per_series.items():
        entry = table.setdefault((dataset, series), {})
        for name, metrics in rows.items():
            label = detector if name == "model" else name
            if name != "model" and (detector != DEFAULT or (name in BASELINES and seed)):
                continue  # random: every seed of the default detector; baselines: once
            slot = entry.setdefault(label, {k: [] for k in (*KEYS, "ucr_hit")})
            for key in slot:
                if metrics.get(key) is not None:
                    slot[key].append(metrics[key])


def fmt(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}"


def report(table: dict, markdown: bool, detectors: tuple[str, ...]) -> None:
    """The table (text or markdown) and the quality targets."""
    names = [*detectors, "random", *BASELINES]
    if markdown:
        print("| series | detector | VUS-PR | event F1 | PR-AUC | UCR hit |\n"
              "| --- | --- | --- | --- | --- | --- |")
    wins = {k: 0 for k in ("vus_pr", "event_f1")}
    for (dataset, series), entry in table.items():
        for name in [n for n in names if n in entry]:
            cells = [fmt(entry[name][k]) for k in (*KEYS, "ucr_hit")]
            if markdown:
                label = f"{dataset} {series}" if name == names[0] else ""
                print(f"| {label} | {name} | " + " | ".join(cells) + " |")
            else:
                print(f"{dataset + ':' + series:34s} {name:16s} "
                      + " ".join(f"{c:>15s}" for c in cells))
        for key in wins if DEFAULT in entry else ():  # only with the default
            mine = np.mean(entry[DEFAULT][key])
            wins[key] += mine > max(np.mean(entry[n][key]) for n in ("random", *BASELINES))
    n = len(table)
    for key, won in wins.items() if DEFAULT in detectors else ():
        verdict = "met" if won >= n / 2 else "MISSED"
        print(f"target: default detector's {key} above random and every baseline on >= half "
              f"of the series: {won}/{n} series -> {verdict}")


def suthaharan(rows: dict, seed: int, epochs: int, detectors: tuple[str, ...]) -> None:
    """The issue's protocol on the single-hop data: learn from motes 2 and 3, score 1, 4;
    adds one seed's (event recall, event precision, VUS-PR) to ``rows[detector]``."""
    frame = pd.read_csv(_bundled("suthaharan_single_hop.csv"))
    roles = {"id_col": "mote_id", "columns": ("humidity", "temperature"),
             "label_col": "label"}
    learn = frame[frame.mote_id.isin([2, 3])]
    score = frame[frame.mote_id.isin([1, 4])]
    for detector in detectors:
        model = fit(detector, seed, epochs, learn, train_part=10 ** 6, **roles)
        model.set_params(train_part=CALIBRATION)  # motes 1, 4: scaling from their start
        metrics = model.evaluate(score)["model"]
        rows.setdefault(detector, []).append(
            (metrics["event_recall"], metrics["event_precision"], metrics["vus_pr"]))


def suthaharan_report(rows: dict) -> None:
    """The Suthaharan target, mean over the seeds run."""
    for detector, values in rows.items():
        recall, precision, vus = np.mean(values, axis=0)
        verdict = "met" if recall == 1.0 and precision >= 0.5 else "MISSED"
        print(f"target: Suthaharan single-hop ({detector}, learn motes 2+3, score 1+4): "
              f"event recall {recall:.2f}, event precision {precision:.2f} (VUS-PR "
              f"{vus:.3f}; {len(values)} seeds) -> "
              f"{verdict if detector == DEFAULT else 'info'}")


def _bundled(name: str) -> str:
    import lstmkit

    return os.path.join(os.path.dirname(lstmkit.__file__), "data", "datasets", name)


def throughput() -> None:
    """Batch scoring speed of the default detectors (the best of 3 runs), and of the
    prediction detector without its state term (``scoring="error"``, what it costs)."""
    frame = synthetic_anomalies(1, 2000)[["value"]]
    long = pd.DataFrame({"value": np.tile(frame["value"].to_numpy(), 50)})  # 100,000 rows
    for detector, scoring in (("prediction", None), ("prediction", "error"),
                              ("reconstruction", None)):
        model = AnomalyDetector(detector=detector, train_part=1000, scoring=scoring,
                                train=TrainConfig(epochs=1)).fit(frame)
        model.score(long[:5000])  # warm up
        took = []
        for _ in range(3):  # the best of 3: the machine is shared, load only slows
            start = time.perf_counter()
            model.score(long)
            took.append(time.perf_counter() - start)
        rate = len(long) / min(took)
        verdict = "met" if rate >= 50_000 else "MISSED"
        print(f"target: {detector} ({model.settings.score_terms}) scoring >= 50,000 "
              f"points/s per channel: {rate:,.0f} points/s -> {verdict}")
    print("streaming (<= 1 ms per new point): python benchmarks/anomaly_streaming.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--speed-only", action="store_true", help="only the throughput")
    parser.add_argument("--markdown", action="store_true", help="the table as markdown")
    parser.add_argument("--detectors", default=",".join(DETECTORS),
                        help="comma-separated; the random detector and the baselines come "
                             f"with the default, {DEFAULT}")
    parser.add_argument("--datasets", default=",".join(DATASETS),
                        help="comma-separated subset (the Suthaharan protocol runs with "
                             "suthaharan-single-hop; the throughput only with all of them)")
    args = parser.parse_args()
    detectors, datasets = tuple(args.detectors.split(",")), tuple(args.datasets.split(","))
    unknown = set(datasets) - set(DATASETS)
    if unknown:
        parser.error(f"unknown datasets {sorted(unknown)}; choose from {', '.join(DATASETS)}")
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    if not args.speed_only:
        table: dict = {}
        motes: dict = {}
        for seed in range(args.seeds):  # a whole table after every seed
            run(table, seed, args.epochs, detectors, datasets)
            if "suthaharan-single-hop" in datasets:
                suthaharan(motes, seed, args.epochs, detectors)
            print(f"## after {seed + 1} seed(s), load average {os.getloadavg()[0]:.1f}")
            report(table, args.markdown, detectors)
            if motes:
                suthaharan_report(motes)
    if args.speed_only or datasets == DATASETS:
        throughput()
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

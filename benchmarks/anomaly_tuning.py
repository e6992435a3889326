"""Choose AnomalyDetector's defaults without reading a test label (issue 17).

Every bundled labelled series is cut to its own training part (what the benchmark's
detector may learn from); the first 60% of that becomes a pseudo training part, and
three anomalies are injected at random into the remaining 40% (a 3-step spike of 6
standard deviations, a 50-step level shift of 3, a 50-step noise burst of 2, on one
channel each; standard deviations of the pseudo training part). Each candidate setting
is fitted on the pseudo training parts and evaluated on the injected anomalies beside
the baselines; the candidates are ranked by the mean over series of VUS-PR + event F1.
The thresholds (dynamic; quantile at several contaminations), the event
post-processing (merge gap, minimum event length) and, for the prediction detector,
the scoring (error, state novelty, their max or mean: novelty.py) are evaluated on
the same fit, with the baselines thresholded and post-processed the same way.
The test parts, and their labels, are never read.

Usage: python benchmarks/anomaly_tuning.py [--seed 0] [--epochs 40] [--quick]
[--scorings] (--quick: only the default detector, window and smoothing; every
threshold and post-processing candidate; --scorings: only the default detector,
window, threshold and post-processing; every scoring at smoothing 16, 32 and 64)
"""

from __future__ import annotations

import argparse
import itertools
import os
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

from lstmkit.tasks.anomaly import AnomalyDetector
from lstmkit.tasks.anomaly.estimator import _cuts
from lstmkit.tasks.anomaly.evaluation import metrics_table, score_test_parts
from lstmkit.tasks.anomaly.novelty import SCORINGS
from lstmkit.tasks.anomaly.series import read_anomaly_data, train_rows
from lstmkit.tasks.anomaly.settings import AnomalySettings

DATASETS = ("synthetic-anomalies", "suthaharan-single-hop", "mitbih-ecg",
            "ucr-internal-bleeding16")
GRID = {"detector": ("prediction", "reconstruction"), "window": (32, 64),
        "smoothing": (4, 16)}
# (threshold, contamination), evaluated on the same fit
THRESHOLDS = (("dynamic", 0.01), ("quantile", 0.01), ("quantile", 0.005),
              ("quantile", 0.002), ("quantile", 0.001))
POST = {"merge_gap": (0, 10, 25, 50), "min_event_length": (1, 5, 10)}  # same fit too
PSEUDO_TRAIN = 0.6
SMOOTHINGS = (16, 32, 64)  # --scorings: spans evaluated on the same fit


def pseudo_frame(name: str, rng: np.random.Generator) -> pd.DataFrame:
    """The training parts of dataset ``name`` with anomalies injected after 60%."""
    data = read_anomaly_data(name, AnomalySettings())
    frames = []
    for series, values in zip(data.ids, data.values, strict=True):
        part = values[:train_rows(len(values), data.train_part)].copy()
        labels = np.zeros(len(part), dtype=np.int64)
        start = int(PSEUDO_TRAIN * len(part))
        std = np.maximum(part[:start].std(axis=0), 1e-9)
        slots = rng.choice(np.arange(start + 10, len(part) - 60, 60), 3, replace=False)
        for kind, at in zip(("spike", "shift", "noise"), np.sort(slots), strict=True):
            channel = int(rng.integers(part.shape[1]))
            end = at + (3 if kind == "spike" else 50)
            sign = rng.choice([-1.0, 1.0])
            if kind == "noise":
                part[at:end, channel] += 2 * std[channel] * rng.standard_normal(end - at)
            else:
                part[at:end, channel] += sign * (6 if kind == "spike" else 3) * std[channel]
            labels[at:end] = 1
        frame = pd.DataFrame(part, columns=data.channels)
        frames.append(frame.assign(series=f"{name}:{series}", label=labels))
    return pd.concat(frames, ignore_index=True)


def evaluate(frame: pd.DataFrame, setting: dict, seed: int, epochs: int,
             defaults_only: bool = False) -> dict:
    """{(smoothing, scoring, threshold, contamination, merge_gap, min_event_length): {series:
    {name: metrics}}} of one candidate setting on one pseudo frame (one fit; the
    statistics and the quantile threshold set from its validation scores as fit does).
    ``defaults_only``: only the default threshold and post-processing."""
    train = replace(AnomalyDetector.default_train_config(), epochs=epochs, seed=seed)
    channels = tuple(c for c in frame.columns if c not in ("series", "label"))
    base = AnomalySettings()
    thresholds = ((base.threshold, base.contamination),) if defaults_only else THRESHOLDS
    posts = ((base.merge_gap, base.min_event_length),) if defaults_only else tuple(
        itertools.product(*POST.values()))
    scorings = SCORINGS if setting["detector"] == "prediction" else ("error",)
    # smoothing changes no weight either: with --scorings, longer spans (the error
    # accumulated over a longer stretch) are candidates on the same fit
    smoothings = SMOOTHINGS if defaults_only else (setting["smoothing"],)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = AnomalyDetector(id_col="series", label_col="label", columns=channels,
                                train_part=PSEUDO_TRAIN, train=train, **setting).fit(frame)
        data = model.data_
        cuts = [_cuts(len(v), data.train_part, model.val_fraction) for v in data.values]
        scaled = [model.scaler_.transform(n, v) for n, v in zip(data.ids, data.values,
                                                                 strict=True)]
        out = {}
        for smoothing, scoring, (threshold, contamination) in itertools.product(
                smoothings, scorings, thresholds):
            model.set_params(scoring=scoring, threshold=threshold, smoothing=smoothing,
                             contamination=contamination)
            model._fit_statistics(data.ids, scaled, cuts)  # as fit does
            scored = score_test_parts(model, data)
            for post in posts:
                settings = replace(model.settings, **dict(zip(POST, post, strict=True)))
                out[(smoothing, scoring, threshold, contamination, *post)] = metrics_table(
                    scored, settings)["per_series"]
    return out


def summary(table: dict, setting: dict) -> tuple[float, int, int, dict]:
    """(mean VUS-PR + event F1, VUS-PR wins, event-F1 wins, setting), printed."""
    goal = np.mean([r["model"]["vus_pr"] + r["model"]["event_f1"] for r in table.values()])
    wins = [sum(r["model"][k] > max(m[k] for n, m in r.items() if n != "model")
                for r in table.values()) for k in ("vus_pr", "event_f1")]
    print(f"{goal:.3f}  wins VUS-PR {wins[0]}/{len(table)}, event F1 {wins[1]}/{len(table)}"
          f"  {setting}", flush=True)
    return goal, wins[0], wins[1], setting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--quick", action="store_true",
                        help="only the default detector, window and smoothing")
    parser.add_argument("--scorings", action="store_true",
                        help="only the default settings, every scoring")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    rng = np.random.default_rng(args.seed)
    frames = [pseudo_frame(name, rng) for name in DATASETS]
    quick = args.quick or args.scorings
    grid = {k: (getattr(AnomalySettings(), k),) if quick else v for k, v in GRID.items()}
    results = []
    for values in itertools.product(*grid.values()):
        setting = dict(zip(grid, values, strict=True))
        rows: dict = {}
        for frame in frames:
            for key, per_series in evaluate(frame, setting, args.seed, args.epochs,
                                            args.scorings).items():
                rows.setdefault(key, {}).update(per_series)
        for (smoothing, scoring, threshold, contamination, *post), table in rows.items():
            results.append(summary(table, {**setting, "smoothing": smoothing,
                                           "scoring": scoring,
                                           "threshold": threshold,
                                           "contamination": contamination,
                                           **dict(zip(POST, post, strict=True))}))
    goal, _, _, best = max(results, key=lambda r: r[0])
    print(f"best: {best} (mean VUS-PR + event F1 {goal:.3f})")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

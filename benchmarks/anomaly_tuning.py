"""Choose AnomalyDetector's defaults without reading a test label (issue 17).

Every bundled labelled series is cut to its own training part (what the benchmark's
detector may learn from); the first 60% of that becomes a pseudo training part, and
anomalies are injected at random into the remaining 40%, each on one channel, sized in
standard deviations of the pseudo training part. Each candidate setting is fitted on
the pseudo training parts and evaluated on the injected anomalies beside the
baselines; the candidates are ranked by the mean over series of VUS-PR + event F1.
Scoring, smoothing, thresholds and event post-processing change no weight, so they
are evaluated on the same fit, with the baselines thresholded and post-processed the
same way. The test parts, and their labels, are never read.

Protocol 2 (the default since session 10; docs/anomaly.md): five anomalies at random
non-overlapping places (injection.py: a 3-step spike of 6 sd, a 50-step level shift of
3 sd, a 50-step noise burst of 2 sd, a 100-step raised-cosine bump peaking at 5 sd, a
60-step flat-lined stretch that stays in range); the criterion is averaged over the
seeds (default 0 and 1, each its own injection draw and training seed); the candidates
are both detectors at windows 32 and 64, smoothing 4 and 16, the prediction detector's
scorings error and max, at the default threshold and post-processing. The best
replaces the current default only if it beats it by more than 0.01.

Protocol 1 (sessions 6-8): three anomalies (spike, shift, noise burst) in 60-step slots.

Usage: python benchmarks/anomaly_tuning.py [--protocol 2] [--seeds 0 1] [--epochs 40]
[--quick] [--scorings] (protocol 1 only: --quick: only the default detector, window and
smoothing; every threshold and post-processing candidate; --scorings: only the default
detector, window, threshold and post-processing; every scoring at smoothing 16, 32, 64)
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
from lstmkit.tasks.anomaly.detection import events_flags
from lstmkit.tasks.anomaly.evaluation import metrics_table, score_test_parts
from lstmkit.tasks.anomaly.injection import LENGTHS, inject
from lstmkit.tasks.anomaly.novelty import SCORINGS
from lstmkit.tasks.anomaly.series import fit_cuts, read_anomaly_data, train_rows
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
# protocol 2: every detector and window is a fit; smoothing and scoring on that fit
GRID2 = {"detector": ("prediction", "reconstruction"), "window": (32, 64)}
#: protocol 2, --relative (session 10): the chosen detector and window, read as they
#: are or relative to each window's first step
GRID2_RELATIVE = {"detector": ("prediction",), "window": (32,), "relative": (False, True)}
SMOOTHINGS2 = (4, 16)
SCORINGS2 = ("error", "max")
#: The current default (session 10 compared with the one of sessions 7-8: prediction,
#: window 64, smoothing 16, max); kept unless beaten by more than MARGIN.
CURRENT = {"detector": AnomalySettings().detector, "window": AnomalySettings().window,
           "smoothing": AnomalySettings().smoothing,
           "scoring": AnomalySettings().score_terms, "relative": AnomalySettings().relative}
MARGIN = 0.01


def pseudo_frame(name: str, rng: np.random.Generator, protocol: int = 2,
                 injected: dict | None = None) -> pd.DataFrame:
    """The training parts of dataset ``name`` with anomalies injected after 60%;
    ``injected`` (protocol 2) receives {series: [(kind, start, end) in the pseudo test
    part]}."""
    data = read_anomaly_data(name, AnomalySettings())
    frames = []
    for series, values in zip(data.ids, data.values, strict=True):
        part = values[:train_rows(len(values), data.train_part)].copy()
        start = int(PSEUDO_TRAIN * len(part))
        if protocol == 2:
            part, labels, injections = inject(part, start, rng)
            if injected is not None:
                injected[f"{name}:{series}"] = [(i.kind, i.start - start, i.end - start)
                                                for i in injections]
        else:
            labels = _inject_v1(part, start, rng)
        frame = pd.DataFrame(part, columns=data.channels)
        frames.append(frame.assign(series=f"{name}:{series}", label=labels))
    return pd.concat(frames, ignore_index=True)


def _inject_v1(part: np.ndarray, start: int, rng: np.random.Generator) -> np.ndarray:
    """Protocol 1 (sessions 6-8): a spike, a shift and a noise burst in 60-step slots,
    into ``part`` in place; the labels."""
    labels = np.zeros(len(part), dtype=np.int64)
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
    return labels


def candidates(setting: dict, args: argparse.Namespace) -> dict:
    """The candidates evaluated on one fit of ``setting``: smoothings, scorings,
    thresholds ((threshold, contamination)) and posts ((merge_gap, min_event_length))."""
    base = AnomalySettings()
    defaults = {"thresholds": ((base.threshold, base.contamination),),
                "posts": ((base.merge_gap, base.min_event_length),)}
    prediction = setting["detector"] == "prediction"
    if args.protocol == 2:
        return {"smoothings": SMOOTHINGS2,
                "scorings": SCORINGS2 if prediction else ("error",), **defaults}
    if args.scorings:
        return {"smoothings": SMOOTHINGS, "scorings": SCORINGS, **defaults}
    return {"smoothings": (setting["smoothing"],),
            "scorings": SCORINGS if prediction else ("error",),
            "thresholds": THRESHOLDS, "posts": tuple(itertools.product(*POST.values()))}


def evaluate(frame: pd.DataFrame, setting: dict, seed: int, epochs: int,
             grid: dict, injected: dict | None = None) -> dict:
    """{(smoothing, scoring, threshold, contamination, merge_gap, min_event_length): {series:
    {name: metrics}}} of one candidate setting on one pseudo frame (one fit; the
    statistics and the quantile threshold set from its validation scores as fit does),
    for every candidate of ``grid`` (:func:`candidates`); with ``injected`` (see
    :func:`pseudo_frame`), every detector's metrics also hold ``found_<kind>``."""
    train = replace(AnomalyDetector.default_train_config(), epochs=epochs, seed=seed)
    channels = tuple(c for c in frame.columns if c not in ("series", "label"))
    fit_setting = {k: v for k, v in setting.items() if k in AnomalySettings.__dataclass_fields__}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = AnomalyDetector(id_col="series", label_col="label", columns=channels,
                                train_part=PSEUDO_TRAIN, train=train,
                                **fit_setting).fit(frame)
        data = model.data_
        cuts = [fit_cuts(len(v), data.train_part, model.val_fraction) for v in data.values]
        scaled = [model.scaler_.transform(n, v) for n, v in zip(data.ids, data.values,
                                                                 strict=True)]
        out = {}
        for smoothing, scoring, (threshold, contamination) in itertools.product(
                grid["smoothings"], grid["scorings"], grid["thresholds"]):
            model.set_params(scoring=scoring, threshold=threshold, smoothing=smoothing,
                             contamination=contamination)
            model._fit_statistics(data.ids, scaled, cuts)  # as fit does
            scored = score_test_parts(model, data)
            for post in grid["posts"]:
                settings = replace(model.settings, **dict(zip(POST, post, strict=True)))
                per_series = metrics_table(scored, settings)["per_series"]
                if injected:
                    _found(scored, settings, injected, per_series)
                out[(smoothing, scoring, threshold, contamination, *post)] = per_series
    return out


def _found(scored: dict, settings, injected: dict, per_series: dict) -> None:
    """Add ``found_<kind>`` (1.0 when a flagged event, after post-processing, overlaps
    the injected anomaly of that kind, else 0.0) to every detector's metrics."""
    for series, entry in scored.items():
        for name, one in entry.items():
            flags = events_flags(settings, one.raw_flags)
            per_series[series][name].update(
                {f"found_{kind}": float(flags[start:end].any())
                 for kind, start, end in injected[series]})


def summary(table: dict, setting: dict, label: str = "") -> tuple:
    """(mean VUS-PR + event F1, VUS-PR wins, event-F1 wins, setting, {detector:
    {kind: [found 0/1 per injected anomaly]}}), the first four printed."""
    goal = np.mean([r["model"]["vus_pr"] + r["model"]["event_f1"] for r in table.values()])
    wins = [sum(r["model"][k] > max(m[k] for n, m in r.items() if n != "model")
                for r in table.values()) for k in ("vus_pr", "event_f1")]
    print(f"{label}{goal:.3f}  wins VUS-PR {wins[0]}/{len(table)}, event F1 "
          f"{wins[1]}/{len(table)}  {setting}", flush=True)
    found: dict = {}
    for rows in table.values():
        for name, metrics in rows.items():
            for key in (k for k in metrics if k.startswith("found_")):
                found.setdefault(name, {}).setdefault(key[6:], []).append(metrics[key])
    return goal, wins[0], wins[1], setting, found


def run_seed(seed: int, args: argparse.Namespace) -> list[tuple]:
    """Every candidate's summary on the pseudo frames of one seed (injection draw and
    training seed)."""
    rng = np.random.default_rng(seed)
    injected: dict = {}
    frames = [pseudo_frame(name, rng, args.protocol, injected) for name in DATASETS]
    if args.protocol == 2:
        grid = GRID2_RELATIVE if args.relative else GRID2
    else:
        quick = args.quick or args.scorings
        grid = {k: (getattr(AnomalySettings(), k),) if quick else v for k, v in GRID.items()}
    results = []
    for values in itertools.product(*grid.values()):
        setting = dict(zip(grid, values, strict=True))
        options = candidates({"smoothing": AnomalySettings().smoothing, **setting}, args)
        rows: dict = {}
        for frame in frames:
            for key, per_series in evaluate(frame, setting | {"smoothing": options[
                    "smoothings"][0]}, seed, args.epochs, options, injected).items():
                rows.setdefault(key, {}).update(per_series)
        for (smoothing, scoring, threshold, contamination, *post), table in rows.items():
            results.append(summary(table, {**setting, "smoothing": smoothing,
                                           "scoring": scoring,
                                           "threshold": threshold,
                                           "contamination": contamination,
                                           **dict(zip(POST, post, strict=True))},
                                   f"seed {seed}: "))
    return results


def choose(per_seed: list[list[tuple]]) -> None:
    """Print every candidate's criterion averaged over the seeds (a Markdown table),
    the best, and the choice (the current default unless beaten by more than MARGIN)."""
    print("\n| detector | window | smoothing | scoring | " + " | ".join(
        f"seed {k}" for k in range(len(per_seed))) + " | mean | wins VUS-PR / event F1 |")
    print("| --- " * (6 + len(per_seed)) + "|")
    means = []
    for rows in zip(*per_seed, strict=True):
        setting = rows[0][3]
        goal = float(np.mean([r[0] for r in rows]))
        wins = "; ".join(f"{r[1]} / {r[2]}" for r in rows)
        means.append((goal, setting))
        relative = " (relative)" if setting.get("relative") else ""
        print(f"| {setting['detector']}{relative} | {setting['window']} | "
              f"{setting['smoothing']} | {setting['scoring']} | "
              + " | ".join(f"{r[0]:.3f}" for r in rows)
              + f" | {goal:.3f} | {wins} |")
    found_by_kind(per_seed)
    goal, best = max(means, key=lambda r: r[0])
    current = [g for g, s in means
               if all(s.get(k, AnomalySettings().relative) == v for k, v in CURRENT.items())]
    print(f"best: {best} (mean VUS-PR + event F1 over the seeds {goal:.3f})")
    if current:
        keep = goal - current[0] <= MARGIN
        print(f"current default {CURRENT}: {current[0]:.3f}; "
              + ("keep it (the best is within 0.01)" if keep else "the best replaces it"))


def found_by_kind(per_seed: list[list[tuple]]) -> None:
    """Print, per candidate and for the baselines, how many injected anomalies of each
    kind a flagged event (after post-processing) overlaps, over the seeds and series
    (protocol 2; for information, not the criterion)."""
    if not per_seed[0][0][4]:
        return
    kinds = tuple(LENGTHS)
    print("\n| detector | window | smoothing | scoring | " + " | ".join(kinds) + " |")
    print("| --- " * (4 + len(kinds)) + "|")
    rows = []
    for candidate in zip(*per_seed, strict=True):
        setting = candidate[0][3]
        rows.append(([setting[k] for k in ("detector", "window", "smoothing", "scoring")],
                     [c[4]["model"] for c in candidate]))
    baselines = [n for n in per_seed[0][0][4] if n != "model"]
    rows += [([name, "-", "-", "-"], [seed[0][4][name] for seed in per_seed])
             for name in baselines]  # the baselines do not depend on the candidate
    for label, found in rows:
        cells = [f"{int(sum(sum(f[k]) for f in found))}/{sum(len(f[k]) for f in found)}"
                 for k in kinds]
        print("| " + " | ".join(map(str, label)) + " | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", type=int, choices=(1, 2), default=2)
    parser.add_argument("--seeds", "--seed", type=int, nargs="+", default=None,
                        help="seeds (injection draw and training seed); default: 0 1 "
                             "(protocol 2), 0 (protocol 1)")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--quick", action="store_true",
                        help="protocol 1: only the default detector, window and smoothing")
    parser.add_argument("--relative", action="store_true",
                        help="protocol 2: the prediction detector at window 32 read as is "
                             "and relative to each window's first step")
    parser.add_argument("--scorings", action="store_true",
                        help="protocol 1: only the default settings, every scoring")
    args = parser.parse_args()
    seeds = args.seeds or ([0, 1] if args.protocol == 2 else [0])
    print(f"load average at start: {os.getloadavg()[0]:.1f}; protocol {args.protocol}, "
          f"seeds {seeds}", flush=True)
    per_seed = [run_seed(seed, args) for seed in seeds]
    choose(per_seed)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

"""``AnomalyDetector.evaluate``: the detector, a random detector and the baselines,
scored on the test part under one protocol.

* Only the test part (after ``train_part``) of each series is scored; series whose test
  part holds no labelled anomaly are skipped, and each metric is the mean over the
  others (macro average).
* The random detector draws uniform scores and flags as many points per series as the
  detector did, at random (the same alarm budget), averaged over :data:`RANDOM_DRAWS`
  seeded draws; its threshold-free scores are those of random scores.
* Each baseline is thresholded the way the detector is (dynamic, quantile of its
  validation scores, or the fixed value), and its flags go through the same event
  post-processing (``merge_gap``, ``min_event_length``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import DatasetError
from .baselines import BASELINES, baseline_scores
from .detection import SeriesResult, detect, events_flags
from .metrics import PA_WARNING, all_metrics, mean_metrics
from .series import AnomalyData, train_rows, warn_beyond_training
from .thresholds import dynamic_flags

RANDOM_DRAWS = 5


@dataclass
class Scored:
    """One series' test part as scored by the detector or a baseline, before event
    post-processing: labels, scores, the threshold's flags (all (T_test,))."""

    labels: np.ndarray
    scores: np.ndarray
    raw_flags: np.ndarray


def evaluate_detector(model, data: AnomalyData) -> dict[str, Any]:
    """``{"model": {...}, "random": {...}, "<baseline>": {...}, "warning": PA_WARNING,
    "per_series": {id: {"model": {...}, ...}}}``; see the module docstring."""
    return metrics_table(score_test_parts(model, data), model.settings)


def score_test_parts(model, data: AnomalyData) -> dict[str, dict[str, Scored]]:
    """``{series: {"model": Scored, "<baseline>": Scored}}`` of every series with a
    labelled anomaly in its test part: the costly part of :func:`evaluate_detector`,
    which :func:`metrics_table` turns into metrics under any event post-processing."""
    if data.labels is None:
        raise DatasetError(f"evaluate needs labels: {data.where} has no label column; "
                           "name it with label_col= (--label-col)")
    results = detect(model, data, test_only=True)
    for i, r in enumerate(results):
        warn_beyond_training(data, i, r.scaled[r.start:])
    scored = [(i, r) for i, r in enumerate(results) if data.labels[i][r.start:].any()]
    if not scored:
        raise DatasetError(f"no labelled anomaly in the test part of {data.where} (after "
                           f"train_part={data.train_part:g}); nothing to evaluate")
    out = {}
    for i, r in scored:
        labels = data.labels[i][r.start:]
        raw = r.flags if r.raw_flags is None else r.raw_flags
        out[data.ids[i]] = {"model": Scored(labels, r.scores[r.start:], raw[r.start:]),
                            **{name: _baseline(model, name, r, labels, data.train_part)
                               for name in BASELINES}}
    return out


def metrics_table(scored: dict[str, dict[str, Scored]], settings) -> dict[str, Any]:
    """The metrics of :func:`evaluate_detector` from :func:`score_test_parts`, with the
    event post-processing of ``settings`` applied to every detector's flags."""
    table: dict[str, list[dict]] = {"model": [], "random": [], **{b: [] for b in BASELINES}}
    for k, entry in enumerate(scored.values()):
        for name, one in entry.items():
            flags = events_flags(settings, one.raw_flags)
            table[name].append(all_metrics(one.labels, one.scores, flags))
            if name == "model":
                table["random"].append(_random(one.labels, int(flags.sum()), k))
    out: dict[str, Any] = {name: mean_metrics(rows) for name, rows in table.items()}
    out["warning"] = PA_WARNING
    out["per_series"] = {series: {name: rows[k] for name, rows in table.items()}
                         for k, series in enumerate(scored)}
    return out


def _random(labels: np.ndarray, budget: int, series: int) -> dict:
    draws = []
    for draw in range(RANDOM_DRAWS):
        rng = np.random.default_rng([series, draw])
        scores = rng.random(len(labels))
        flags = np.zeros(len(labels), dtype=bool)
        flags[np.argsort(-scores)[:budget]] = True
        draws.append(all_metrics(labels, scores, flags))
    return mean_metrics(draws)


def _baseline(model, name: str, r: SeriesResult, labels: np.ndarray, train_part: float
              ) -> Scored:
    s = model.settings
    n_train = train_rows(len(r.scores), train_part)
    n_fit = n_train - int(n_train * s.val_fraction)
    scores = baseline_scores(name, r.scaled, n_fit, n_train, s.season)
    test = scores[r.start:]
    if s.threshold == "dynamic":
        flags = dynamic_flags(test, s.prune)
    elif s.threshold == "quantile":
        flags = test > np.quantile(scores[n_fit:n_train], 1 - s.contamination)
    else:
        flags = test > s.fixed_threshold
    return Scored(labels, test, flags)

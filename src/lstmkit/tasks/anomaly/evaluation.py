"""``AnomalyDetector.evaluate``: the detector, a random detector and the baselines,
scored on the test part under one protocol.

* Only the test part (after ``train_part``) of each series is scored; series whose test
  part holds no labelled anomaly are skipped, and each metric is the mean over the
  others (macro average).
* The random detector draws uniform scores and flags as many points per series as the
  detector did, at random (the same alarm budget), averaged over :data:`RANDOM_DRAWS`
  seeded draws; its threshold-free scores are those of random scores.
* Each baseline is thresholded the way the detector is (dynamic, quantile of its
  validation scores, or the fixed value).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...errors import DatasetError
from .baselines import BASELINES, baseline_scores
from .detection import SeriesResult, detect
from .metrics import PA_WARNING, all_metrics, mean_metrics
from .series import AnomalyData, train_rows
from .thresholds import dynamic_flags

RANDOM_DRAWS = 5


def evaluate_detector(model, data: AnomalyData) -> dict[str, Any]:
    """``{"model": {...}, "random": {...}, "<baseline>": {...}, "warning": PA_WARNING,
    "per_series": {id: {"model": {...}, ...}}}``; see the module docstring."""
    if data.labels is None:
        raise DatasetError(f"evaluate needs labels: {data.where} has no label column; "
                           "name it with label_col= (--label-col)")
    results = detect(model, data, test_only=True)
    scored = [(i, r) for i, r in enumerate(results) if data.labels[i][r.start:].any()]
    if not scored:
        raise DatasetError(f"no labelled anomaly in the test part of {data.where} (after "
                           f"train_part={data.train_part:g}); nothing to evaluate")
    table: dict[str, list[dict]] = {"model": [], "random": [], **{b: [] for b in BASELINES}}
    for i, r in scored:
        labels = data.labels[i][r.start:]
        table["model"].append(all_metrics(labels, r.scores[r.start:], r.flags[r.start:]))
        table["random"].append(_random(labels, int(r.flags.sum()), i))
        for name in BASELINES:
            table[name].append(_baseline(model, name, r, labels, data.train_part))
    out: dict[str, Any] = {name: mean_metrics(rows) for name, rows in table.items()}
    out["warning"] = PA_WARNING
    out["per_series"] = {data.ids[i]: {name: rows[k] for name, rows in table.items()}
                         for k, (i, _) in enumerate(scored)}
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
              ) -> dict:
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
    return all_metrics(labels, test, flags)

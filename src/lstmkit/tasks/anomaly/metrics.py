"""Metrics of anomaly scores and flags against 0/1 labels, all reported together.

* point-wise precision, recall, F1 of the flags;
* event-wise (range) precision, recall, F1: a labelled event is found when any of its
  points is flagged; a flagged event is right when it overlaps a labelled one (the
  overlap rule of Hundman et al. 2018 and of Orion's benchmark);
* threshold-free: PR-AUC (average precision of the scores, scikit-learn) and VUS-PR
  (:mod:`~lstmkit.tasks.anomaly.vus`);
* point-adjusted F1 (every point of a labelled event counts as found when one is) only
  beside PA%K (Kim et al., AAAI 2022: adjusted only when at least K% of the event's
  points are flagged), with :data:`PA_WARNING`;
* the UCR anomaly archive's protocol for one anomaly per series: the top-scoring step
  lies within ±100 steps of the labelled region (Wu & Keogh 2021).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score

from .thresholds import runs
from .vus import vus_pr

PA_K = 20
UCR_MARGIN = 100
PA_WARNING = ("point-adjusted F1 (pa_f1) credits a whole labelled event when one point "
              "of it is flagged: random scores reach high values with it (Kim et al., "
              "AAAI 2022); read pa20_f1 and the threshold-free scores instead")


def _prf(tp: float, n_pred: float, n_true: float) -> tuple[float, float, float]:
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def point_prf(labels: np.ndarray, flags: np.ndarray) -> tuple[float, float, float]:
    """Point-wise precision, recall and F1."""
    return _prf(float((labels & flags).sum()), float(flags.sum()), float(labels.sum()))


def event_prf(labels: np.ndarray, flags: np.ndarray) -> tuple[float, float, float]:
    """Event-wise precision (flagged events overlapping a labelled one), recall
    (labelled events with a flagged point) and their F1.

    Example:
        >>> labels = np.array([0, 1, 1, 0, 0, 0, 1, 0], dtype=bool)
        >>> flags = np.array([0, 0, 1, 0, 1, 0, 0, 0], dtype=bool)
        >>> event_prf(labels, flags)
        (0.5, 0.5, 0.5)
    """
    true, pred = runs(labels), runs(flags)
    found = sum(bool(flags[s:e].any()) for s, e in true)
    right = sum(bool(labels[s:e].any()) for s, e in pred)
    precision = right / len(pred) if pred else 0.0
    recall = found / len(true) if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def adjusted_flags(labels: np.ndarray, flags: np.ndarray, k: float) -> np.ndarray:
    """Point adjustment at K%: the whole labelled event is flagged when more than ``k``
    percent of its points are (k = 0: the classic point adjustment)."""
    adjusted = flags.copy()
    for s, e in runs(labels):
        share = 100 * flags[s:e].mean()
        if share > k or (k == 0 and flags[s:e].any()):
            adjusted[s:e] = True
    return adjusted


def ucr_hit(labels: np.ndarray, scores: np.ndarray, margin: int = UCR_MARGIN) -> float | None:
    """1.0 when the top-scoring step is within ``margin`` steps of the one labelled
    region, 0.0 when not; None unless there is exactly one labelled region."""
    regions = runs(labels)
    if len(regions) != 1:
        return None
    (start, end), top = regions[0], int(np.argmax(scores))
    return 1.0 if start - margin <= top < end + margin else 0.0


def all_metrics(labels: np.ndarray, scores: np.ndarray, flags: np.ndarray,
                *, max_buffer: int = 100) -> dict[str, float | None]:
    """Every metric of one series (labels with at least one anomaly)."""
    labels, flags = labels.astype(bool), flags.astype(bool)
    p, r, f1 = point_prf(labels, flags)
    ep, er, ef1 = event_prf(labels, flags)
    pa = point_prf(labels, adjusted_flags(labels, flags, 0))[2]
    pak = point_prf(labels, adjusted_flags(labels, flags, PA_K))[2]
    return {"precision": p, "recall": r, "f1": f1, "event_precision": ep,
            "event_recall": er, "event_f1": ef1,
            "pr_auc": float(average_precision_score(labels, scores)),
            "vus_pr": vus_pr(labels, scores, max_buffer), f"pa{PA_K}_f1": pak,
            "pa_f1": pa, "ucr_hit": ucr_hit(labels, scores),
            "flagged_share": float(flags.mean())}


def mean_metrics(per_series: list[dict[str, float | None]]) -> dict[str, float | None]:
    """The mean of each metric over series (None entries skipped)."""
    keys = per_series[0].keys() if per_series else []
    out: dict[str, float | None] = {}
    for key in keys:
        values = [m[key] for m in per_series if m[key] is not None]
        out[key] = float(np.mean(values)) if values else None
    return out

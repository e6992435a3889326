"""The scores of a fitted classifier on labelled data, and the class weights for
imbalance (scikit-learn's definitions, so they match its numbers)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
)
from sklearn.utils.class_weight import compute_class_weight


def classification_scores(y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray | None,
                          classes: np.ndarray) -> dict[str, Any]:
    """Accuracy, balanced accuracy, macro F1, log loss (if ``proba``), the confusion
    matrix (rows: true class, columns: predicted, in the order of ``classes``) and N."""
    scores: dict[str, Any] = {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", labels=classes,
                                   zero_division=0)),
    }
    if proba is not None:
        scores["log_loss"] = float(log_loss(y_true, proba, labels=classes))
    scores["confusion_matrix"] = confusion_matrix(y_true, y_pred, labels=classes).tolist()
    scores["n"] = len(y_true)
    return scores


def class_weights(codes: np.ndarray, n_classes: int, mode: str | None) -> np.ndarray | None:
    """Per-class loss weights: ``"balanced"`` is ``N / (C * count_c)`` (scikit-learn's
    ``compute_class_weight``); None gives None (every sequence counts the same)."""
    if mode is None:
        return None
    present = np.unique(codes)
    weights = np.ones(n_classes)
    weights[present] = compute_class_weight("balanced", classes=present, y=codes)
    return weights.astype(np.float32)

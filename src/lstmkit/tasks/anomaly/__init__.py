"""Anomaly detection in time series: :class:`AnomalyDetector` (LSTM prediction-error and
reconstruction-error detectors), thresholds, events, honest metrics and baselines; see
``docs/anomaly.md``."""

from .estimator import AnomalyDetector
from .settings import AnomalySettings

__all__ = ["AnomalyDetector", "AnomalySettings"]

"""Sequence classification: :class:`SequenceClassifier` (time series and text, LSTM or
LSTM-FCN), its baselines and the ``classify`` task."""

from .estimator import SequenceClassifier
from .inputs import ClassificationDataError
from .settings import ClassifierSettings

__all__ = ["ClassificationDataError", "ClassifierSettings", "SequenceClassifier"]

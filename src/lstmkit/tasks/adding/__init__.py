"""The adding problem: a :class:`SequenceRegressor` (sequences in, numbers out), the
``adding`` experiment task, and the RNN-against-LSTM long-memory demo."""

from .estimator import RegressorSettings, SequenceRegressor

__all__ = ["RegressorSettings", "SequenceRegressor"]

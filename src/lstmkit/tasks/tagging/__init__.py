"""Sequence labelling: :class:`SequenceTagger` (one label per step of token sentences or
multivariate series), its metrics and baseline, and the ``tag`` task."""

from .baselines import MostFrequentTag
from .estimator import SequenceTagger
from .settings import TaggerSettings

__all__ = ["MostFrequentTag", "SequenceTagger", "TaggerSettings"]

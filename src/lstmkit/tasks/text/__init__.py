"""The ``text`` task: :class:`TextModel`, a character- or word-level language model, its
:class:`TextSettings`, and the experiment task that trains it (``task.py``)."""

from .estimator import TextModel
from .settings import TextSettings

__all__ = ["TextModel", "TextSettings"]

"""The ``text`` task: :class:`TextModel`, a character- or word-level language model, and
the experiment task that trains it."""

from .estimator import TextModel

__all__ = ["TextModel"]

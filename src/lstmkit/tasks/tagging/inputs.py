"""What a tagger learns about its inputs in ``fit``: the word and character
vocabularies of sentences, or the feature count, means and scales of series; and how
it turns new inputs into :class:`~lstmkit.tasks.tagging.encoding.Encoded` items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ...errors import ConfigError, DatasetError
from .affixes import SHAPE_FEATURES, fit_suffixes, shapes, suffix_ids
from .encoding import Encoded, Vocabulary, as_series, encode_tokens


@dataclass
class InputSpec:
    """The fitted input side of a tagger.

    Attributes:
        kind: ``"tokens"`` or ``"series"``.
        words, chars: the vocabularies (tokens; None when the setting is 0).
        lowercase: words are looked up in lower case.
        mean, scale: per-feature standardisation (series).
        word_size, char_size, char_hidden_size: the embedding widths used.
        suffixes: the vocabularies of the suffixes of
            :data:`~lstmkit.tasks.tagging.affixes.SUFFIX_LENGTHS` (None: no affix features).
        affix_size: the width of each suffix embedding (0: no affix features).
    """

    kind: str
    words: Vocabulary | None = None
    chars: Vocabulary | None = None
    lowercase: bool = True
    mean: list[float] | None = None
    scale: list[float] | None = None
    word_size: int = 0
    char_size: int = 0
    char_hidden_size: int = 1
    suffixes: list[Vocabulary] | None = None
    affix_size: int = 0

    def network_sizes(self) -> dict[str, int]:
        """The input arguments of :class:`~lstmkit.models.tagger_net.TaggerNet`."""
        if self.kind == "series":
            return {"n_features": len(self.mean)}
        return {"vocab_size": len(self.words) if self.words else 0,
                "word_size": self.word_size if self.words else 0,
                "char_vocab_size": len(self.chars) if self.chars else 0,
                "char_size": self.char_size if self.chars else 0,
                "char_hidden_size": self.char_hidden_size,
                "suffix_vocab_sizes": [len(v) for v in self.suffixes or []],
                "affix_size": self.affix_size if self.suffixes else 0,
                "shape_size": SHAPE_FEATURES if self.suffixes else 0}


def fit_inputs(kind: str, X: list, settings: Any, who: str) -> InputSpec:
    """Learn the vocabularies (tokens) or the standardisation (series) from ``X``."""
    if kind == "series":
        arrays = [as_series(seq, i, None, who) for i, seq in enumerate(X)]
        width = {a.shape[1] for a in arrays}
        if len(width) > 1:
            raise DatasetError(f"{who}: every series needs the same number of features, "
                               f"got {', '.join(map(str, sorted(width)))}")
        stacked = np.concatenate(arrays)  # (sum T, F)
        scale = stacked.std(0)
        return InputSpec("series", mean=stacked.mean(0).tolist(),
                         scale=np.where(scale > 0, scale, 1.0).tolist())
    if not settings.word_size and not settings.char_size:
        raise ConfigError(f"{who}: word_size and char_size are both 0; the tagger would "
                          "read nothing of the words")
    tokens = [w for seq in X for w in seq]
    words = Vocabulary.fit([w.lower() if settings.lowercase else w for w in tokens],
                           settings.min_count) if settings.word_size else None
    chars = Vocabulary.fit([c for w in tokens for c in w]) if settings.char_size else None
    suffixes = fit_suffixes(tokens, settings.min_count) if settings.affix_size else None
    return InputSpec("tokens", words=words, chars=chars, lowercase=settings.lowercase,
                     word_size=settings.word_size, char_size=settings.char_size,
                     char_hidden_size=settings.char_hidden_size, suffixes=suffixes,
                     affix_size=settings.affix_size if suffixes else 0)


def encode_inputs(spec: InputSpec, X: list, settings: Any, who: str) -> list[Encoded]:
    """Each sequence of ``X`` as an :class:`Encoded` item (without tags)."""
    if spec.kind == "tokens":
        items = [encode_tokens(seq, spec.words, spec.chars, spec.lowercase) for seq in X]
        if spec.suffixes:
            for item, seq in zip(items, X, strict=True):
                item.suffixes, item.shapes = suffix_ids(seq, spec.suffixes), shapes(seq)
        return items
    mean, scale = np.asarray(spec.mean, np.float32), np.asarray(spec.scale, np.float32)
    return [Encoded(feats=torch.from_numpy((as_series(seq, i, len(mean), who) - mean) / scale))
            for i, seq in enumerate(X)]


def inputs_config(spec: InputSpec) -> dict[str, Any]:
    """The JSON part of ``spec`` (the vocabularies are saved as transforms)."""
    return {"lowercase": spec.lowercase, "mean": spec.mean, "scale": spec.scale,
            "word_size": spec.word_size, "char_size": spec.char_size,
            "char_hidden_size": spec.char_hidden_size, "affix_size": spec.affix_size}


def restore_inputs(kind: str, config: dict[str, Any], words: Vocabulary | None,
                   chars: Vocabulary | None,
                   suffixes: list[Vocabulary] | None = None) -> InputSpec:
    """The inverse of :func:`inputs_config` and the saved vocabularies."""
    affix_size = int(config.get("affix_size", 0))
    if bool(affix_size) != bool(suffixes):
        raise ValueError(f"affix_size {affix_size} needs the suffix vocabularies, and "
                         "they need affix_size > 0")
    spec = InputSpec(kind, words=words, chars=chars, lowercase=bool(config["lowercase"]),
                     mean=config["mean"], scale=config["scale"],
                     word_size=int(config["word_size"]), char_size=int(config["char_size"]),
                     char_hidden_size=int(config["char_hidden_size"]),
                     suffixes=suffixes, affix_size=affix_size)
    if kind == "series" and (not isinstance(spec.mean, list) or not spec.mean
                             or len(spec.mean) != len(spec.scale or [])):
        raise ValueError("series inputs need mean and scale lists of equal length")
    if kind == "tokens" and words is None and chars is None:
        raise ValueError("token inputs need a words or chars vocabulary")
    return spec

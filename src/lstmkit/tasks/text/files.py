"""What a saved :class:`~lstmkit.tasks.text.TextModel` adds to the model directory of
:class:`~lstmkit.tasks.base.Estimator` (see :meth:`~lstmkit.tasks.base.Estimator.load`,
which checks the settings against their caps and the weights on the meta device): the
fitted ``metrics`` and ``cache`` settings in config.json, and tokenizer.json. Each is
checked before it is used; a failure is one :class:`~lstmkit.errors.ModelFileError`
naming the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import AllowInfNan

from ...data.text import tokenizer_from_dict
from ...errors import ModelFileError
from ...limits import MAX_CACHE_SIZE, MAX_VOCAB_SIZE
from ...models.cache import NeuralCache
from ...training.config_schema import Schema, check_bounds, validate

Metric = Annotated[float, AllowInfNan()]  # a diverged run's metrics may be NaN
BOUNDS = {"cache.size": (1, MAX_CACHE_SIZE), "cache.warmup": (0, MAX_CACHE_SIZE)}


class TextFitted(Schema):
    """The ``fitted`` part of a text model's config.json."""

    metrics: dict[str, Metric]
    cache: NeuralCache | None


def read_fitted(content: Any, where: Path) -> TextFitted:
    """``content`` (config.json's ``config.fitted``), checked."""
    fitted = validate(TextFitted, content, where, prefix="config.fitted")
    check_bounds(fitted, BOUNDS, where, prefix="config.fitted")
    return fitted


def read_tokenizer(content: dict | None, where: Path):
    """The tokeniser tokenizer.json describes, of at most
    :data:`~lstmkit.limits.MAX_VOCAB_SIZE` tokens."""
    if content is None:
        raise ModelFileError(f"{where}: missing from the model directory (config.json "
                             "lists no 'tokenizer' transform)")
    vocab = content.get("vocab")
    if isinstance(vocab, list) and len(vocab) > MAX_VOCAB_SIZE:
        raise ModelFileError(f"{where}: {len(vocab)} tokens, more than the {MAX_VOCAB_SIZE} "
                             "a vocabulary may have")
    try:
        return tokenizer_from_dict(content)
    except ValueError as exc:
        raise ModelFileError(f"{where}: {exc}") from None

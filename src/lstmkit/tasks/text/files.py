"""What a saved :class:`~lstmkit.tasks.text.TextModel` adds to the model directory of
:class:`~lstmkit.tasks.base.Estimator` (see :meth:`~lstmkit.tasks.base.Estimator.load`,
which checks the settings, the fitted state and the weights): the fitted ``metrics`` and
``cache`` in config.json (:class:`TextFitted`), and tokenizer.json. Each is checked before
it is used; a failure is one :class:`~lstmkit.errors.ModelFileError` naming the file and
the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field

from ...data.text import tokenizer_from_dict
from ...errors import ModelFileError
from ...limits import MAX_VOCAB_SIZE
from ...models.cache import NeuralCache
from ...settings import Settings

Metric = Annotated[float, Field(allow_inf_nan=True)]  # a diverged run's metrics may be NaN


@dataclass(frozen=True)
class TextFitted(Settings):
    """What ``TextModel.fit`` learns besides the weights and the tokeniser.

    Attributes:
        metrics: the validation metrics of the fit.
        cache: the fitted continuous cache, or None.
    """

    metrics: dict[str, Metric]
    cache: NeuralCache | None


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

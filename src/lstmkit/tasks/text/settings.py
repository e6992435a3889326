"""``TextSettings``: the settings of a :class:`~lstmkit.tasks.text.TextModel`, one
definition for its constructor, the ``[task]`` table of the text task, the saved
config.json and the command-line options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ...limits import (
    MAX_BATCH,
    MAX_CACHE_SIZE,
    MAX_HIDDEN_SIZE,
    MAX_NUM_LAYERS,
    MAX_THREADS,
    MAX_VOCAB_SIZE,
)
from ...settings import (
    CellName,
    Count,
    DropProbability,
    Flag,
    Fraction,
    NonNegativeFloat,
    PositiveFloat,
    Settings,
    count,
)


@dataclass(frozen=True)
class TextSettings(Settings):
    """The settings of a :class:`TextModel`; None means "none" (omit the key in a file).

    Attributes:
        level: ``"char"`` (one token per character) or ``"word"`` (words and
            punctuation; see :class:`~lstmkit.data.text.WordTokenizer`).
        cell: the recurrent cell (any registered name).
        embedding_size: width of the token embeddings.
        hidden_size: width of each recurrent layer.
        num_layers: stacked recurrent layers.
        dropout: dropout between recurrent layers.
        embedding_dropout: probability of dropping a whole token's embedding.
        input_dropout: variational dropout of the embeddings.
        output_dropout: variational dropout of the last layer's outputs.
        weight_dropout: DropConnect on the recurrent weights.
        tie_weights: share the embedding matrix with the output layer.
        cache_size: past tokens in a continuous cache (Grave et al. 2017), 0 for none.
            Its settings are fitted on the validation text at the end of fit; evaluate
            and suggest then mix it in (generate only if asked), so the model copies
            names from the text it has just read. No validation text, or a cache that
            does not predict it better, and the model has none.
        ar: activation regularisation strength (AWD-LSTM uses 2).
        tar: temporal activation regularisation strength (AWD-LSTM uses 1).
        max_vocab: vocabulary size limit; None: none at char level, 20 000 at word level.
        min_count: keep tokens seen at least this many times.
        batch_size: parallel rows of the training stream.
        bptt: tokens per truncated-BPTT window.
        val_fraction: share of the end of the training text held out for validation
            (early stopping and the best epoch) when fit gets no val_text.
        minutes: train for this many minutes (the learning rate decays over the time,
            no early stopping) instead of a number of epochs; None: off.
        num_threads: torch threads while training and evaluating: a count, "auto" (the
            cores other processes leave idle when fit starts) or None (torch's setting).
            Two threads train about 1.8 times faster than one on an idle 2-core
            machine, but 6 to 200 times slower while other processes keep it busy.
    """

    level: Literal["char", "word"] = "char"
    cell: CellName = "lstm"
    embedding_size: count(MAX_HIDDEN_SIZE) = 64
    hidden_size: count(MAX_HIDDEN_SIZE) = 384
    num_layers: count(MAX_NUM_LAYERS) = 1
    dropout: DropProbability = 0.0
    embedding_dropout: DropProbability = 0.0
    input_dropout: DropProbability = 0.1
    output_dropout: DropProbability = 0.25
    weight_dropout: DropProbability = 0.0
    tie_weights: Flag = False
    cache_size: count(MAX_CACHE_SIZE, 0) = 4000
    ar: NonNegativeFloat = 0.0
    tar: NonNegativeFloat = 0.0
    max_vocab: count(MAX_VOCAB_SIZE) | None = None
    min_count: Count = 1
    batch_size: count(MAX_BATCH) = 32
    bptt: count(MAX_BATCH) = 64
    val_fraction: Fraction = 0.05
    minutes: PositiveFloat | None = None
    num_threads: count(MAX_THREADS) | Literal["auto"] | None = "auto"

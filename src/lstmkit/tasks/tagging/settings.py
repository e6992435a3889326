"""``TaggerSettings``: the settings of a :class:`~lstmkit.tasks.tagging.SequenceTagger`,
one definition for its constructor, the ``[task]`` table of the ``tag`` task, the saved
config.json and the options of ``lstmkit tag``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from ...limits import MAX_BATCH, MAX_HIDDEN_SIZE, MAX_MODELS, MAX_NUM_LAYERS, MAX_THREADS
from ...settings import CellName, DropProbability, Flag, Fraction, PositiveFloat, Settings, count


@dataclass(frozen=True)
class TaggerSettings(Settings):
    """The settings of a :class:`SequenceTagger`; None means "none".

    Attributes:
        cell: the recurrent cell of the encoders (any registered name).
        head: ``"crf"`` (a linear-chain CRF: the best tag sequence as a whole) or
            ``"softmax"`` (the best tag at each step on its own).
        scheme: the chunk-tag scheme whose illegal transitions the CRF never decodes
            (``O → I-X`` under BIO): ``"auto"`` (BIO or BIOES when every training tag
            fits one, and the training tags never break it; else none), ``"bio"``,
            ``"bioes"`` or ``"none"``.
        hidden_size: units of each direction of each recurrent layer.
        num_layers: stacked bidirectional recurrent layers (2: higher validation
            accuracy than 1 on both benchmark corpora, ``docs/tagging.md``; dropout
            between them).
        word_size: width of the word embeddings (token input; 0: no word embeddings).
        char_size: width of the character embeddings of the character-level encoder
            of words (token input; 0: no character encoder).
        char_hidden_size: units of each direction of the character encoder.
        affix_size: width of the embeddings of each token's last 2 and last 3 characters
            (lower-cased; suffixes seen fewer than ``min_count`` times in training share
            an unknown id), read beside four word-shape flags (capitalised, all
            capitals, digit, punctuation; :mod:`~lstmkit.tasks.tagging.affixes`); token
            input only; 0: none. 16: the default since session 10, adopted by a mean
            paired validation gain of +0.00003 over two seeds of both benchmark corpora
            (noise-sized; ``docs/tagging.md``).
        min_count: words seen fewer times in training (and in the unlabelled
            sentences of ``fit(..., unlabelled=)``) share the unknown word's embedding
            (the character encoder still reads them).
        lowercase: look words up in lower case (the character encoder sees the case).
        dropout: dropout on the embeddings and on the encoder's output.
        word_dropout: while training, the share of known words looked up as the unknown
            word (the character encoder still reads them), so that the tagger learns
            to tag unseen words; 0: none.
        average_epochs: average the weights of this many epochs with the best
            validation accuracy into the final network, kept only when it tags the
            validation part at least as well as the best epoch alone (costs no training
            or prediction time); 1: off (the best epoch alone).
        n_models: taggers trained one after the other with seeds ``train.seed + k``
            (each with its own early stopping and best epoch), whose emission and CRF
            scores are averaged before decoding (a seed ensemble,
            :mod:`~lstmkit.tasks.tagging.ensemble`); training and tagging take
            ``n_models`` times longer. 1: one tagger.
        batch_size: sentences per training step.
        val_fraction: share of the training sentences held out, evenly spread, for
            validation (early stopping and the best epoch) when fit gets no
            ``validation``; 0 for none.
        minutes: train for this many minutes (the learning rate decays over the time)
            instead of a number of epochs; None: off.
        num_threads: torch threads while training: a count, "auto" (the cores other
            processes leave idle) or None (torch's setting).
    """

    cell: CellName = "lstm"
    head: Literal["crf", "softmax"] = "crf"
    scheme: Literal["auto", "none", "bio", "bioes"] = "auto"
    hidden_size: count(MAX_HIDDEN_SIZE) = 128
    num_layers: count(MAX_NUM_LAYERS) = 2
    word_size: count(MAX_HIDDEN_SIZE, 0) = 64
    char_size: count(MAX_HIDDEN_SIZE, 0) = 32
    char_hidden_size: count(MAX_HIDDEN_SIZE) = 48
    affix_size: count(MAX_HIDDEN_SIZE, 0) = 16
    min_count: count(MAX_BATCH) = 2
    lowercase: Flag = True
    dropout: DropProbability = 0.3
    word_dropout: DropProbability = 0.0
    average_epochs: count(MAX_BATCH) = 1
    n_models: count(MAX_MODELS) = 1
    batch_size: count(MAX_BATCH) = 16
    val_fraction: Fraction = 0.1
    minutes: PositiveFloat | None = None
    num_threads: count(MAX_THREADS) | Literal["auto"] | None = "auto"


@dataclass(frozen=True)
class InputState(Settings):
    """The fitted input side of a tagger besides its vocabularies (see
    :class:`~lstmkit.tasks.tagging.inputs.InputSpec`)."""

    lowercase: Flag
    mean: tuple[float, ...] | None
    scale: tuple[float, ...] | None
    word_size: count(MAX_HIDDEN_SIZE, 0)
    char_size: count(MAX_HIDDEN_SIZE, 0)
    char_hidden_size: count(MAX_HIDDEN_SIZE)
    affix_size: count(MAX_HIDDEN_SIZE, 0) = 0


@dataclass(frozen=True)
class TaggerFitted(Settings):
    """What ``SequenceTagger.fit`` learns besides the weights and the vocabularies.

    Attributes:
        input_kind: ``tokens`` or ``series``.
        classes: the tags, in the order of the network's outputs.
        scheme: the chunk scheme the CRF enforces (``none``, ``bio``, ``bioes``).
        inputs: the input side (:class:`InputState`).
    """

    input_kind: Literal["tokens", "series"]
    classes: Annotated[tuple[str | int, ...], Field(min_length=2)]
    scheme: Literal["none", "bio", "bioes"]
    inputs: InputState

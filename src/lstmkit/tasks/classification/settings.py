"""``ClassifierSettings``: the constructor arguments of :class:`SequenceClassifier`, the
``[task]`` table of the ``classify`` task and the options of ``lstmkit classify``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from ...errors import ConfigError
from ...limits import MAX_FEATURES, MAX_LOOKBACK, MAX_THREADS
from ...settings import (
    CellName,
    Count,
    DropProbability,
    Flag,
    NonNegativeFloat,
    PositiveFloat,
    Settings,
    count,
)


@dataclass(frozen=True)
class ClassifierSettings(Settings):
    """The settings of a :class:`~lstmkit.tasks.classification.SequenceClassifier`.

    Attributes:
        model: ``lstm-fcn`` (a convolution branch with squeeze-excitation beside the
            recurrent one, Karim et al. 2017) or ``lstm`` (the recurrent encoder alone).
        cell: the recurrent cell (any registered name: lstm, peephole, multiplicative,
            layernorm, gru, rnn).
        hidden_size: units of each recurrent layer.
        num_layers: stacked recurrent layers.
        bidirectional: also read each sequence backwards.
        pooling: how the recurrent outputs become one vector, over the valid steps only:
            last, mean, max or attention.
        dropout: dropout on the pooled recurrent vector (and between stacked layers);
            the LSTM-FCN paper uses 0.8.
        filters: the LSTM-FCN convolution widths (kernels 8, 5, 3); the paper's are
            128, 256, 128 (4 times the compute of the default).
        dimension_shuffle: LSTM-FCN as published: the LSTM reads the transposed series
            (I steps of T features; for one variable, a single step). Off: the LSTM
            reads the time axis. Needs series of one fixed length.
        class_weight: ``balanced`` weighs each class's loss by N / (C * count), for
            imbalanced labels; unset: every sequence counts the same.
        calibrate: fit a temperature to the logits on the validation split, so that
            predicted probabilities are calibrated (the predicted classes do not change).
        predict_bf16: LSTM-FCN: run the convolution branch in bfloat16 when predicting
            (about 4 times faster convolutions on a CPU with AVX512-BF16; probabilities
            move by about 1e-2, training is unchanged). Off: float32 throughout.
        augment_crop: numeric series, training only: each view is a random window
            leaving out up to this share of the series' steps, stretched back to its
            length (window slicing); 0: off.
        augment_scale: numeric series, training only: the standard deviation of the log
            of a random factor multiplying each series (per feature); 0: off.
        augment_jitter: numeric series, training only: the standard deviation of noise
            added to every step, relative to the series' standard deviation; 0: off.
        differences: LSTM-FCN on numeric series: each series enters the network with
            its first difference as I more features (``[x, Δx]``, derivative DTW's
            idea; the padding stays zero); off: the series alone. Text and
            ``model="lstm"`` ignore it. On by default since session 11: 3 repeats of
            3-fold CV on the training parts of GunPoint, ItalyPowerDemand and ArrowHead
            gave 0.909 against 0.897 (``docs/classification-benchmarks.md``).
        standardize: LSTM-FCN on numeric series: each input feature (and its
            difference) is shifted and scaled to mean 0 and standard deviation 1 over
            the valid steps of the training series (the validation split excluded);
            the padding stays 0. Text and ``model="lstm"`` ignore it.
        average_epochs: the weights of the last this many epochs each network trained
            averaged into it, then its batch-norm statistics recomputed (stochastic
            weight averaging; costs no prediction time); 1: off (the best epoch alone).
        n_models: networks trained with seeds ``train.seed + k`` whose class
            probabilities are averaged (an ensemble; each one trains for the whole
            ``train.epochs``, or ``minutes``, so training and prediction take
            ``n_models`` times longer). 3 by default since session 12: 3 repeats of
            3-fold CV on the training parts of GunPoint, ItalyPowerDemand and ArrowHead
            gave 0.911 against one network's 0.909, BasicMotions 1.000 for both
            (``docs/classification-benchmarks.md``); 1: one network.
        refit: with a validation split: once it has chosen each network's epoch count,
            the late bag's weight and the temperature, train the networks again on every
            training sequence (the split included) for those epochs, keeping the weight
            and the temperature (:mod:`~lstmkit.tasks.classification.refit`); training
            takes about twice as long.
        cross_fit: with ``n_models`` >= 2: split the training sequences into
            ``n_models`` stratified folds; network k trains on the others and stops
            early on fold k, and the late bag's weight and the temperature are fitted on
            the out-of-fold predictions of every training sequence; the late bag is naive
            Bayes of all of them (:mod:`~lstmkit.tasks.classification.cross_fit`). Folds
            smaller than ``min_val_size``: a plain ensemble.
        bag_refit: with ``bag_fusion="late"``: once its weight and the temperature are
            fitted, the bag becomes naive Bayes of every training sequence (the
            validation split included) instead of the fit part's.
        vector_lr: text input, with a late bag: a third late component, a logistic
            regression (C = 10) on the mean of each text's fixed word vectors (PPMI-SVD
            of the training and unlabelled texts, of ``embedding_dim`` features), fitted
            on the rows the bag is fitted on (out of fold with ``cross_fit``), its
            weight fitted jointly with the bag's (:mod:`lstmkit.models.vector_lr`).
        batch_size: sequences per training step.
        val_fraction: share of the training sequences held out (stratified) to choose
            the best epoch, stop early and calibrate; 0 for none.
        min_val_size: the fewest sequences a validation split may hold; when
            ``val_fraction`` would give fewer, every training sequence fits, the
            schedule runs its course and the epoch with the lowest training loss is kept
            (LSTM-FCN's own rule), uncalibrated. A best epoch chosen on a handful of
            series is noise: on ArrowHead (36 training series), 3-fold cross-validation
            on the training part gave 0.47 with a 20 % validation split against 0.86
            without (``docs/classification-benchmarks.md``).
        text_level: text input: ``word`` or ``char`` tokens.
        max_vocab: text input: vocabulary size (the most frequent training tokens).
        max_tokens: text input: tokens kept from the start of each document.
        embedding_dim: text input: features of each token's embedding.
        min_count: text input: tokens seen fewer times in the training texts become the
            unknown token.
        bag_ngrams: text input: a bag-of-n-grams branch (1: words; 2: words and word
            bigrams) whose class scores add to the network's, initialised as multinomial
            naive Bayes on the training part; 0: none. It helps on short texts and few
            of them, and hurt on long e-mails (``docs/classification-benchmarks.md``).
        bag_fusion: with ``bag_ngrams``: ``joint`` trains the bag (from naive Bayes) and
            the network together, their logits summed; ``late`` keeps the bag as naive
            Bayes fitted on the fit part, trains the network (or ensemble) alone and
            adds the bag's logits with one weight fitted on the validation split (1
            without one).
        minutes: train for this many minutes of wall-clock time (the learning-rate
            schedule spans it) instead of a number of epochs; unset: off.
        num_threads: torch threads while training: a count, "auto" (the cores other
            processes leave idle: on a busy machine two threads wait on each other and
            a small model's step runs several times slower) or None (torch's setting).
        id_col: long-format DataFrame or file: the sequence id column.
        time_col: long-format DataFrame or file: the time (step order) column.
        label_col: DataFrame or file: the label column.
        text_col: DataFrame or file: the text column (one document per row).
    """

    model: Literal["lstm-fcn", "lstm"] = "lstm-fcn"
    cell: CellName = "lstm"
    hidden_size: Count = 64
    num_layers: Count = 1
    bidirectional: Flag = False
    pooling: Literal["last", "mean", "max", "attention"] = "last"
    dropout: DropProbability = 0.2
    filters: tuple[Count, Count, Count] = (64, 128, 64)
    dimension_shuffle: Flag = False
    class_weight: Literal["balanced"] | None = None
    calibrate: Flag = True
    predict_bf16: Flag = False
    augment_crop: DropProbability = 0.0
    augment_scale: NonNegativeFloat = 0.0
    augment_jitter: NonNegativeFloat = 0.0
    differences: Flag = True
    standardize: Flag = False
    average_epochs: count(1_000) = 1  # each kept epoch is a copy of the weights
    n_models: count(16) = 3
    refit: Flag = False
    cross_fit: Flag = False
    bag_refit: Flag = False
    vector_lr: Flag = False
    batch_size: Count = 16
    val_fraction: DropProbability = 0.2
    min_val_size: Count = 30
    text_level: Literal["char", "word"] = "word"  # the text task's order: typing caches Literal
    max_vocab: Count = 20000
    max_tokens: Count = 400
    embedding_dim: Count = 32
    min_count: Count = 1
    bag_ngrams: count(2, 0) = 0
    bag_fusion: Literal["joint", "late"] = "joint"
    minutes: PositiveFloat | None = None
    num_threads: count(MAX_THREADS) | Literal["auto"] | None = "auto"
    id_col: str = "id"
    time_col: str = "time"
    label_col: str = "label"
    text_col: str = "text"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.cross_fit and (self.n_models < 2 or self.refit or self.average_epochs > 1):
            raise ConfigError("cross_fit needs n_models >= 2 (one network per fold), "
                              f"refit=False and average_epochs=1, got n_models="
                              f"{self.n_models}, refit={self.refit}, average_epochs="
                              f"{self.average_epochs}")
        for name in ("bag_refit", "vector_lr"):
            if getattr(self, name) and not (self.bag_ngrams and self.bag_fusion == "late"):
                raise ConfigError(f"{name} needs a late bag (bag_ngrams 1 or 2, "
                                  f"bag_fusion='late'), got bag_ngrams={self.bag_ngrams}, "
                                  f"bag_fusion={self.bag_fusion!r}")


@dataclass(frozen=True)
class ClassifierFitted(Settings):
    """What ``SequenceClassifier.fit`` learns besides the weights and the tokeniser.

    Attributes:
        classes: the class labels, in the order of the network's outputs.
        kind: ``series`` or ``text``.
        n_channels: features per step (0 for text).
        seq_len: the longest training sequence, in steps.
        temperature: the calibration temperature fitted on the validation split.
    """

    classes: Annotated[tuple[str | int | float, ...], Field(min_length=2)]
    kind: Literal["series", "text"]
    n_channels: count(MAX_FEATURES, 0)
    seq_len: count(MAX_LOOKBACK)
    temperature: PositiveFloat

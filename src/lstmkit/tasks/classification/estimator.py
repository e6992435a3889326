"""``SequenceClassifier``: one class per sequence, for time series and text."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from torch import Tensor, nn

from ...data.text import tokenizer_from_dict
from ...models.lstm_fcn import LSTMFCN, start_standardization
from ...models.sequence_classifier import RecurrentClassifier
from ...threads import torch_threads
from ...training import TensorBatches, TrainConfig
from ...training.averaging import LastEpochs
from ..base import ContractExample, Estimator, FitContext
from .bag_fusion import add_bag, fuse_late_bag, refit_late_bag, start_bags
from .batchnorm import precise_batchnorm
from .calibration import fit_temperature
from .cross_fit import cross_fit
from .encoding import fit_tokenizer, to_tensors
from .ensemble import MeanProbability, members_of, train_members
from .inputs import (
    ClassificationDataError,
    check_fixed_length,
    check_known_labels,
    label_codes,
    read_sequences,
    sequence_labels,
)
from .metrics import class_weights, classification_scores
from .objective import PREDICT_BATCH, batch_logits, forward_batch, objective
from .refit import refit_on_all
from .settings import ClassifierFitted, ClassifierSettings
from .split import stratified_split
from .word_vectors import start_embeddings, unlabelled_texts


class SequenceClassifier(ClassifierMixin, Estimator):
    """Classify whole sequences: time series (univariate, multivariate, variable length)
    or text, with an LSTM encoder or LSTM-FCN.

    ``X`` is a 3-D array (N, T, I), a 2-D array (N, T) of univariate series, a list of
    variable-length arrays, a list of strings, or a DataFrame (long format: ``id_col``,
    ``time_col``, feature columns, ``label_col``; or one document per row in
    ``text_col``); see :mod:`lstmkit.tasks.classification.inputs`. ``y`` holds one label
    per sequence (None when a DataFrame carries ``label_col``).

    Model selection is honest by construction: the last ``val_fraction`` of the training
    sequences (a stratified split, fixed by ``train.seed``) chooses the best epoch, stops
    training early and fits the temperature of the probabilities; nothing else is read
    before :meth:`evaluate` or :meth:`score`. A split smaller than ``min_val_size`` is not
    carved: every training sequence fits and the lowest training loss picks the epoch.

    Args:
        model, cell, hidden_size, ...: see :class:`ClassifierSettings`.
        train: the training settings (default :meth:`default_train_config`); progress:
            show a progress bar while training.

    Attributes:
        classes_: the labels, sorted.
        kind_: ``"series"`` or ``"text"``. n_channels_: I (0 for text).
        seq_len_: the longest training sequence (the fixed T of ``dimension_shuffle``).
        temperature_: the calibration temperature (1.0 without ``calibrate``).
        tokenizer_: the tokeniser fitted on the training texts (None for series).
        history_: the trainer's per-epoch metrics (an ensemble's first member's).
        refit_epochs_: with ``refit``: the epochs each network trained on all sequences.
        network_: one network, or a :class:`~.ensemble.MeanProbability` of ``n_models``.

    Example:
        >>> X = np.r_[np.zeros((8, 5)), np.ones((8, 5))]
        >>> y = np.r_[np.zeros(8), np.ones(8)].astype(int)
        >>> model = SequenceClassifier(model="lstm", hidden_size=4, progress=False,
        ...                            train=TrainConfig(epochs=2))
        >>> model.fit(X, y).predict_proba(X).shape
        (16, 2)
    """

    task = "classify"
    settings_class = ClassifierSettings
    fitted_class = ClassifierFitted
    #: Settings added after classifiers were first saved, with the value that reproduces
    #: a classifier saved without them.
    added_settings: ClassVar[dict] = {
        "predict_bf16": False, "num_threads": "auto", "min_val_size": 1, "min_count": 1,
        "bag_ngrams": 0, "augment_crop": 0.0, "augment_scale": 0.0, "augment_jitter": 0.0,
        "n_models": 1, "refit": False, "bag_fusion": "joint", "cross_fit": False,
        "bag_refit": False, "differences": False, "standardize": False, "average_epochs": 1,
        "vector_lr": False}
    fit_params = ("unlabelled",)

    # -- fit ------------------------------------------------------------------------------
    def _fit(self, X: Any, y: Any, context: FitContext) -> None:
        s = context.settings
        data = self._read(X)
        self.classes_, codes = label_codes(sequence_labels(data, y, s.label_col))
        self.kind_ = data.kind
        unlabelled = unlabelled_texts(context.fit_params, data.kind)
        self.tokenizer_ = (fit_tokenizer(data.items + unlabelled, s.text_level, s.max_vocab,
                                         s.min_count) if data.kind == "text" else None)
        x, lengths = to_tensors(data, tokenizer=self.tokenizer_, max_tokens=s.max_tokens)
        self.n_channels_ = x.shape[2] if data.kind == "series" else 0
        self.seq_len_ = int(x.shape[1])
        if s.dimension_shuffle:
            check_fixed_length(lengths, self.seq_len_)
        target = torch.as_tensor(codes, dtype=torch.long)
        fit_rows, val_rows = stratified_split(codes, s.val_fraction, seed=context.train.seed,
                                              min_size=s.min_val_size)
        weights = class_weights(codes[fit_rows], len(self.classes_), s.class_weight)
        weights = None if weights is None else torch.from_numpy(weights)
        texts = data.items + unlabelled if data.kind == "text" else None
        start = partial(self._start, x, lengths, target, texts, bool(unlabelled))
        if s.cross_fit and (done := cross_fit(self, start, (x, lengths, target), codes,
                                              weights, context)):
            self.history_, self.temperature_ = done  # k folds, k networks
            return
        rows = torch.from_numpy(fit_rows)
        self.network_ = start(rows)
        batches = TensorBatches(x[rows], lengths[rows], target[rows], batch_size=s.batch_size)
        held = torch.from_numpy(val_rows)
        val = TensorBatches(x[held], lengths[held], target[held], batch_size=PREDICT_BATCH,
                            shuffle=False) if len(val_rows) else None
        self._averaging = LastEpochs(s.average_epochs)
        context = replace(context, callbacks=(*context.callbacks, self._averaging))
        trainers = train_members(self, objective(weights, batches), batches, val, context)
        self.history_ = trainers[0].history_
        self._finish(batches, x[held], lengths[held], target[held])
        if s.bag_refit:
            refit_late_bag(self.network_, x, lengths, target)
        if s.refit and val is not None:
            refit = refit_on_all(self, start, (x, lengths, target), weights, context, trainers)
            self.refit_epochs_ = [t.epoch for t in refit]
            self._finish(TensorBatches(x, lengths, target, batch_size=s.batch_size))

    def _start(self, x: Tensor, lengths: Tensor, target: Tensor, texts: list | None,
               unlabelled: bool, rows: Tensor) -> nn.Module:
        """A new network, started from what ``rows`` hold: word vectors of ``texts``
        (training and unlabelled; the embeddings only with unlabelled), a bag's naive Bayes."""
        network = self._build()
        if texts:
            start_embeddings(network, self.tokenizer_, texts, embeddings=unlabelled)
        start_bags(network, x[rows], lengths[rows], target[rows])
        start_standardization(network, x[rows], lengths[rows])
        return network

    def _finish(self, batches: TensorBatches, *held: Tensor) -> None:
        """The last epochs' mean weights (``average_epochs``), precise batch-norm
        statistics on ``batches``; with a validation split ``held = (x, lengths,
        target)``: the late bag's weight and the temperature."""
        for network in members_of(self.network_):
            self._averaging.average_into(network)
        with torch_threads(self.settings.num_threads):
            precise_batchnorm(self.network_, batches.epoch(0, seed=0), forward_batch)
        if not held:  # a refit keeps the first pass's bag weight and temperature
            return
        self.temperature_ = 1.0
        fuse_late_bag(self.network_, *held)
        if self.settings.calibrate and len(held[2]):
            self.temperature_ = fit_temperature(self._logits(*held[:2]), held[2])

    def _read(self, X: Any):
        s = self.settings
        return read_sequences(X, id_col=s.id_col, time_col=s.time_col, label_col=s.label_col,
                              text_col=s.text_col)

    def _build(self) -> nn.Module:
        """The network: one, or a :class:`~.ensemble.MeanProbability` of ``n_models``."""
        s, text = self.settings, self.kind_ == "text"
        network = (self._build_one() if s.n_models == 1 else
                   MeanProbability([self._build_one() for _ in range(s.n_models)]))
        return add_bag(network, s, self.tokenizer_.vocab_size if text else None,
                       len(self.classes_), outer=True)

    def _build_one(self) -> nn.Module:
        s, text = self.settings, self.kind_ == "text"
        common = {"hidden_size": s.hidden_size, "num_layers": s.num_layers, "cell": s.cell,
                  "bidirectional": s.bidirectional, "pooling": s.pooling,
                  "vocab_size": self.tokenizer_.vocab_size if text else None,
                  "embedding_dim": s.embedding_dim}
        if s.model == "lstm":
            network = RecurrentClassifier(max(self.n_channels_, 1), len(self.classes_),
                                          dropout=s.dropout, **common)
        else:
            network = self._build_fcn(common)
        return add_bag(network, s, common["vocab_size"], len(self.classes_), outer=False)

    def _build_fcn(self, common: dict) -> nn.Module:
        s, numeric = self.settings, common["vocab_size"] is None
        network = LSTMFCN(max(self.n_channels_, 1), len(self.classes_), filters=s.filters,
                          dropout=s.dropout, dimension_shuffle=s.dimension_shuffle,
                          seq_len=self.seq_len_, **common, differences=s.differences and
                          numeric, standardize=s.standardize and numeric)
        network.bf16_inference = s.predict_bf16
        return network

    # -- predict --------------------------------------------------------------------------
    def _logits(self, x: Tensor, lengths: Tensor) -> Tensor:
        """Network logits (N, C) (:func:`.objective.batch_logits`), on ``num_threads``
        torch threads (as training)."""
        with torch_threads(self.settings.num_threads):
            return batch_logits(self.network_, x, lengths)

    def _tensors(self, X: Any) -> tuple[Tensor, Tensor]:
        self._check_fitted()
        data = self._read(X)
        if data.kind != self.kind_:
            raise ClassificationDataError(f"SequenceClassifier: fitted on {self.kind_}, got "
                                          f"{data.kind}")
        x, lengths = to_tensors(data, tokenizer=self.tokenizer_,
                                max_tokens=self.settings.max_tokens)
        if self.kind_ == "series" and x.shape[2] != self.n_channels_:
            raise ClassificationDataError(
                f"SequenceClassifier: expected {self.n_channels_} features per step, got "
                f"{x.shape[2]}")
        if self.settings.dimension_shuffle:
            check_fixed_length(lengths, self.seq_len_)
        return x, lengths

    def decision_function(self, X: Any) -> np.ndarray:
        """Calibrated logits (N, C) (``logits / temperature_``)."""
        x, lengths = self._tensors(X)
        return (self._logits(x, lengths) / self.temperature_).numpy()

    def predict_proba(self, X: Any) -> np.ndarray:
        """Calibrated class probabilities (N, C), columns in the order of ``classes_``."""
        logits = self.decision_function(X)
        # numpy's softmax: torch's, outside the torch_threads block of _logits, ran on
        # torch's global thread count and took ~10 % of a GunPoint prediction under load
        z = np.exp(logits - logits.max(axis=1, keepdims=True))
        return z / z.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable label of each sequence (N,)."""
        return self.classes_[self.decision_function(X).argmax(1)]

    def evaluate(self, X: Any, y: Any = None) -> dict[str, Any]:
        """Accuracy, balanced accuracy, macro F1, log loss, confusion matrix on labelled
        data (read once: this is the test set's one use).

        Raises:
            ClassificationDataError: a label that ``fit`` never saw.
        """
        self._check_fitted()
        data = self._read(X)
        labels = sequence_labels(data, y, self.settings.label_col)
        check_known_labels(labels, self.classes_)
        proba = self.predict_proba(X)
        return classification_scores(labels, self.classes_[proba.argmax(1)], proba,
                                     self.classes_)

    # -- persistence ----------------------------------------------------------------------
    def _fitted_config(self) -> ClassifierFitted:
        return ClassifierFitted(tuple(c.item() if hasattr(c, "item") else c
                                      for c in self.classes_), self.kind_, self.n_channels_,
                                self.seq_len_, self.temperature_)

    def _transforms(self) -> dict[str, dict[str, Any]]:
        return {"tokenizer": self.tokenizer_.to_dict()} if self.tokenizer_ is not None else {}

    def _restore(self, fitted: ClassifierFitted, transforms: dict[str, dict[str, Any]],
                 where: Path) -> None:
        self.classes_, self.kind_ = np.asarray(fitted.classes), fitted.kind
        self.n_channels_, self.seq_len_ = fitted.n_channels, fitted.seq_len
        self.temperature_ = fitted.temperature
        self.tokenizer_ = (tokenizer_from_dict(transforms["tokenizer"])
                           if self.kind_ == "text" else None)
        self.network_ = self._build()

    # -- defaults and contract ------------------------------------------------------------
    @classmethod
    def default_train_config(cls) -> TrainConfig:
        """AdamW at 1e-2, up to 400 epochs with a cosine schedule; the best epoch on the
        validation loss is kept (on the training loss when the training set is too small
        for a validation split, see ``min_val_size``), training stops after 100 epochs
        without improvement.

        Chosen on the training parts of GunPoint, ItalyPowerDemand, ArrowHead and
        BasicMotions only (``docs/classification-benchmarks.md``): 400 epochs against 150 lowered
        the best validation loss on all four; on ArrowHead, 3-fold cross-validation on
        the training part gave the same accuracy (0.86) at 1e-2 and 3e-3."""
        return TrainConfig(epochs=400, lr=1e-2, schedule="cosine", early_stopping=100)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags

    @classmethod
    def contract_example(cls) -> ContractExample:
        rng = np.random.default_rng(0)
        X = rng.normal(size=(24, 12, 2)).astype(np.float32)
        y = np.where(X[:, :, 0].mean(1) > 0, "up", "down")
        model = cls(model="lstm-fcn", hidden_size=4, filters=(4, 4, 4), batch_size=8,
                    progress=False, train=TrainConfig(epochs=2))
        return ContractExample(model, X, y, output=lambda est: est.predict_proba(X))

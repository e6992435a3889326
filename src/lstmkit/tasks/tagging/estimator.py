"""``SequenceTagger``: one label per step of token sentences or multivariate series."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from ...errors import DatasetError
from ...models.crf_constraints import allowed_transitions, detect_scheme
from ...models.tagger_net import TaggerNet
from ...settings import to_dict
from ...training import TrainConfig
from ...training.averaging import BestEpochs
from ..base import Estimator, FitContext
from ..contract import ContractExample
from .affixes import SUFFIX_LENGTHS
from .batching import SentenceBatches
from .encoding import UNK, Encoded, Vocabulary, check_tags, input_kind
from .ensemble import TaggerEnsemble, members_of
from .inputs import encode_inputs, fit_inputs, inputs_config, restore_inputs
from .metrics import scheme_violation, tagging_scores
from .settings import TaggerFitted, TaggerSettings
from .unlabelled import extend_vocabulary, start_word_embeddings, unlabelled_sentences


class SequenceTagger(Estimator):
    """A BiLSTM(-CRF) tagger: one label per step, for sentences or multivariate series.

    ``fit(X, y)`` takes ``X`` as a list of sentences (each a list of token strings) or
    as series (a 3-D array (N, T, F) or a list of (T_i, F) arrays), and ``y`` as one list
    of labels per sequence, as long as it (strings or integers). Sentences are read by
    word embeddings and a character-level encoder of each word; series by their
    standardised features. A stacked bidirectional encoder of any cell gives each step's
    tag scores, decoded by a linear-chain CRF (``head="crf"``, with the transitions of a
    BIO or BIOES scheme enforced) or step by step (``head="softmax"``).

    Validation (early stopping, the best epoch) comes from the training data:
    ``fit(X, y, validation=(X_val, y_val))``, or else an evenly spread ``val_fraction``
    of the training sequences. ``fit(X, y, unlabelled=sentences)`` (token lists without
    tags) adds the words seen ``min_count`` times in them to the vocabulary and starts
    the word embedding from word vectors learned from them and the training sentences
    (:mod:`~lstmkit.tasks.tagging.unlabelled`). Nothing else is read by ``fit``.

    Example:
        >>> X = [["the", "cat"], ["a", "dog", "runs"]] * 8
        >>> y = [["DT", "NN"], ["DT", "NN", "VB"]] * 8
        >>> tagger = SequenceTagger(hidden_size=8, train=TrainConfig(epochs=2)).fit(X, y)
        >>> len(tagger.predict([["the", "dog"]])[0])
        2
    """

    task: ClassVar[str] = "tag"
    #: Settings added after taggers were first saved, with the value that reproduces a
    #: tagger saved without them.
    added_settings: ClassVar[dict] = {"word_dropout": 0.0, "average_epochs": 1,
                                      "n_models": 1, "affix_size": 0}
    settings_class = TaggerSettings
    fitted_class = TaggerFitted
    fit_params = ("validation", "unlabelled")

    @classmethod
    def default_train_config(cls) -> TrainConfig:
        """AdamW at 3e-3 with a cosine schedule over up to 40 epochs, stopping after 10
        without a better validation token accuracy, and keeping the best epoch.

        Chosen on the Turkish Web Treebank's validation part (seed 0): 0.9279, against
        0.9261 for the former constant 2e-3 over 30 epochs with patience 4
        (``docs/tagging.md``)."""
        return TrainConfig(epochs=40, lr=3e-3, schedule="cosine", early_stopping=10,
                           monitor="val_accuracy", monitor_mode="max", grad_clip=5.0)

    def _fit(self, X: Any, y: Any, context: FitContext) -> None:
        s, who = context.settings, type(self).__name__
        self.input_kind_ = input_kind(X, who)
        tags = check_tags(X, y, who)
        X_train, tags_train, val = self._validation(X, tags, context)
        self.classes_ = sorted(set().union(*map(set, tags_train)), key=_label_key)
        if len(self.classes_) < 2:
            raise DatasetError(f"{who}: the training data holds a single tag "
                               f"({self.classes_[0]!r}); a tagger needs at least two")
        self.scheme_ = self._scheme(tags_train)
        self.inputs_ = fit_inputs(self.input_kind_, X_train, s, who)
        unlabelled = unlabelled_sentences(context.fit_params, self.input_kind_, s, who)
        if unlabelled:
            self.inputs_.words = extend_vocabulary(self.inputs_.words, unlabelled,
                                                   s.lowercase, s.min_count)
        self.network_ = self._build()
        if unlabelled:
            start_word_embeddings(self.network_, self.inputs_.words, X_train + unlabelled,
                                  s.lowercase, context.train.seed)
        train = SentenceBatches(self._encode(X_train, tags_train), batch_size=s.batch_size)
        val_batches = None
        config = context.train
        if val is not None:
            val_batches = SentenceBatches(self._encode(*val), batch_size=256, shuffle=False)
        elif config.monitor in ("val_accuracy", "val_loss"):
            config = dataclasses.replace(config, monitor="val_loss", monitor_mode="min")
        histories, averaging = [], []
        for k, member in enumerate(members_of(self.network_)):
            history, averaged = self._train_member(member, k, train, val_batches, context,
                                                   config)
            histories.append(history)
            averaging.append(averaged)
        self.history_ = histories[0]
        self.averaging_ = averaging[0] if len(averaging) == 1 else averaging
        self.network_.eval()
        self.ensemble_ = None
        if isinstance(self.network_, TaggerEnsemble) and val_batches is not None:
            self.ensemble_ = {
                "member_val_accuracy": [_evaluate(m, val_batches)["val_accuracy"]
                                        for m in self.network_.members],
                "val_accuracy": _evaluate(self.network_, val_batches)["val_accuracy"]}
            self.network_.eval()

    def _train_member(self, network: TaggerNet, k: int, train: SentenceBatches,
                      val: SentenceBatches | None, context: FitContext,
                      config: TrainConfig) -> tuple[list[dict], dict[str, Any] | None]:
        """Train the k-th network (seed ``train.seed + k``, see ``Estimator._train``);
        returns its history and what averaging its best epochs did (None: off)."""
        best = None
        if context.settings.average_epochs > 1 and val is not None:
            best = BestEpochs(context.settings.average_epochs)
        trainer = self._train(network, _step, train, val, context, config=config,
                              member=k, evaluate_fn=_evaluate,
                              callbacks=() if best is None else (best,))
        return trainer.history_, (_average(network, best, val) if best is not None else None)

    def _validation(self, X, tags, context: FitContext):
        """The training sequences and the validation pair (None for none)."""
        given = context.fit_params.get("validation")
        if given is not None:
            X_val, y_val = given
            if input_kind(X_val, "validation") != input_kind(X, "X"):
                raise DatasetError(f"{type(self).__name__}: validation holds other data "
                                   "than X")
            return list(X), tags, (list(X_val), check_tags(X_val, y_val, "validation"))
        share = context.settings.val_fraction
        held = [i for i in range(len(X)) if int((i + 1) * share) > int(i * share)]
        if not held or len(held) == len(X):
            return list(X), tags, None
        keep = sorted(set(range(len(X))) - set(held))
        return ([X[i] for i in keep], [tags[i] for i in keep],
                ([X[i] for i in held], [tags[i] for i in held]))

    def _scheme(self, sequences: list[list]) -> str:
        """The scheme whose transitions the CRF enforces (see ``TaggerSettings.scheme``)."""
        scheme = self.settings.scheme
        if scheme == "auto":
            scheme = detect_scheme([str(t) for t in self.classes_]) if all(
                isinstance(t, str) for t in self.classes_) else "none"
            return "none" if scheme != "none" and scheme_violation(sequences, scheme) else scheme
        if scheme != "none":
            bad = scheme_violation(sequences, scheme)
            if bad:
                raise DatasetError(f"{type(self).__name__}: scheme={scheme!r}, but training "
                                   f"sequence {bad[0]} breaks it ({bad[1]})")
        return scheme

    def _build(self) -> TaggerNet | TaggerEnsemble:
        """The untrained network: one tagger, or a :class:`.ensemble.TaggerEnsemble` of
        ``n_models``."""
        n = self.settings.n_models
        return self._build_one() if n == 1 else TaggerEnsemble(
            [self._build_one() for _ in range(n)])

    def _build_one(self) -> TaggerNet:
        s, inputs = self.settings, self.inputs_
        constraints = None if self.scheme_ == "none" else allowed_transitions(
            [str(c) for c in self.classes_], self.scheme_)
        return TaggerNet(len(self.classes_), hidden_size=s.hidden_size,
                         num_layers=s.num_layers, cell=s.cell, dropout=s.dropout,
                         head=s.head, constraints=constraints, word_dropout=s.word_dropout,
                         unknown_id=UNK, **inputs.network_sizes())

    def _encode(self, X, tags=None) -> list[Encoded]:
        items = encode_inputs(self.inputs_, X, self.settings, type(self).__name__)
        if tags is not None:
            index = {c: i for i, c in enumerate(self.classes_)}
            for item, seq in zip(items, tags, strict=True):
                item.tags = torch.tensor([index.get(t, -1) for t in seq])
        return items

    def predict(self, X: Any, *, batch_size: int = 256) -> list[list[Any]]:
        """The tags of each sequence of ``X`` (read as in ``fit``), ``batch_size``
        sequences of similar length at a time."""
        ids = self._predict_ids(X, batch_size)
        return [[self.classes_[i] for i in seq] for seq in ids]

    def _predict_ids(self, X: Any, batch_size: int = 256) -> list[list[int]]:
        self._check_fitted()
        who = type(self).__name__
        if input_kind(X, who) != self.input_kind_:
            raise DatasetError(f"{who}: fitted on {self.input_kind_}, got {input_kind(X, who)}")
        batches = SentenceBatches(self._encode(X), batch_size=batch_size, shuffle=False)
        out: list[list[int]] = [[] for _ in range(len(batches.items))]
        self.network_.eval()
        with torch.no_grad():
            for index, batch in zip(batches.order(), batches.epoch(0, 0), strict=True):
                paths = self.network_.decode(batch)
                for row, i in enumerate(index):
                    out[i] = paths[row, :int(batch.lengths[row])].tolist()
        return out

    def evaluate(self, X: Any, y: Any) -> dict[str, float]:
        """Token accuracy and (for BIO/BIOES tags) span precision, recall and F1
        (seqeval-compatible) of the predictions of ``X`` against ``y``."""
        self._check_fitted()
        truth = check_tags(X, y, type(self).__name__)
        return tagging_scores(truth, self.predict(X))

    def _fitted_config(self) -> TaggerFitted:
        return TaggerFitted(self.input_kind_, tuple(self.classes_), self.scheme_,
                            inputs_config(self.inputs_))

    def _transforms(self) -> dict[str, dict[str, Any]]:
        inputs = self.inputs_
        out = {}
        if inputs.words is not None:
            out["words"] = inputs.words.to_dict()
        if inputs.chars is not None:
            out["chars"] = inputs.chars.to_dict()
        for n, vocab in zip(SUFFIX_LENGTHS, inputs.suffixes or [], strict=False):
            out[f"suffix{n}"] = vocab.to_dict()
        return out

    def _restore(self, fitted: TaggerFitted, transforms: dict[str, dict[str, Any]],
                 where: Path) -> None:
        self.input_kind_, self.classes_ = fitted.input_kind, list(fitted.classes)
        self.scheme_ = fitted.scheme
        words = Vocabulary.from_dict(transforms["words"]) if "words" in transforms else None
        chars = Vocabulary.from_dict(transforms["chars"]) if "chars" in transforms else None
        suffixes = [Vocabulary.from_dict(transforms[f"suffix{n}"]) for n in SUFFIX_LENGTHS
                    if f"suffix{n}" in transforms] or None
        self.inputs_ = restore_inputs(self.input_kind_, to_dict(fitted.inputs), words, chars,
                                      suffixes)
        self.network_ = self._build()

    @classmethod
    def contract_example(cls) -> ContractExample:
        X = [["the", "cat", "sat"], ["a", "dog", "ran", "off"], ["the", "dog"]] * 6
        y = [["DT", "NN", "VB"], ["DT", "NN", "VB", "RP"], ["DT", "NN"]] * 6
        return ContractExample(
            cls(hidden_size=4, word_size=4, char_size=3, char_hidden_size=3, batch_size=4,
                train=TrainConfig(epochs=1)), X, y,
            output=lambda est: np.asarray([t for seq in est.predict(X) for t in seq]))


def _label_key(label: Any) -> tuple[int, Any]:
    """Sort integers before strings, each in their own order."""
    return (0, label) if isinstance(label, int) else (1, str(label))


def _step(model: TaggerNet, batch, state):
    return model.loss(batch), None


def _evaluate(model: TaggerNet, batches: SentenceBatches) -> dict[str, float]:
    """Validation loss and token accuracy."""
    model.eval()
    loss = right = total = 0.0
    with torch.no_grad():
        for batch in batches.epoch(0, 0):
            mask = batch.mask
            loss += float(model.loss(batch)) * int(mask.sum())
            right += int((model.decode(batch) == batch.tags)[mask].sum())
            total += int(mask.sum())
    model.train()
    return {"val_loss": loss / total, "val_accuracy": right / total}


def _average(network: TaggerNet, best: BestEpochs, val: SentenceBatches) -> dict[str, Any]:
    """Replace ``network`` by the average of the best epochs' weights when it scores
    at least as well on the validation part (see ``TaggerSettings.average_epochs``).

    Returns:
        ``{"epochs", "val_accuracy" (of the average), "single_val_accuracy" (of the
        network as trained), "kept"}``.
    """
    single = {k: v.clone() for k, v in network.state_dict().items()}
    alone = _evaluate(network, val)["val_accuracy"]
    network.load_state_dict(best.average())
    averaged = _evaluate(network, val)["val_accuracy"]
    kept = len(best.kept) > 1 and averaged >= alone
    if not kept:
        network.load_state_dict(single)
    return {"epochs": best.epochs(), "val_accuracy": averaged,
            "single_val_accuracy": alone, "kept": kept}

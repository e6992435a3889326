"""``cross_fit=True``: the ``n_models`` networks of an ensemble train on the folds of a
stratified k-fold split of the training sequences (network k on every fold but k,
stopping early on fold k), and what is fitted after them, the late bag's weight and
the temperature, is fitted on the out-of-fold predictions of every training sequence.

Why: with one validation split (``val_fraction``, 20 %) the weight and the temperature
rest on a fifth of the training part (600 of Pang & Lee's 3,000 sentences), which never
trains a network. Cross-fitting ("cross-validation ensembles", as stacking does,
Wolpert 1992) lets each network still train on (k - 1) / k of the data and stop on
held-out data, while together the networks see every sequence and each sequence is
scored by the one network that did not see it: k times as much held-out data. Naive
Bayes' out-of-fold log-odds come from naive Bayes fitted without that fold; the bag
used at prediction is naive Bayes of every training sequence (likewise ``vector_lr``'s
word-vector regression, whose weight is fitted jointly with the bag's).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.model_selection import StratifiedKFold
from torch import Tensor, nn

from ...models.ngram_bag import LateNgramBag
from ...threads import torch_threads
from ...training import TensorBatches, Trainer
from .augment import training_batches
from .bag_fusion import fit_part, set_late_weights, start_bags
from .batchnorm import precise_batchnorm
from .calibration import fit_temperature
from .ensemble import members_of
from .objective import PREDICT_BATCH, batch_logits, forward_batch, objective

if TYPE_CHECKING:
    from ..base import FitContext
    from .estimator import SequenceClassifier


def stratified_folds(codes: np.ndarray, k: int, *, seed: int, min_size: int = 1
                     ) -> list[np.ndarray]:
    """The sorted row indices of ``k`` stratified folds (scikit-learn's shuffled
    ``StratifiedKFold``, fixed by ``seed``); none (``[]``) when a fold would hold fewer
    than ``min_size`` rows or a class fewer than ``k``.

    Example:
        >>> folds = stratified_folds(np.array([0, 1] * 6), 3, seed=0)
        >>> [len(f) for f in folds], sorted(np.concatenate(folds).tolist()) == list(range(12))
        ([4, 4, 4], True)
        >>> stratified_folds(np.array([0, 1] * 6), 3, seed=0, min_size=5)
        []
    """
    if len(codes) // k < max(min_size, 1) or np.bincount(codes).min() < k:
        return []
    splitter = StratifiedKFold(k, shuffle=True, random_state=seed)
    return [np.sort(held) for _, held in splitter.split(np.zeros(len(codes)), codes)]


def cross_fit(model: SequenceClassifier, start: Callable[[Tensor], nn.Module],
              data: tuple[Tensor, Tensor, Tensor], codes: np.ndarray,
              weights: Tensor | None, context: FitContext) -> tuple[list, float] | None:
    """Set ``model.network_`` to the cross-fitted ensemble of ``n_models`` networks (one
    per fold of :func:`stratified_folds`) and fit what follows it.

    Args:
        model: the classifier being fitted (``kind_``, ``classes_``, ``_train``).
        start: builds and initialises a network from the rows it may learn from (word
            vectors, naive Bayes of the bags), as :meth:`SequenceClassifier._start`.
        data: ``(x, lengths, target)`` of every training sequence; ``codes``: the
            target as a numpy array.
        weights: the class weights of the loss, or None.
        context: the fit's context.

    Returns:
        The first member's history and the temperature (1.0 without ``calibrate``); None
        (nothing trained) when the folds would be smaller than ``min_val_size``. Sets
        ``model.out_of_fold_accuracy_``: the accuracy of the out-of-fold predictions
        (each training sequence by the network that did not see it, with the bag).
    """
    s = context.settings
    folds = stratified_folds(codes, s.n_models, seed=context.train.seed,
                             min_size=s.min_val_size)
    if not folds:
        return None
    x, lengths, target = data
    every = torch.arange(len(target))
    model.network_ = start(every)  # a late bag: naive Bayes of every training sequence
    net_oof = torch.zeros(len(target), len(model.classes_))  # (N, C)
    late = model.network_.late_parts() if isinstance(model.network_, LateNgramBag) else []
    late_oof = [torch.zeros_like(net_oof) for _ in late]  # the bag's, the regression's
    trainers = []
    for k, (member, fold) in enumerate(zip(members_of(model.network_), folds, strict=True)):
        held = torch.from_numpy(fold)
        rows = every[~torch.isin(every, held)]
        trainers.append(_train_member(model, member, k, (x, lengths, target), rows, held,
                                      weights, context))
        net_oof[held] = F.log_softmax(batch_logits(member, x[held], lengths[held]), dim=-1)
        for (part, _), oof in zip(late, late_oof, strict=True):
            part = copy.deepcopy(part)  # fitted without fold k
            fit_part(part, x[rows], lengths[rows], target[rows])
            oof[held] = batch_logits(part, x[held], lengths[held])
    logits = (set_late_weights(model.network_, net_oof, late_oof, target) if late
              else net_oof)
    model.out_of_fold_accuracy_ = float((logits.argmax(1) == target).float().mean())
    return trainers[0].history_, fit_temperature(logits, target) if s.calibrate else 1.0


def _train_member(model: SequenceClassifier, member: nn.Module, k: int,
                  data: tuple[Tensor, Tensor, Tensor], rows: Tensor, held: Tensor,
                  weights: Tensor | None, context: FitContext) -> Trainer:
    """Member ``k`` (seed ``train.seed + k``) trained on ``rows``, stopped on ``held``;
    its joint bags (if any) are naive Bayes of ``rows``, its batch-norm statistics
    precise on them."""
    x, lengths, target = data
    start_bags(member, x[rows], lengths[rows], target[rows])
    batches = TensorBatches(x[rows], lengths[rows], target[rows],
                            batch_size=context.settings.batch_size)
    val = TensorBatches(x[held], lengths[held], target[held], batch_size=PREDICT_BATCH,
                      shuffle=False)
    step, evaluate = objective(weights, batches)
    views = training_batches(batches, model.kind_, context.settings)
    trainer = model._train(member, step, views, val, context, member=k, evaluate_fn=evaluate)
    with torch_threads(context.settings.num_threads):
        precise_batchnorm(member, batches.epoch(0, seed=0), forward_batch)
    return trainer

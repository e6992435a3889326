"""``refit=True``: once the validation split has chosen each network's best epoch, the
late bag's weight and the temperature, the networks train again from scratch on every
training sequence (the fit part and the validation split), each for its chosen number of
epochs, and replace the first ones.

Why: otherwise the validation split (``val_fraction``, 20 %) never trains anything, while
the simple baselines printed beside the classifier fit on all of the training part. This
is the usual "choose on a held-out split, then refit on everything" of model selection
(scikit-learn's ``refit=True``). What the refit keeps from the first pass, because no
held-out data is left to fit it again: each member's epoch count (the schedule is the
same, stopped at that epoch), the late bag's weight and the temperature.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from ...models.ngram_bag import LateNgramBag
from ...training import Callback, TensorBatches, Trainer
from .augment import training_batches
from .ensemble import members_of
from .objective import objective

if TYPE_CHECKING:
    from ..base import FitContext
    from .estimator import SequenceClassifier


class StopAtEpoch(Callback):
    """Ends training after ``epochs`` epochs while the schedule keeps the length it was
    given (a refit follows the first pass's learning rates up to its best epoch).

    Args:
        epochs: epochs to train.
    """

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        """Stop once ``epochs`` epochs are done."""
        if trainer.epoch >= self.epochs:
            trainer.stopped_early = True


def refit_on_all(model: SequenceClassifier, start: Callable[[Tensor], nn.Module],
                 data: tuple[Tensor, Tensor, Tensor], weights: Tensor | None,
                 context: FitContext, first: Sequence[Trainer]) -> list[Trainer]:
    """Replace ``model.network_`` by networks trained on all of ``data``.

    Args:
        model: the classifier after its first pass (its late bag weight is kept).
        start: builds and initialises a network from the rows it may learn from (word
            vectors, naive Bayes of a bag), as the first pass did.
        data: ``(x, lengths, target)`` of every training sequence.
        weights: the class weights of the loss, or None.
        context: the fit's context.
        first: the first pass's trainers, one per member (their ``best_epoch``).

    Returns:
        The refit trainers, one per member.
    """
    x, lengths, target = data
    kept = model.network_.bag_weight.clone() if isinstance(model.network_,
                                                            LateNgramBag) else None
    model.network_ = start(torch.arange(len(target)))
    if kept is not None:
        model.network_.bag_weight.copy_(kept)
    s, config = context.settings, dataclasses.replace(context.train, restore_best=False,
                                                      early_stopping=0)
    batches = TensorBatches(x, lengths, target, batch_size=s.batch_size)
    step, _ = objective(weights, batches)
    views = training_batches(batches, model.kind_, s)
    trainers = []
    for k, (member, before) in enumerate(zip(members_of(model.network_), first, strict=True)):
        epochs = before.best_epoch or before.epoch
        stop = dataclasses.replace(context, callbacks=(*context.callbacks, StopAtEpoch(epochs)))
        trainers.append(model._train(member, step, views, None, stop, config=config,
                                     member=len(first) + k))
    return trainers


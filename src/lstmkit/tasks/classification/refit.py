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
from ...training import TensorBatches, Trainer
from .ensemble import train_members
from .objective import objective

if TYPE_CHECKING:
    from ..base import FitContext
    from .estimator import SequenceClassifier


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
    config = dataclasses.replace(context.train, restore_best=False, early_stopping=0)
    batches = TensorBatches(x, lengths, target, batch_size=context.settings.batch_size)
    return train_members(model, objective(weights, batches), batches, None, context,
                         config=config, epochs=[t.best_epoch or t.epoch for t in first],
                         first_member=len(first))

"""An ensemble of classifier networks trained with different seeds: its class
probabilities are the mean of its members'.

Why: on the small UCR/UEA training sets one network's test accuracy moves by a few
points from one seed to the next (ArrowHead: ± 0.02-0.09); the mean of a few members'
probabilities is the classic remedy (Fawaz et al. 2019, "Deep neural network ensembles
for time series classification"). Each member is trained as a single network would be,
on every training sequence, with seed ``train.seed + k``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...models.ngram_bag import LateNgramBag
from ...training import StopAtEpoch, TensorBatches, TrainConfig, Trainer
from .augment import training_batches

if TYPE_CHECKING:
    from ..base import FitContext
    from .estimator import SequenceClassifier


class MeanProbability(nn.Module):
    """Networks ``(x, lengths) -> logits`` whose probabilities are averaged.

    The output is the log of the members' mean probability, so it is a logit vector
    whose softmax is that mean (and a temperature divides it like any logits).

    Args:
        members: the networks, each mapping ``(x, lengths)`` to (B, C) logits.

    Example:
        >>> a, b = nn.Linear(2, 3), nn.Linear(2, 3)
        >>> ens = MeanProbability([_Ignore(a), _Ignore(b)])
        >>> x = torch.randn(4, 2)
        >>> mean = (a(x).softmax(1) + b(x).softmax(1)) / 2
        >>> bool(torch.allclose(ens(x, None).softmax(1), mean, atol=1e-6))
        True
    """

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        """(B, C): ``log(mean_k softmax(member_k(x, lengths)))``."""
        logp = torch.stack([F.log_softmax(m(x, lengths), dim=-1) for m in self.members])
        return torch.logsumexp(logp, dim=0) - math.log(len(self.members))

    @property
    def bf16_inference(self) -> bool:
        """LSTM-FCN members: the convolution branch in bfloat16 when predicting."""
        return bool(getattr(self.members[0], "bf16_inference", False))

    @bf16_inference.setter
    def bf16_inference(self, on: bool) -> None:
        for m in self.members:
            m.bf16_inference = on


class _Ignore(nn.Module):
    """A module ``f(x)`` called as ``f(x, lengths)`` (for the example above)."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: Tensor, lengths: Tensor | None) -> Tensor:
        return self.inner(x)


def members_of(network: nn.Module) -> list[nn.Module]:
    """The networks trained one by one: an ensemble's members, or ``[network]`` (inside
    a late-fusion bag, :class:`~lstmkit.models.ngram_bag.LateNgramBag`, which is not
    trained)."""
    if isinstance(network, LateNgramBag):
        network = network.network
    return list(network.members) if isinstance(network, MeanProbability) else [network]


def train_members(model: SequenceClassifier, objective_fns: tuple, batches: TensorBatches,
                  val: TensorBatches | None, context: FitContext, *,
                  config: TrainConfig | None = None, epochs: Sequence[int] | None = None,
                  first_member: int = 0) -> list[Trainer]:
    """Train each network of ``model.network_`` (one, or the members of an ensemble with
    seeds ``train.seed + k`` and their own checkpoint folders) on ``batches`` (random
    views of them when ``augment_*`` is on, :func:`.augment.training_batches`); returns
    their trainers (histories, best epochs).

    ``config`` replaces ``context.train``; ``epochs`` stops member k after ``epochs[k]``
    epochs of its schedule (:class:`~lstmkit.training.StopAtEpoch`); member k is the
    ensemble's ``first_member + k``-th for its seed and checkpoint folder (a refit's
    networks come after the first pass's)."""
    step, evaluate = objective_fns
    views = training_batches(batches, model.kind_, context.settings)
    members = members_of(model.network_)
    stops = [()] * len(members) if epochs is None else [(StopAtEpoch(e),) for e in epochs]
    return [model._train(member, step, views, val, context, config=config,
                         member=first_member + k, evaluate_fn=evaluate, callbacks=stop)
            for k, (member, stop) in enumerate(zip(members, stops, strict=True))]

"""Training the forecaster's ensemble members with the engine's :class:`Trainer`.

Windows come from the training part of every series (targets inside it) and the
validation part (targets ending in it, for early stopping); the test part is never read.
Each member gets its own seed and its own checkpoint directory, so ``resume`` continues
exactly where an interrupted run stopped.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ...data.timeseries import TimeSeriesData
from ...data.windows import make_windows, train_origins, validation_origins
from ...models.forecast_net import ForecastEnsemble, ForecastNet
from ...models.seasonal_window import choose_anchor
from ...training import TensorBatches, seed_everything
from .features import series_features

if TYPE_CHECKING:
    from ..base import FitContext
    from .estimator import Forecaster


def window_tensors(model: Forecaster, data: TimeSeriesData, which: str
                   ) -> tuple[torch.Tensor, ...]:
    """Training (``which="train"``) or validation windows of every series, stacked:
    x (N, L, I), future (N, K, F), y (N, K, C) and each window's series index (N,)."""
    r, horizon = model.resolved_, model.model_horizon
    pick = train_origins if which == "train" else validation_origins
    parts = []
    for i, name in enumerate(data.ids):
        split = model.splits_[i]
        feats = series_features(model.scalers_, name, data.times[i][:split.origin],
                                data.targets[i][:split.origin], data.past[i][:split.origin],
                                data.future[i][:split.origin], r.calendar)
        origins = pick(split, lookback=r.lookback, horizon=horizon)
        parts.append((*make_windows(feats.inputs, feats.targets, feats.known, origins,
                                    lookback=r.lookback, horizon=horizon),
                       np.full(len(origins), i)))
    x, y, f, index = (np.concatenate(group) for group in zip(*parts, strict=True))
    return (torch.tensor(x, dtype=torch.float32), torch.tensor(f, dtype=torch.float32),
            torch.tensor(y, dtype=torch.float32), torch.tensor(index, dtype=torch.long))


def forecast_step(model: ForecastNet, batch: tuple[torch.Tensor, ...], state: Any
                  ) -> tuple[torch.Tensor, None]:
    """The trainer's step: the distribution loss of one batch of windows."""
    x, future, y, series = batch
    return model.dist.loss(model(x, future, series), y), None


def train_members(model: Forecaster, data: TimeSeriesData, context: FitContext,
                  forms: tuple[bool, ...]
                  ) -> tuple[ForecastEnsemble, list[list[dict]]]:
    """Train ``n_models`` networks through the estimator's trainer wiring; returns their
    ensemble and each one's per-epoch history. ``forms``: the seasonal forms the
    ``seasonal`` anchor may take (:func:`.resolve.seasonal_forms`, which also decided
    the scalers)."""
    p = context.settings
    train = window_tensors(model, data, "train")
    val = window_tensors(model, data, "validation")
    if p.model == "seasonal":  # the anchor's constants, on the training windows only
        damping, recent, multiplicative = choose_anchor(
            train[0][:, :, :train[2].shape[2]], train[2], model.resolved_.season, forms=forms)
        model.resolved_ = replace(model.resolved_, damping=damping, recent=recent,
                                  multiplicative=multiplicative)
    input_size, n_known, n_targets = train[0].shape[2], train[1].shape[2], train[2].shape[2]
    members, histories = [], []
    for k in range(p.n_models):
        seed_everything(context.train.seed + k)  # member k's initial weights
        net = model.build_net(input_size, n_targets, n_known, len(data.ids))
        trainer = model._train(
            net, forecast_step,
            EpochSample(*train, batch_size=p.batch_size or auto_batch(len(train[0]))),
            TensorBatches(*val, batch_size=1024, shuffle=False) if len(val[0]) else None,
            context, member=k)
        members.append(net.eval())
        histories.append(trainer.history_)
    if p.model == "seasonal" and len(val[0]):
        choose_blend(model, members, val)
    return ForecastEnsemble(members), histories


#: The candidates of :func:`choose_blend`.
BLENDS = (0.0, 0.25, 0.5, 0.75, 1.0)


def choose_blend(model: Forecaster, members: list[ForecastNet],
                 val: tuple[torch.Tensor, ...]) -> None:
    """How much of the ensemble's correction to add to the seasonal anchor: the blend of
    :data:`BLENDS` with the least mean absolute error on the validation windows (on a
    short series the network can do worse than its own anchor; this keeps it from
    making the forecast worse than the anchor on data it was not trained on). Sets it
    on every member and in ``model.resolved_``."""
    x, future, y, series = val
    with torch.no_grad():
        ensemble = ForecastEnsemble(members)
        anchor = ensemble.anchor(x)
        correction = ensemble.dist.point(ensemble(x, future, series)) - anchor
        errors = {b: float((anchor + b * correction - y).abs().mean()) for b in BLENDS}
    blend = min(errors, key=errors.get)
    for net in members:
        net.blend = blend
    model.resolved_ = replace(model.resolved_, blend=blend)


class EpochSample(TensorBatches):
    """Shuffled mini-batches, at most ``MAX_STEPS`` of them per epoch: with many series
    (tens of thousands of windows) an epoch is a fresh random sample of the windows, so
    the time per epoch stays bounded and early stopping looks often.

    Example:
        >>> x = torch.zeros(5000, 2, 1)
        >>> len(EpochSample(x, batch_size=100)), len(EpochSample(x[:300], batch_size=100))
        (20, 3)
    """

    MAX_STEPS = 20

    def __len__(self) -> int:
        return min(super().__len__(), self.MAX_STEPS)


def auto_batch(windows: int, *, smallest: int = 32, largest: int = 256,
               max_steps: int = EpochSample.MAX_STEPS) -> int:
    """The default batch size: ``smallest``, or larger so that an epoch takes at most
    ``max_steps`` steps, but not above ``largest`` (beyond it, an epoch is a sample).

    Example:
        >>> auto_batch(73), auto_batch(1800), auto_batch(60000)
        (32, 90, 256)
    """
    return min(largest, max(smallest, -(-windows // max_steps)))

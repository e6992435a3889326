"""``SequenceRegressor``: sequences in, one or more numbers out, with any cell.

The estimator the ``adding`` task (the adding problem) trains, and the worked example of
a task built on :class:`~lstmkit.tasks.base.Estimator` (see ``docs/tasks.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import RegressorMixin

from ...errors import DatasetError
from ...limits import MAX_FEATURES
from ...models.last_step import LastStepRegressor
from ...settings import CellName, Count, DropProbability, Settings, count
from ...training import TensorBatches, TrainConfig, supervised_step
from ..base import ContractExample, Estimator, FitContext


@dataclass(frozen=True)
class RegressorSettings(Settings):
    """The settings of a :class:`SequenceRegressor`.

    Attributes:
        cell: the recurrent cell (any registered name: lstm, peephole, multiplicative,
            layernorm, gru, rnn, ...).
        hidden_size: units of each recurrent layer.
        num_layers: stacked recurrent layers.
        batch_size: sequences per training step.
        val_fraction: share of the sequences given to fit, at the end, held out for
            validation (early stopping and the best epoch); 0 for none.
    """

    cell: CellName = "lstm"
    hidden_size: Count = 32
    num_layers: Count = 1
    batch_size: Count = 64
    val_fraction: DropProbability = 0.2


@dataclass(frozen=True)
class RegressorFitted(Settings):
    """What a :class:`SequenceRegressor` learns besides its weights (saved in config.json).

    Attributes:
        n_features_in: I, the features per step.
        n_outputs: K, the outputs (0 when ``y`` was one-dimensional).
    """

    n_features_in: count(MAX_FEATURES)
    n_outputs: count(MAX_FEATURES, 0)


class SequenceRegressor(RegressorMixin, Estimator):
    """Regress K numbers on a sequence, from the last step of a recurrent encoder.

    ``fit(X, y)`` takes ``X`` of shape (N, T, I) (arrays or tensors) and ``y`` of shape
    (N,) or (N, K); ``predict(X)`` returns the same shape as ``y``; ``score`` is R²
    (scikit-learn's regressor convention), so the estimator runs inside ``Pipeline``,
    ``GridSearchCV`` and ``cross_val_score``.

    Args:
        cell, hidden_size, num_layers, batch_size, val_fraction: see
            :class:`RegressorSettings`.
        train: the training settings (default :meth:`default_train_config`).
        progress: show a progress bar while training.

    Attributes:
        network_: the trained :class:`~lstmkit.models.last_step.LastStepRegressor`.
        n_features_in_: I. n_outputs_: K (0 when ``y`` was one-dimensional).
        history_: the trainer's per-epoch metrics.

    Example:
        >>> from lstmkit.data.synthetic import adding_problem
        >>> X, y = adding_problem(64, 10, seed=0)
        >>> model = SequenceRegressor(hidden_size=8, train=TrainConfig(epochs=2))
        >>> model.fit(X, y[:, 0]).predict(X).shape
        (64,)
    """

    task = "adding"
    settings_class = RegressorSettings
    fitted_class = RegressorFitted

    def _fit(self, X: Any, y: Any, context: FitContext) -> None:
        s = context.settings
        x, target = _as_tensor(X, "X", 3), _as_tensor(y, "y", None)
        if target.dim() not in (1, 2) or len(target) != len(x):
            raise DatasetError(f"SequenceRegressor: expected y of shape ({len(x)},) or "
                               f"({len(x)}, K), got {tuple(target.shape)}")
        self.n_features_in_, self.n_outputs_ = x.shape[2], 0 if target.dim() == 1 else \
            target.shape[1]
        target = target.reshape(len(x), -1)  # (N,) -> (N, 1)
        n_val = int(len(x) * s.val_fraction)
        cut = len(x) - n_val
        self.network_ = self._build()
        val = TensorBatches(x[cut:], target[cut:], batch_size=256, shuffle=False) \
            if n_val else None
        trainer = self._train(self.network_, supervised_step(F.mse_loss),
                              TensorBatches(x[:cut], target[:cut], batch_size=s.batch_size),
                              val, context)
        self.history_ = trainer.history_
        self.network_.eval()

    def _build(self) -> LastStepRegressor:
        s = self.settings
        return LastStepRegressor(self.n_features_in_, s.hidden_size, num_layers=s.num_layers,
                                 cell=s.cell, n_outputs=max(self.n_outputs_, 1))

    def predict(self, X: Any) -> np.ndarray:
        """Predictions for sequences ``X`` (N, T, I): (N,) or (N, K) like ``y`` in fit."""
        self._check_fitted()
        x = _as_tensor(X, "X", 3)
        if x.shape[2] != self.n_features_in_:
            raise DatasetError(f"SequenceRegressor: expected X with {self.n_features_in_} "
                               f"features per step, got {x.shape[2]}")
        with torch.no_grad():
            out = self.network_(x).numpy()  # (N, K)
        return out[:, 0] if self.n_outputs_ == 0 else out

    def _fitted_config(self) -> RegressorFitted:
        return RegressorFitted(self.n_features_in_, self.n_outputs_)

    def _restore(self, fitted: RegressorFitted, transforms: dict, where) -> None:
        self.n_features_in_, self.n_outputs_ = fitted.n_features_in, fitted.n_outputs
        self.network_ = self._build()

    @classmethod
    def default_train_config(cls) -> TrainConfig:
        """AdamW at 1e-3 for 10 epochs."""
        return TrainConfig()

    @classmethod
    def contract_example(cls) -> ContractExample:
        from ...data.synthetic import adding_problem

        X, y = adding_problem(48, 6, seed=0)
        return ContractExample(cls(hidden_size=4, train=TrainConfig(epochs=1)), X.numpy(),
                               y[:, 0].numpy(), output=lambda est: est.predict(X))


def _as_tensor(value: Any, name: str, dims: int | None) -> torch.Tensor:
    """A finite float32 tensor (with ``dims`` dimensions), or DatasetError naming ``name``."""
    try:
        tensor = torch.as_tensor(np.asarray(value, dtype=np.float32))
    except (TypeError, ValueError) as exc:
        raise DatasetError(f"SequenceRegressor: {name} is not numeric: {exc}") from None
    if dims is not None and tensor.dim() != dims:
        raise DatasetError(f"SequenceRegressor: expected {name} of shape (N, T, I), got "
                           f"{tuple(tensor.shape)}")
    if tensor.numel() == 0:
        raise DatasetError(f"SequenceRegressor: {name} is empty")
    if not torch.isfinite(tensor).all():
        raise DatasetError(f"SequenceRegressor: {name} holds NaN or infinite values")
    return tensor

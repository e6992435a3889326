"""``Forecaster``: time-series forecasting with any lstmkit cell, in the scikit-learn style.

``fit`` holds out the last ``test_size`` rows of every series (the test part) and the
``val_size`` rows before them (the validation part, for early stopping), fits the
per-series scalers on what is left and trains on windows of it. ``evaluate`` forecasts
the test part from its origin and scores the model beside the baselines; ``backtest``
rolls the origin through the test part; ``predict`` forecasts the steps after the end
of any data; ``save``/``load`` (the base's) write and read the lstmkit model directory
(JSON + safetensors), with the hooks below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from sklearn.exceptions import NotFittedError

from ...data.tables import dataset_defaults, read_table
from ...data.timeseries import TimeSeriesData, prepare_series
from ...errors import ConfigError, DatasetError
from ...limits import MAX_STEPS, check_count
from ...models.forecast_net import ForecastEnsemble, ForecastNet
from ...settings import to_dict
from ...training import TrainConfig
from ..base import ContractExample, Estimator, FitContext
from .features import fit_scalers
from .intervals import calibrate, read_calibration
from .persistence import ForecastFitted, Roles, check_layout, read_scalers
from .prediction import forecast_after, future_values
from .resolve import resolve, seasonal_forms, split_all
from .settings import ForecastSettings
from .training import train_members


class Forecaster(Estimator):
    """Forecast one or many series with a recurrent network; baselines always beside it.

    ``fit(data)`` takes a path, a dataset name, a DataFrame, a Series or an array (no
    ``y``: the targets are columns of ``data``); ``fit``'s keyword arguments
    (``callbacks``, ``checkpoint_dir``, ``resume``) are those of
    :meth:`~lstmkit.tasks.base.Estimator.fit`, each ensemble member checkpointing in its
    own folder below ``checkpoint_dir``.

    Args:
        target, time_col, ..., n_paths: the fields of :class:`ForecastSettings` (horizon,
            lookback, cell, level, ...); unknown names are errors that list the valid ones.
        train: the training settings (default :meth:`default_train_config`).
        progress: show a progress bar while training.

    Attributes:
        network_: the trained :class:`~lstmkit.models.forecast_net.ForecastEnsemble`.
        scalers_: per-series scalers, fitted on the training part only.
        conformal_: the conformal calibration of the intervals
            (:mod:`~lstmkit.tasks.forecasting.intervals`), or None.
        data_: the series given to ``fit``. resolved_: derived settings.
        history_: per ensemble member, the trainer's per-epoch metrics.

    Example:
        >>> import numpy as np
        >>> y = np.sin(np.arange(120) / 3) + 2
        >>> model = Forecaster(horizon=6, lookback=12, n_models=1,
        ...                    train=TrainConfig(epochs=2)).fit(y)
        >>> model.predict().shape[0]
        6
    """

    task = "forecast"
    settings_class = ForecastSettings
    fitted_class = ForecastFitted
    #: Settings added after forecasters were first saved, with the value that reproduces
    #: a forecaster saved without them: before ``--model`` the only model was ``lstm``.
    added_settings: ClassVar[dict] = {"model": "lstm", "num_threads": "auto",
                                      "id_embedding": 0, "beyond_horizon": "correct",
                                      "seasonality": "additive"}

    @classmethod
    def default_train_config(cls) -> TrainConfig:
        """AdamW at 3e-3 for up to 150 epochs, early stopping after 30 without progress.

        Example:
            >>> Forecaster.default_train_config().early_stopping
            30
        """
        return TrainConfig(epochs=150, lr=3e-3, weight_decay=1e-4, early_stopping=30,
                           grad_clip=1.0)

    @property
    def levels(self) -> tuple[float, ...]:
        """The interval levels, ascending."""
        return self.settings.levels

    # -- fit -------------------------------------------------------------------------------
    def read(self, data: Any) -> TimeSeriesData:
        """Read and check ``data`` with this forecaster's column roles: the options given,
        then the roles the fitted model was trained with, then a bundled dataset's."""
        p = self.settings
        roles = {**dataset_defaults(data), **self.__dict__.get("roles_", {})}
        frame, where = read_table(data, text_columns=[p.id_col] if p.id_col else [])
        target = p.target or roles.get("target")
        return prepare_series(frame, target=list(target) if isinstance(target, (tuple, list))
                              else target, time_col=p.time_col or roles.get("time_col"),
                              id_col=p.id_col, past_covariates=list(p.past_covariates),
                              future_covariates=list(p.future_covariates),
                              fill=p.fill or roles.get("fill"),
                              freq=p.freq or roles.get("freq"), where=where)

    def check(self, data: Any) -> Forecaster:
        """Read and check ``data`` as ``fit`` would (columns, values, time stamps, lengths)
        without training; raises the same errors. Returns self."""
        series = self.read(data)
        self.resolved_ = resolve(self.settings, series)
        split_all(self.resolved_, self.model_horizon, series)
        return self

    def _fit(self, X: Any, y: Any, context: FitContext) -> None:
        """Read ``X``, hold out the test and validation parts, fit the scalers on the
        rest and train the ensemble on its windows: the last ``test_size`` rows of each
        series are never seen, not by training, not by the scalers, not by early stopping.

        Raises:
            DatasetError: bad data (naming the column and first bad rows), or a series
                shorter than lookback + horizon + validation + test.
        """
        series = self.read(X)
        self.data_, self.target_names_ = series, series.target_names
        self.roles_ = {"target": series.target_names, "time_col": series.time_col,
                       "freq": series.freq, "fill": context.settings.fill or
                       dataset_defaults(X).get("fill")}
        self.resolved_ = resolve(context.settings, series)
        self.splits_ = split_all(self.resolved_, self.model_horizon, series)
        forms = seasonal_forms(context.settings, self.resolved_, series, self.splits_)
        self.scalers_ = fit_scalers(series, self.splits_, log=self.resolved_.log,
                                    center=not any(forms))
        self.network_, self.history_ = train_members(self, series, context, forms)
        self.conformal_ = calibrate(self)

    @property
    def model_horizon(self) -> int:
        """Steps the network predicts per call: K (direct) or 1 (autoregressive)."""
        return self.resolved_.horizon if self.settings.strategy == "direct" else 1

    # -- predict ---------------------------------------------------------------------------
    def predict(self, data: Any = None, *, steps: int | None = None,
                future: Any = None) -> pd.DataFrame:
        """Forecast the ``steps`` (default K) steps after the end of each series in ``data``
        (default: the data given to ``fit``).

        Args:
            data: the history to forecast from, with the columns used in ``fit``.
            steps: how many steps (beyond K only without past covariates).
            future: a table of the future covariates for those steps (time and id columns
                as in ``data``), if the model uses future covariates.

        Returns:
            One row per series, step and target: the series, time, target, ``forecast``
            and ``lower_<level>`` / ``upper_<level>`` interval bounds.
        """
        if "network_" not in vars(self):
            raise NotFittedError(self._not_fitted())
        if data is None and "data_" not in self.__dict__:
            raise DatasetError("Forecaster.predict: this model was loaded from disk; pass the "
                               "history to forecast from as data=")
        series = self.data_ if data is None else self.read(data)
        steps = steps or self.resolved_.horizon
        self._check_steps(steps)
        ends = [len(t) for t in series.targets]
        return forecast_after(self, series, ends, steps, future_values(self, series, future, steps))

    def _check_steps(self, steps: int) -> None:
        check_count("Forecaster.predict: steps", steps, MAX_STEPS)
        if self.settings.past_covariates and steps > self.model_horizon:
            raise ConfigError(f"Forecaster: with past covariates at most {self.model_horizon} "
                              f"steps can be forecast, got steps={steps}")

    # -- evaluation ------------------------------------------------------------------------
    def evaluate(self) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
        """Forecast the held-out test part from its origin; score the model and baselines.

        Returns:
            The forecast frame (with ``actual``), and ``{"model": {"MAE": ...},
            "naive": {...}, ...}`` averaged over series and targets.
        """
        from .evaluation import evaluate_holdout

        return evaluate_holdout(self)

    def backtest(self, *, step: int | None = None) -> tuple[pd.DataFrame, dict]:
        """Rolling-origin evaluation over the test part: a K-step forecast from every
        ``step``-th origin (default K), each conditioned on the actual values before it,
        with the model's weights and scalers fixed from ``fit``."""
        from .evaluation import evaluate_backtest

        return evaluate_backtest(self, step=step)

    # -- persistence: the hooks of Estimator.save / Estimator.load -------------------------
    def _fitted_config(self) -> ForecastFitted:
        first = self.network_.members[0]
        return ForecastFitted(self.resolved_, first.input_size, first.n_known,
                              tuple(self.target_names_), Roles(**self.roles_),
                              self.conformal_)

    def _transforms(self) -> dict[str, dict[str, Any]]:
        return {"scalers": self.scalers_.to_dict()}

    def _restore(self, fitted: ForecastFitted, transforms: dict[str, dict[str, Any]],
                 where: Path) -> None:
        """Check ``fitted`` and scalers.json against the settings (see
        :mod:`~lstmkit.tasks.forecasting.persistence`), then build the ensemble."""
        check_layout(fitted, self.settings, where)
        self.scalers_ = read_scalers(transforms.get("scalers"), self.settings, fitted,
                                     where.with_name("scalers.json"))
        self.resolved_, self.roles_ = fitted.resolved, to_dict(fitted.roles)
        self.target_names_ = list(fitted.target_names)
        self.conformal_ = read_calibration(fitted.conformal, self.levels, where)
        self.network_ = ForecastEnsemble(
            [self.build_net(fitted.input_size, len(fitted.target_names), fitted.n_known,
                            len(self.scalers_.target.ids_))
             for _ in range(self.settings.n_models)])

    @classmethod
    def _upgrade_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """A forecaster saved by an older lstmkit in today's layout: before the one task
        framework (config ``options``, ``train``, ``resolved``, ...), the same content
        (settings added since: :attr:`added_settings`)."""
        if "options" in config and "settings" not in config:
            rest = dict(config)
            config = {"settings": rest.pop("options"), "train": rest.pop("train", None),
                      "fitted": rest}
        return config

    @classmethod
    def contract_example(cls) -> ContractExample:
        """A tiny forecaster of a short seasonal series (one member, 4 units, 1 epoch)."""
        import numpy as np

        y = np.sin(np.arange(48) * np.pi / 6) + 2 + np.arange(48) / 40
        model = cls(horizon=3, lookback=6, test_size=3, n_models=1, hidden_size=4,
                    n_paths=10, train=TrainConfig(epochs=1))
        return ContractExample(model, y, output=lambda est: est.predict(y))

    def build_net(self, input_size: int, n_targets: int, n_known: int,
                  n_series: int) -> ForecastNet:
        """A fresh, untrained network with this forecaster's settings (``n_series``: the
        series of the training data, for the id embedding)."""
        p = self.settings
        probs = sorted({0.5, *(q for lv in self.levels for q in (0.5 - lv / 2, 0.5 + lv / 2))})
        return ForecastNet(input_size=input_size, n_targets=n_targets, n_known=n_known,
                           horizon=self.model_horizon, hidden_size=p.hidden_size,
                           num_layers=p.num_layers, cell=p.cell, bidirectional=p.bidirectional,
                           dropout=p.dropout, distribution=p.distribution,
                           quantiles=tuple(round(q, 6) for q in probs),
                           window_norm=p.window_norm,
                           season=self.resolved_.season if p.model == "seasonal" else 0,
                           damping=self.resolved_.damping, recent=self.resolved_.recent,
                           multiplicative=self.resolved_.multiplicative,
                           blend=self.resolved_.blend, window=self.resolved_.lookback,
                           n_series=n_series, id_embedding=p.id_embedding)


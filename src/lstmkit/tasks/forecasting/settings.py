"""``ForecastSettings``: what to forecast and with which model: the
:class:`~lstmkit.tasks.forecasting.Forecaster`'s constructor arguments, the ``[task]``
table of the forecast task and the ``settings`` of a saved forecaster. Training itself
(epochs, learning rate, early stopping, seed) is the engine's
:class:`~lstmkit.training.TrainConfig`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from ...errors import ConfigError
from ...limits import (
    MAX_BATCH,
    MAX_HIDDEN_SIZE,
    MAX_LOOKBACK,
    MAX_MODELS,
    MAX_NUM_LAYERS,
    MAX_PATHS,
    MAX_STEPS,
    MAX_THREADS,
)
from ...settings import CellName, DropProbability, Flag, Settings, count

#: An interval level: 0 < level < 1.
Level = Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]


@dataclass(frozen=True)
class ForecastSettings(Settings):
    """Data roles, horizon, model and intervals of a :class:`Forecaster`.

    Attributes:
        target: the column(s) to forecast (default: the only numeric column, or a bundled
            dataset's usual target).
        time_col: the time stamp column (default: guessed; none = positions 0, 1, ...).
        id_col: the column naming each series, for many series in one table.
        past_covariates: columns observed only up to the forecast origin (encoder input).
        future_covariates: columns known ahead, also for the forecast steps.
        freq: the frequency, if not inferred (``"MS"``, ``"B"``, ``"h"``, ...).
        fill: None (missing time stamps and NaNs are errors), ``"ffill"`` (carry the
            last value forward) or ``"linear"`` (interpolate).
        horizon: K, the steps to forecast (default: one season, e.g. 12 for monthly).
        lookback: L, the rows the model reads (default: three seasons, at least 2K and
            12, shortened to fit the shortest series but not below a season or K).
        season: the seasonal period (default: from the frequency: 12 monthly, 7 daily,
            5 business days, 24 hourly).
        test_size: rows held out at the end of each series (default ``3 * K``; 0 trains on
            everything and leaves nothing to evaluate).
        val_size: rows before the test part, for early stopping (default K).
        model: ``"seasonal"`` (default): the network reads each window deseasonalised
            and relative to its level and predicts a correction on top of the window's
            level, damped trend and seasonal profile
            (see docs/forecasting.md); ``"lstm"``: the network on windows relative to
            their mean.
        strategy: ``"direct"`` (one head for all K steps) or ``"autoregressive"`` (one
            step at a time, each forecast fed back).
        beyond_horizon: how a direct ``seasonal`` model forecasts more than K steps,
            rolling forward block by block: ``"correct"`` (the network's correction on
            every block, each fed back) or ``"anchor"`` (after the first K steps, each
            block's forecast is the rolled window's own anchor, with the network's
            interval offsets: the correction was trained and validated on real windows
            only, and fed back it compounds) or ``"continue"`` (each block's correction
            on the origin's anchor carried on, whose damped trend keeps decaying).
        seasonality: the ``seasonal`` model's seasonal form: ``"auto"`` (default:
            additive or multiplicative, whichever anchor fits the training windows
            better; multiplicative only when every value before the test part is > 0),
            ``"additive"`` or ``"multiplicative"`` (a swing in proportion to the level).
        cell: the encoder's cell: ``lstm``, ``peephole``, ``multiplicative``,
            ``layernorm``, ``gru`` or ``rnn``.
        hidden_size, num_layers, bidirectional, dropout: the encoder, as ``torch.nn.LSTM``.
        distribution: ``"quantile"`` (pinball loss) or ``"gaussian"`` (negative
            log-likelihood).
        level: the interval level(s), e.g. 0.8 for an 80% interval.
        log: model the logarithm of the targets (all values must be > 0). Default
            (None): off — on the validation parts of the benchmark the ``seasonal``
            model in log scale scored a mean MASE of 0.83-0.87 against 0.73 without
            (docs/forecasting.md); log scale carries growth on as a rate, and that
            overshoots when growth slows.
        window_norm: read and predict targets relative to each window's mean level, so
            trends carry on beyond the training range.
        calendar: add calendar features (month, day of week, hour) as known inputs.
        id_embedding: for many series in one file (``id_col``): the size of a learned
            vector per series that joins every encoder row, so the one global model
            can tell the series apart (0, the default: none; the windows alone tell).
            A series not seen in ``fit`` gets the mean vector.
        batch_size: windows per training step (default: 32, or more for long data so
            that an epoch takes at most 20 steps).
        n_models: ensemble members (seeds ``seed, seed + 1, ...``), averaged.
        n_paths: sampled paths for intervals beyond K steps.
        num_threads: torch threads while training: a count, "auto" (the cores other
            processes leave idle: on a busy machine two threads wait on each other and
            a small model's step runs several times slower) or None (torch's setting).
    """

    label: ClassVar[str] = "Forecaster:"

    target: str | tuple[str, ...] | None = None
    time_col: str | None = None
    id_col: str | None = None
    past_covariates: tuple[str, ...] = ()
    future_covariates: tuple[str, ...] = ()
    freq: str | None = None
    fill: Literal["ffill", "linear"] | None = None
    horizon: count(MAX_STEPS) | None = None
    lookback: count(MAX_LOOKBACK) | None = None
    season: count(MAX_LOOKBACK) | None = None
    test_size: count(MAX_LOOKBACK, 0) | None = None
    val_size: count(MAX_LOOKBACK, 0) | None = None
    model: Literal["seasonal", "lstm"] = "seasonal"
    strategy: Literal["direct", "autoregressive"] = "direct"
    beyond_horizon: Literal["correct", "anchor", "continue"] = "correct"
    seasonality: Literal["auto", "additive", "multiplicative"] = "auto"
    cell: CellName = "lstm"
    hidden_size: count(MAX_HIDDEN_SIZE) = 32
    num_layers: count(MAX_NUM_LAYERS) = 1
    bidirectional: Flag = False
    dropout: DropProbability = 0.0
    distribution: Literal["quantile", "gaussian"] = "quantile"
    level: Level | Annotated[tuple[Level, ...], Field(min_length=1)] = 0.8
    log: Flag | None = None
    window_norm: Flag = True
    calendar: Flag = True
    id_embedding: count(MAX_HIDDEN_SIZE, 0) = 0
    batch_size: count(MAX_BATCH) | None = None
    n_models: count(MAX_MODELS) = 3
    n_paths: count(MAX_PATHS) = 200
    num_threads: count(MAX_THREADS) | Literal["auto"] | None = "auto"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.past_covariates and self.strategy == "autoregressive":
            raise ConfigError(  # build_settings puts the owner in front
                "autoregressive forecasting cannot use past covariates (their "
                f"future values are unknown): {', '.join(self.past_covariates)}; pass them as "
                "future_covariates if they are known ahead, or use strategy='direct'")

    @property
    def levels(self) -> tuple[float, ...]:
        """The interval levels, ascending."""
        level = self.level
        return tuple(sorted(map(float, level))) if isinstance(level, tuple) else (float(level),)

"""``ForecastOptions``: what to forecast and with which model, the ``[task]`` table of the
forecast task. Training itself (epochs, learning rate, early stopping, seed) is the
engine's :class:`~lstmkit.training.TrainConfig`."""

from __future__ import annotations

from dataclasses import dataclass

from ...cells.registry import cell_names
from ...data.timeseries import FILLS
from ...errors import ConfigError
from ...models.forecaster import DISTRIBUTIONS
from ...ranges import check_choice, check_count, check_probability, check_real

STRATEGIES = ("direct", "autoregressive")
OWNER = "Forecaster:"
COUNTS = ("horizon", "lookback", "season", "batch_size", "n_models", "n_paths",
          "hidden_size", "num_layers")
"""Options that are None (derived from the data) or an integer >= 1."""


@dataclass(frozen=True)
class ForecastOptions:
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
        strategy: ``"direct"`` (one head for all K steps) or ``"autoregressive"`` (one
            step at a time, each forecast fed back).
        cell: the encoder's cell: ``lstm``, ``peephole``, ``multiplicative``,
            ``layernorm``, ``gru`` or ``rnn``.
        hidden_size, num_layers, bidirectional, dropout: the encoder, as ``torch.nn.LSTM``.
        distribution: ``"quantile"`` (pinball loss) or ``"gaussian"`` (negative
            log-likelihood).
        level: the interval level(s), e.g. 0.8 for an 80% interval.
        log: model the logarithm of the targets (all values must be > 0); off by default,
            so trends carry on linearly rather than at a constant growth rate.
        window_norm: read and predict targets relative to each window's mean level, so
            trends carry on beyond the training range.
        calendar: add calendar features (month, day of week, hour) as known inputs.
        batch_size: windows per training step (default: 32, or more for long data so
            that an epoch takes at most 20 steps).
        n_models: ensemble members (seeds ``seed, seed + 1, ...``), averaged.
        n_paths: sampled paths for intervals beyond K steps.
    """

    target: str | tuple[str, ...] | None = None
    time_col: str | None = None
    id_col: str | None = None
    past_covariates: tuple[str, ...] = ()
    future_covariates: tuple[str, ...] = ()
    freq: str | None = None
    fill: str | None = None
    horizon: int | None = None
    lookback: int | None = None
    season: int | None = None
    test_size: int | None = None
    val_size: int | None = None
    strategy: str = "direct"
    cell: str = "lstm"
    hidden_size: int = 32
    num_layers: int = 1
    bidirectional: bool = False
    dropout: float = 0.0
    distribution: str = "quantile"
    level: float | tuple[float, ...] = 0.8
    log: bool = False
    window_norm: bool = True
    calendar: bool = True
    batch_size: int | None = None
    n_models: int = 3
    n_paths: int = 200

    def __post_init__(self) -> None:
        for name in ("past_covariates", "future_covariates"):
            object.__setattr__(self, name, tuple(getattr(self, name) or ()))
        if isinstance(self.target, list):
            object.__setattr__(self, "target", tuple(self.target))
        if isinstance(self.level, list):
            object.__setattr__(self, "level", tuple(self.level))
        for name, choices in (("strategy", STRATEGIES), ("distribution", DISTRIBUTIONS),
                              ("cell", cell_names())):
            check_choice(OWNER, name, getattr(self, name), choices)
        if self.fill is not None:
            check_choice(OWNER, "fill", self.fill, FILLS)
        levels = self.level if isinstance(self.level, tuple) else (self.level,)
        if not levels:
            raise ConfigError("Forecaster: level must name at least one interval level")
        for lv in levels:
            check_real(OWNER, "level", lv, low=0.0, high=1.0, low_open=True, high_open=True)
        for name in COUNTS:
            check_count(OWNER, name, getattr(self, name))
        for name in ("test_size", "val_size"):
            check_count(OWNER, name, getattr(self, name), minimum=0)
        check_probability(OWNER, "dropout", self.dropout)
        if self.past_covariates and self.strategy == "autoregressive":
            raise ConfigError(
                "Forecaster: autoregressive forecasting cannot use past covariates (their "
                f"future values are unknown): {', '.join(self.past_covariates)}; pass them as "
                "future_covariates if they are known ahead, or use strategy='direct'")

    @property
    def levels(self) -> tuple[float, ...]:
        """The interval levels, ascending."""
        level = self.level
        return tuple(sorted(map(float, level))) if isinstance(level, tuple) else (float(level),)

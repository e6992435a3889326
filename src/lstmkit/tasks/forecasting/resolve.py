"""What ``Forecaster.fit`` derives from the data before training: the settings left to
their defaults (:class:`Resolved`) and each series' chronological split."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from ...data.frequency import CALENDAR_FIELDS, calendar_names, season_length
from ...data.timeseries import TimeSeriesData
from ...data.windows import Split, split_series
from ...errors import ConfigError, DatasetError
from ...limits import MAX_LOOKBACK, MAX_STEPS
from ...models.seasonal_window import DAMPING
from ...settings import Flag, Settings, count
from .settings import ForecastSettings

Rows = count(MAX_LOOKBACK, 0)
#: The calendar features a model can use (``month_sin``, ...).
CalendarFeature = Literal[tuple(f"{name}_{fn}" for name in CALENDAR_FIELDS
                                for fn in ("sin", "cos"))]


@dataclass(frozen=True)
class Resolved(Settings):
    """Settings that ``fit`` derives from the data (frequency, season, sizes...), saved
    with the model and checked when it is loaded; ``damping`` and ``recent`` are the
    ``seasonal`` model's anchor, chosen on the training windows
    (:func:`~lstmkit.models.seasonal_window.choose_anchor`), ``blend`` how much of the
    network's correction is added to it, chosen on the validation windows."""

    freq: str | None
    season: count(MAX_LOOKBACK)
    horizon: count(MAX_STEPS)
    lookback: count(MAX_LOOKBACK)
    test_size: Rows
    val_size: Rows
    log: Flag
    calendar: tuple[CalendarFeature, ...] = ()
    damping: Annotated[float, Field(ge=0, le=1)] = DAMPING
    recent: Annotated[float, Field(ge=0, le=1)] = 0.0
    multiplicative: Flag = False
    blend: Annotated[float, Field(ge=0, le=1)] = 1.0


def resolve(p: ForecastSettings, data: TimeSeriesData) -> Resolved:
    """What the settings leave open, from the data: the season from the frequency, the
    horizon from the season, test and validation sizes from the horizon, the lookback
    from what the shortest series leaves.

    Raises:
        ConfigError: a test part the model cannot forecast (naming the sizes).
    """
    season = p.season or season_length(data.freq)
    horizon = p.horizon or max(season, 1)
    test_size = 3 * horizon if p.test_size is None else p.test_size
    if p.past_covariates and test_size > horizon:
        raise ConfigError(
            f"Forecaster: with past covariates the model forecasts at most horizon = "
            f"{horizon} steps (their later values are unknown), but test_size is "
            f"{test_size}; set test_size <= horizon")
    if 0 < test_size < horizon:
        raise ConfigError(f"Forecaster: test_size ({test_size}) must be 0 or at least "
                          f"the horizon ({horizon})")
    val_size = horizon if p.val_size is None else p.val_size
    model_horizon = horizon if p.strategy == "direct" else 1
    room = min(data.lengths) - model_horizon - val_size - test_size
    lookback = p.lookback or default_lookback(season, horizon, room)
    if p.lookback is None and lookback > room:  # too short for the default model
        lookback, val_size = shorter_model(season, horizon, room, val_size,
                                           keep_val=p.val_size is not None)
    return Resolved(freq=data.freq, season=season, horizon=horizon, lookback=lookback,
                    test_size=test_size, val_size=val_size, log=bool(p.log),
                    calendar=tuple(calendar_names(data.freq)) if p.calendar else ())


def seasonal_forms(p: ForecastSettings, r: Resolved, data: TimeSeriesData,
                   splits: list[Split]) -> tuple[bool, ...]:
    """The forms the ``seasonal`` anchor may take (False: additive, True: multiplicative,
    a swing in proportion to the level), by ``p.seasonality``: ``auto`` offers the
    multiplicative one when every value before the test part (training and validation)
    is > 0 (and ``log`` is off), and
    :func:`~lstmkit.models.seasonal_window.choose_anchor` picks on the training windows.

    Raises:
        ConfigError: ``multiplicative`` asked of data or settings that cannot have it.
    """
    if p.model != "seasonal" or not p.window_norm or r.season < 2 or p.seasonality == "additive":
        return (False,)
    positive = not r.log and all((t[:s.origin] > 0).all()
                                 for t, s in zip(data.targets, splits, strict=True))
    if p.seasonality == "auto":
        return (False, True) if positive else (False,)
    if not positive:
        raise ConfigError("Forecaster: seasonality='multiplicative' needs every value "
                          "before the test part > 0, log off, the seasonal model with "
                          f"window_norm and a season of at least 2 (season {r.season}); use "
                          "'auto' or 'additive'")
    return (True,)


def split_all(r: Resolved, model_horizon: int, data: TimeSeriesData) -> list[Split]:
    """The chronological split of each series (train | validation | test).

    Raises:
        DatasetError: naming the first series too short for them.
    """
    need = r.lookback + model_horizon + r.val_size + r.test_size
    for name, n in zip(data.ids, data.lengths, strict=True):
        if n < need:
            label = "the series" if name == "0" else f"series {name!r}"
            raise DatasetError(
                f"{label} is too short: {n} rows, but lookback {r.lookback} + horizon "
                f"{model_horizon} + validation {r.val_size} + test {r.test_size} "
                f"need at least {need}; shorten --lookback, --horizon or --test-size")
    return [split_series(n, test_size=r.test_size, val_size=r.val_size)
            for n in data.lengths]


def shorter_model(season: int, horizon: int, room: int, val_size: int, *, keep_val: bool
                  ) -> tuple[int, int]:
    """The longest lookback that fits a series too short for the default one: the
    ``room`` left, but at least one season (two rows without one); the validation part
    (unless given) is given up first, down to nothing, to make that room. Says so (a
    ``UserWarning``); a series too short even for that keeps the default sizes, and
    ``split_all`` names what is missing.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     [shorter_model(12, 18, room, 18, keep_val=False) for room in (5, 20)]
        [(12, 11), (20, 18)]
    """
    floor = max(season, 2)
    shortfall = max(0, floor - room)
    if shortfall and (keep_val or shortfall > val_size):
        return max(3 * season, 2 * horizon, 12), val_size  # nothing fits: the error says so
    lookback, val_size = max(room, floor), val_size - shortfall
    warnings.warn(f"Forecaster: the shortest series is too short for the default lookback; "
                  f"using lookback {lookback} and validation part {val_size} instead",
                  stacklevel=3)
    return lookback, val_size


def default_lookback(season: int, horizon: int, room: int) -> int:
    """Three seasons (at least 2K and 12 rows), shortened to the ``room`` the shortest
    series leaves, but not below one season or K.

    Example:
        >>> default_lookback(12, 12, 200), default_lookback(12, 12, 30), default_lookback(24, 24, 5)
        (36, 30, 72)
    """
    preferred = max(3 * season, 2 * horizon, 12)
    floor = max(season, horizon)
    return min(preferred, room) if room >= floor else preferred

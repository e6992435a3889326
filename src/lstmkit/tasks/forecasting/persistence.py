"""What a saved :class:`~lstmkit.tasks.forecasting.Forecaster` adds to the model
directory of :meth:`~lstmkit.tasks.base.Estimator.save`, checked on load before anything
is built from it.

``Estimator.load`` checks config.json's layout, the settings and training settings, and
the weights against the network on the meta device; the forecaster's ``_restore`` hook
checks the rest here: the ``fitted`` part of config.json (:class:`FittedConfig`: strict
types, known keys, the caps of :mod:`lstmkit.limits`, sizes that add up) and
scalers.json (:class:`ScalersFile`: one row per series, the right widths, std > 0).
Each failure is one :class:`~lstmkit.errors.ModelFileError` naming the file and field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...data.frequency import CALENDAR_FIELDS
from ...errors import ModelFileError
from ...limits import MAX_FEATURES, MAX_LOOKBACK, MAX_STEPS
from ...training.config_schema import Schema, check_bounds, validate
from .features import Scalers
from .intervals import ConformalState
from .resolve import Resolved
from .settings import ForecastSettings

CALENDAR = {f"{name}_{fn}" for name in CALENDAR_FIELDS for fn in ("sin", "cos")}


class Roles(Schema):
    """The column roles the model was trained with (the defaults of ``read``)."""

    target: list[str]
    time_col: str | None
    freq: str | None
    fill: str | None


class FittedConfig(Schema):
    """The ``fitted`` part of a forecaster's config.json."""

    resolved: Resolved
    input_size: int
    n_known: int
    target_names: list[str]
    roles: Roles
    conformal: ConformalState | None = None


class ScalerState(Schema):
    """One :class:`~lstmkit.data.scaling.SeriesScaler` in scalers.json."""

    log: bool
    ids: list[str]
    mean: list[list[float]]
    std: list[list[float]]


class ScalersFile(Schema):
    """scalers.json."""

    target: ScalerState
    covariate: ScalerState


BOUNDS = {"resolved.horizon": (1, MAX_STEPS), "resolved.lookback": (1, MAX_LOOKBACK),
          "resolved.season": (1, MAX_LOOKBACK), "resolved.test_size": (0, MAX_LOOKBACK),
          "resolved.val_size": (0, MAX_LOOKBACK), "input_size": (1, MAX_FEATURES),
          "n_known": (0, MAX_FEATURES), "target_names": (1, MAX_FEATURES),
          "resolved.calendar": (0, len(CALENDAR))}


def read_fitted(fitted: dict[str, Any], settings: ForecastSettings, where: Path
                ) -> FittedConfig:
    """The checked ``fitted`` part of config.json ``where``."""
    config = validate(FittedConfig, fitted, where, prefix="config.fitted")
    check_bounds(config, BOUNDS, where, prefix="config.fitted")
    check_layout(config, settings, where)
    return config


def check_layout(config: FittedConfig, settings: ForecastSettings, where: Path) -> None:
    """The encoder's inputs are ``[targets | past | future | calendar]`` and the known
    ones ``[future | calendar]``: the sizes saved must add up."""
    calendar = config.resolved.calendar
    unknown = sorted(set(calendar) - CALENDAR)
    if unknown:
        raise ModelFileError(f"{where}: field config.fitted.resolved.calendar: unknown "
                             f"calendar feature {unknown[0]!r}; valid: "
                             f"{', '.join(sorted(CALENDAR))}")
    n_known = len(settings.future_covariates) + len(calendar)
    n_inputs = len(config.target_names) + len(settings.past_covariates) + n_known
    for name, saved, derived in (("n_known", config.n_known, n_known),
                                 ("input_size", config.input_size, n_inputs)):
        if saved != derived:
            raise ModelFileError(f"{where}: field config.fitted.{name} is {saved}, but the "
                                 f"targets, covariates and calendar features it lists make "
                                 f"{derived}")


def read_scalers(content: dict | None, settings: ForecastSettings, config: FittedConfig,
                 where: Path) -> Scalers:
    """The scalers in scalers.json, checked against the targets and covariates."""
    if content is None:
        raise ModelFileError(f"{where}: missing from the model directory (config.json "
                             "lists no 'scalers' transform)")
    state = validate(ScalersFile, content, where)
    widths = {"target": len(config.target_names), "covariate": len(
        settings.past_covariates) + len(settings.future_covariates)}
    for name, width in widths.items():
        part = getattr(state, name)
        rows = {len(part.ids), len(part.mean), len(part.std)}
        columns = {len(row) for row in part.mean + part.std}
        if len(rows) > 1 or columns - {width} or any(s <= 0 for r in part.std for s in r):
            raise ModelFileError(
                f"{where}: field {name}: expected mean and std of {width} column(s) per "
                f"series, one row per id, std > 0; got {len(part.ids)} ids, "
                f"{len(part.mean)} and {len(part.std)} rows of widths {sorted(columns)}")
    return Scalers.from_dict(state.model_dump())

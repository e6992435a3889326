"""What a saved :class:`~lstmkit.tasks.forecasting.Forecaster` keeps besides its
weights: the fitted state in config.json (:class:`ForecastFitted`, validated by
``Estimator.load`` like the settings) and scalers.json, each checked against the
settings before anything is built from them. Each failure is one
:class:`~lstmkit.errors.ModelFileError` naming the file and field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from ...data.scaling import SeriesScaler
from ...errors import ConfigError, ModelFileError
from ...limits import MAX_FEATURES
from ...settings import Settings, count
from .features import Scalers
from .intervals import ConformalState
from .resolve import Resolved
from .settings import ForecastSettings


@dataclass(frozen=True)
class Roles(Settings):
    """The column roles the model was trained with (the defaults of ``read``)."""

    target: tuple[str, ...]
    time_col: str | None
    freq: str | None
    fill: str | None


@dataclass(frozen=True)
class ForecastFitted(Settings):
    """What ``Forecaster.fit`` learns besides the weights and scalers.

    Attributes:
        resolved: the settings derived from the data.
        input_size: encoder inputs per step: ``[targets | past | future | calendar]``.
        n_known: the inputs known ahead: ``[future | calendar]``.
        target_names: the target columns.
        roles: the column roles of the training data.
        conformal: the interval calibration (:mod:`.intervals`), or None.
    """

    resolved: Resolved
    input_size: count(MAX_FEATURES)
    n_known: count(MAX_FEATURES, 0)
    target_names: Annotated[tuple[str, ...], Field(min_length=1, max_length=MAX_FEATURES)]
    roles: Roles
    conformal: ConformalState | None = None


def check_layout(fitted: ForecastFitted, settings: ForecastSettings, where: Path) -> None:
    """The sizes saved must add up to the targets, covariates and calendar features."""
    n_known = len(settings.future_covariates) + len(fitted.resolved.calendar)
    n_inputs = len(fitted.target_names) + len(settings.past_covariates) + n_known
    for name, saved, derived in (("n_known", fitted.n_known, n_known),
                                 ("input_size", fitted.input_size, n_inputs)):
        if saved != derived:
            raise ModelFileError(f"{where}: field config.fitted.{name} is {saved}, but the "
                                 f"targets, covariates and calendar features it lists make "
                                 f"{derived}")


def read_scalers(content: dict | None, settings: ForecastSettings, fitted: ForecastFitted,
                 where: Path) -> Scalers:
    """The scalers in scalers.json, checked against the targets and covariates."""
    widths = {"target": len(fitted.target_names),
              "covariate": len(settings.past_covariates) + len(settings.future_covariates)}
    if not isinstance(content, dict) or set(content) != set(widths):
        got = sorted(content) if isinstance(content, dict) else "nothing"
        raise ModelFileError(f"{where}: expected the scalers target and covariate, got {got}")
    scalers: dict[str, Any] = {}
    for name, width in widths.items():
        try:
            scalers[name] = SeriesScaler.from_dict(content[name], columns=width, where=name)
        except ConfigError as exc:
            raise ModelFileError(f"{where}: {exc}") from None
    return Scalers(**scalers)

"""Saving and loading a :class:`~lstmkit.tasks.forecasting.Forecaster`: a model directory
of JSON and safetensors (see :mod:`lstmkit.training.model_files`), never a pickle.

Loading checks every field of config.json (:class:`ForecastConfig`: types, known keys,
the options' own checks, the caps of :mod:`lstmkit.limits`) and of scalers.json, that
the two agree, and that the weights fit the network they describe, before anything is
allocated; each failure is one :class:`~lstmkit.errors.ModelFileError` naming the file
and the field.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

from ...data.frequency import CALENDAR_FIELDS
from ...errors import ModelFileError
from ...limits import (
    MAX_FEATURES,
    MAX_HIDDEN_SIZE,
    MAX_LOOKBACK,
    MAX_MODELS,
    MAX_NUM_LAYERS,
    MAX_PATHS,
    MAX_STEPS,
)
from ...models.forecaster import ForecastEnsemble
from ...training import TrainConfig, load_model_dir, save_model_dir
from ...training.config_schema import Schema, check_bounds, validate
from ...training.model_files import load_weights
from .estimator import Forecaster, Resolved
from .features import Scalers
from .options import ForecastOptions

TASK = "forecast"  # the task name model directories are written under
CALENDAR = {f"{name}_{fn}" for name in CALENDAR_FIELDS for fn in ("sin", "cos")}


class Roles(Schema):
    """The column roles the model was trained with (the defaults of ``read``)."""

    target: list[str]
    time_col: str | None
    freq: str | None
    fill: str | None


class ForecastConfig(Schema):
    """The ``config`` of a forecaster's config.json."""

    options: ForecastOptions
    train: TrainConfig
    resolved: Resolved
    input_size: int
    n_known: int
    target_names: list[str]
    roles: Roles


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


BOUNDS = {"options.hidden_size": (1, MAX_HIDDEN_SIZE), "options.num_layers": (1, MAX_NUM_LAYERS),
          "options.n_models": (1, MAX_MODELS), "options.n_paths": (1, MAX_PATHS),
          "options.batch_size": (1, MAX_LOOKBACK), "resolved.horizon": (1, MAX_STEPS),
          "resolved.lookback": (1, MAX_LOOKBACK), "resolved.season": (1, MAX_LOOKBACK),
          "resolved.test_size": (0, MAX_LOOKBACK), "resolved.val_size": (0, MAX_LOOKBACK),
          "input_size": (1, MAX_FEATURES), "n_known": (0, MAX_FEATURES),
          "target_names": (1, MAX_FEATURES), "resolved.calendar": (0, len(CALENDAR))}


def write_forecaster(model: Forecaster, path: str | os.PathLike) -> Path:
    """Write a fitted forecaster's directory: config.json, model.safetensors, scalers.json."""
    config = {"options": asdict(model.options), "train": asdict(model.train),
              "resolved": asdict(model.resolved_),
              "input_size": model.net_.members[0].encoder.input_size,
              "n_known": model.net_.members[0].n_known,
              "target_names": model.target_names_, "roles": model.roles_}
    return save_model_dir(path, model.net_.state_dict(), config,
                          {"scalers": model.scalers_.to_dict()}, task=TASK)


def read_forecaster(path: str | os.PathLike) -> Forecaster:
    """The forecaster a directory written by :func:`write_forecaster` holds.

    Raises:
        ModelFileError: naming the file and field at fault.
    """
    path = Path(path)
    files = load_model_dir(path)
    if files.task != TASK:
        raise ModelFileError(f"{path}: a {files.task or 'untyped'!r} model, not a forecaster")
    where = path / "config.json"
    config = validate(ForecastConfig, files.config, where, prefix="config")
    check_bounds(config, BOUNDS, where, prefix="config")
    check_layout(config, where)
    scalers = read_scalers(files.transforms.get("scalers"), config, path / "scalers.json")
    model = Forecaster(train=config.train, **asdict(config.options))
    model.resolved_, model.roles_ = config.resolved, config.roles.model_dump()
    model.scalers_, model.target_names_ = scalers, config.target_names
    n_targets = len(config.target_names)
    model.net_ = load_weights(path, lambda: ForecastEnsemble(
        [model.build_net(config.input_size, n_targets, config.n_known)
         for _ in range(config.options.n_models)]), files.state_dict)
    return model


def check_layout(config: ForecastConfig, where: Path) -> None:
    """The encoder's inputs are ``[targets | past | future | calendar]`` and the known
    ones ``[future | calendar]``: the sizes saved must add up."""
    o, calendar = config.options, config.resolved.calendar
    unknown = sorted(set(calendar) - CALENDAR)
    if unknown:
        raise ModelFileError(f"{where}: field config.resolved.calendar: unknown calendar "
                             f"feature {unknown[0]!r}; valid: {', '.join(sorted(CALENDAR))}")
    n_known = len(o.future_covariates) + len(calendar)
    n_inputs = len(config.target_names) + len(o.past_covariates) + n_known
    for name, saved, derived in (("n_known", config.n_known, n_known),
                                 ("input_size", config.input_size, n_inputs)):
        if saved != derived:
            raise ModelFileError(f"{where}: field config.{name} is {saved}, but the targets, "
                                 f"covariates and calendar features it lists make {derived}")


def read_scalers(content: dict | None, config: ForecastConfig, where: Path) -> Scalers:
    """The scalers in scalers.json, checked against the targets and covariates."""
    if content is None:
        raise ModelFileError(f"{where}: missing from the model directory (config.json "
                             "lists no 'scalers' transform)")
    state = validate(ScalersFile, content, where)
    widths = {"target": len(config.target_names), "covariate": len(
        config.options.past_covariates) + len(config.options.future_covariates)}
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

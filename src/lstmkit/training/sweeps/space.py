"""The ``[sweep]`` table of an experiment file: what a sweep searches and optimises.

It mirrors the tables it varies: ``[sweep.train]`` ranges fields of ``[train]``,
``[sweep.task]`` fields of ``[task]``, each as an inline table::

    [sweep]
    metric = "val_loss"          # default: [train] monitor
    direction = "minimize"       # default: from [train] monitor_mode
    [sweep.train]
    lr = { type = "log-float", low = 1e-4, high = 1e-2 }
    [sweep.task]
    hidden_size = { type = "int", low = 8, high = 64, step = 8 }
    cell = { type = "categorical", choices = ["lstm", "gru"] }
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from ...errors import ConfigError
from ...settings import NonNegativeInt, Settings, build_settings

SWEPT_TABLES = ("train", "task")
Number = int | float
Choice = str | int | float | bool


@dataclass(frozen=True)
class ParamRange(Settings):
    """One swept setting.

    Attributes:
        type: ``"int"``, ``"float"``, ``"log-float"`` (sampled uniformly in log space)
            or ``"categorical"``.
        low: the smallest value (``int``, ``float``, ``log-float``).
        high: the largest value, included.
        step: the spacing of an ``int`` (default 1) or ``float`` range (default:
            continuous).
        choices: the values of a ``categorical`` parameter.
    """

    label: ClassVar[str] = "[sweep]"

    type: Literal["int", "float", "log-float", "categorical"]
    low: Number | None = None
    high: Number | None = None
    step: Number | None = None
    choices: tuple[Choice, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.type == "categorical":
            if not self.choices:
                raise ConfigError("needs a non-empty choices list (type categorical)")
            if self.low is not None or self.high is not None or self.step is not None:
                raise ConfigError("takes choices, not low/high/step (type categorical)")
            return
        if self.low is None or self.high is None or self.choices:
            raise ConfigError(f"needs low and high, and no choices (type {self.type})")
        if not self.low < self.high:
            raise ConfigError(f"is an empty range: low {self.low!r} must be < high "
                              f"{self.high!r}")
        self._check_numbers()

    def _check_numbers(self) -> None:
        ints = all(isinstance(v, int) for v in (self.low, self.high, self.step)
                   if v is not None)
        if self.type == "int" and not ints:
            raise ConfigError("needs integer low, high and step (type int)")
        if self.type == "log-float" and (self.low <= 0 or self.step is not None):
            raise ConfigError("needs low > 0 and no step (type log-float)")
        if self.step is not None and self.step <= 0:
            raise ConfigError(f"step must be > 0, got {self.step!r}")

    def suggest(self, trial: Any, name: str) -> Any:
        """The value ``trial`` (an ``optuna.Trial``) suggests for ``name``."""
        if self.type == "categorical":
            return trial.suggest_categorical(name, list(self.choices))
        if self.type == "int":
            return trial.suggest_int(name, self.low, self.high, step=self.step or 1)
        return trial.suggest_float(name, float(self.low), float(self.high),
                                   step=self.step, log=self.type == "log-float")

    def bounds(self) -> list[Any]:
        """The values that must each be a valid setting: both ends, or every choice."""
        return list(self.choices) if self.type == "categorical" else [self.low, self.high]


@dataclass(frozen=True)
class SweepOptions(Settings):
    """The scalar keys of the ``[sweep]`` table.

    Attributes:
        metric: the per-epoch validation metric to optimise (default: ``[train] monitor``,
            the task's headline validation metric).
        direction: ``"minimize"`` or ``"maximize"`` (default: ``[train] monitor_mode``
            when ``metric`` is the monitored one, else ``"minimize"``).
        pruner: ``"halving"`` (successive halving: after ``warmup_epochs + 1`` epochs,
            and again at 4x as many, a trial goes on only if it is in the best quarter of
            the trials that reached that epoch), ``"median"`` (stop a trial whose best
            value is worse than the median of complete trials at the same epoch),
            ``"hyperband"`` or ``"none"``.
        startup_trials: trials TPE samples at random before it models the results; no
            trial is pruned before as many trials are complete.
        warmup_epochs: epochs of each trial never pruned.
        seed: the sampler's seed (default: ``[train] seed``).
    """

    label: ClassVar[str] = "[sweep]"

    metric: str = ""
    direction: Literal["", "minimize", "maximize"] = ""
    pruner: Literal["halving", "median", "hyperband", "none"] = "halving"
    startup_trials: NonNegativeInt = 3
    warmup_epochs: NonNegativeInt = 1
    seed: NonNegativeInt | None = None


@dataclass(frozen=True)
class SweepSettings:
    """A checked ``[sweep]`` table.

    Attributes:
        metric, direction: what is optimised (defaults resolved).
        pruner, startup_trials, warmup_epochs, seed: see :class:`SweepOptions`.
        params: ``{"train.lr": ParamRange, "task.hidden_size": ...}``.
    """

    metric: str
    direction: Literal["minimize", "maximize"]
    pruner: str
    startup_trials: int
    warmup_epochs: int
    seed: int
    params: dict[str, ParamRange] = field(default_factory=dict)

    def suggest(self, trial: Any) -> dict[str, dict[str, Any]]:
        """The trial's settings as tables: ``{"train": {"lr": ...}, "task": {...}}``."""
        tables: dict[str, dict[str, Any]] = {}
        for name, spec in self.params.items():
            table, key = name.split(".", 1)
            tables.setdefault(table, {})[key] = spec.suggest(trial, name)
        return tables


def parse_sweep(table: Any, *, valid: Mapping[str, list[str]], monitor: str,
                monitor_mode: str, seed: int) -> SweepSettings:
    """Check a ``[sweep]`` table.

    Args:
        table: the raw table.
        valid: the field names of each swept table, ``{"train": [...], "task": [...]}``.
        monitor, monitor_mode, seed: the ``[train]`` values the defaults come from.

    Raises:
        ConfigError: naming the key at fault; an unknown parameter lists the valid ones.
    """
    if not isinstance(table, Mapping):
        raise ConfigError(f"[sweep] must be a table, got {table!r}")
    scalars = {k: v for k, v in table.items() if k not in SWEPT_TABLES}
    options = build_settings(SweepOptions, scalars, "[sweep]")
    params: dict[str, ParamRange] = {}
    for section in SWEPT_TABLES:
        params.update(_parse_params(table.get(section), section, valid[section]))
    if not params:
        raise ConfigError("[sweep] has nothing to search: add ranges under [sweep.train] "
                          "or [sweep.task], e.g. lr = { type = \"log-float\", low = 1e-4, "
                          "high = 1e-2 }")
    metric = options.metric or monitor
    direction = options.direction or ("maximize" if metric == monitor and
                                      monitor_mode == "max" else "minimize")
    return SweepSettings(metric, direction, options.pruner, options.startup_trials,
                         options.warmup_epochs, seed if options.seed is None else options.seed,
                         params)


def _parse_params(table: Any, section: str, valid: list[str]) -> dict[str, ParamRange]:
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise ConfigError(f"[sweep.{section}] must be a table, got {table!r}")
    params = {}
    for key, spec in table.items():
        where = f"[sweep.{section}] {key}"
        if key not in valid:
            raise ConfigError(f"{where}: unknown parameter; valid [{section}] keys: "
                              f"{', '.join(valid)}")
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{where} must be a table like {{ type = \"int\", low = 1, "
                              f"high = 8 }}, got {spec!r}")
        try:
            params[f"{section}.{key}"] = build_settings(ParamRange, spec, where)
        except ConfigError as exc:
            message = str(exc)
            raise ConfigError(message if where in message else f"{where} {message}"
                              ) from None
    return params

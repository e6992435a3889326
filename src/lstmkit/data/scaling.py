"""Per-series scaling fitted on the training part only, saved as JSON.

Each series and column gets its own mean and standard deviation (after an optional
log transform), so series of very different sizes share one model. Only the rows given
to :meth:`SeriesScaler.fit` are looked at: pass the training part, never the test part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError, DatasetError
from ..settings import Flag, PositiveFloat, Settings, build_settings

MIN_STD = 1e-8


class SeriesScaler:
    """Standardise each series' columns: ``(log(x) if log else x) - mean) / std``.

    Args:
        log: take the natural logarithm first (values must then be > 0).
        center: subtract the mean; without it the values are only divided by their
            std, so zero stays zero (a multiplicative season needs the true zero).

    Attributes:
        ids_: the series names seen by :meth:`fit`.
        mean_, std_: (S, C) statistics, one row per series.

    Example:
        >>> scaler = SeriesScaler().fit(["a"], [np.array([[1.0], [3.0]])])
        >>> scaler.transform("a", np.array([[3.0]]))
        array([[1.]])
        >>> scaler.inverse("a", np.array([[1.0]]))
        array([[3.]])
    """

    def __init__(self, *, log: bool = False, center: bool = True) -> None:
        self.log, self.center = log, center

    def fit(self, ids: list[str], parts: list[np.ndarray]) -> SeriesScaler:
        """Learn mean and std of each series from ``parts`` (per series, (T_i, C))."""
        self.ids_ = list(ids)
        stats = [self.statistics(part) for part in parts]
        self.mean_ = np.stack([m for m, _ in stats])  # (S, C)
        self.std_ = np.stack([s for _, s in stats])  # (S, C)
        return self

    def statistics(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std (floored at a tiny value) of ``values`` (T, C) after the log."""
        logged = self._forward_log(values)
        mean = logged.mean(axis=0) if self.center else np.zeros(logged.shape[1:])
        return mean, np.maximum(logged.std(axis=0), MIN_STD)

    def params(self, series: str, history: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) of a fitted series; a series not seen in fit uses ``history``'s."""
        if series in self.ids_:
            i = self.ids_.index(series)
            return self.mean_[i], self.std_[i]
        if history is None:
            raise DatasetError(f"SeriesScaler: unknown series {series!r}; known: "
                               f"{', '.join(self.ids_)}")
        return self.statistics(history)

    def transform(self, series: str, values: np.ndarray,
                  history: np.ndarray | None = None) -> np.ndarray:
        """Scale ``values`` (T, C) of ``series``."""
        mean, std = self.params(series, history if history is not None else values)
        return (self._forward_log(values) - mean) / std

    def inverse(self, series: str, values: np.ndarray,
                history: np.ndarray | None = None) -> np.ndarray:
        """Undo :meth:`transform` on ``values`` (..., C)."""
        mean, std = self.params(series, history)
        restored = values * std + mean
        return np.exp(restored) if self.log else restored

    def _forward_log(self, values: np.ndarray) -> np.ndarray:
        if not self.log:
            return values
        if (values <= 0).any():
            raise DatasetError("SeriesScaler: a log transform needs values > 0, got "
                               f"{values[values <= 0].flat[0]}; use log=False")
        return np.log(values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able state."""
        return {"log": self.log, "center": self.center, "ids": self.ids_,
                "mean": self.mean_.tolist(), "std": self.std_.tolist()}

    @classmethod
    def from_dict(cls, state: Any, *, columns: int, where: str = "SeriesScaler") -> SeriesScaler:
        """The scaler saved by :meth:`to_dict`, checked: ``columns`` statistics per series.

        Raises:
            ConfigError: naming ``where`` and the field at fault.
        """
        saved = build_settings(ScalerState, state, where)
        shape = (len(saved.ids), columns)  # (S, C)
        widths = {len(row) for row in saved.mean + saved.std}
        if len(saved.mean) != shape[0] or len(saved.std) != shape[0] or widths - {columns}:
            raise ConfigError(
                f"{where}: expected mean and std of {columns} column(s) per series, one row "
                f"per id; got {shape[0]} ids, {len(saved.mean)} and {len(saved.std)} rows of "
                f"widths {sorted(widths)}")
        scaler = cls(log=saved.log, center=saved.center)
        scaler.ids_ = list(saved.ids)
        scaler.mean_ = np.asarray(saved.mean, dtype=np.float64).reshape(shape)
        scaler.std_ = np.asarray(saved.std, dtype=np.float64).reshape(shape)
        return scaler


@dataclass(frozen=True)
class ScalerState(Settings):
    """A saved :class:`SeriesScaler` (each std > 0)."""

    log: Flag
    ids: tuple[str, ...]
    mean: tuple[tuple[float, ...], ...]
    std: tuple[tuple[PositiveFloat, ...], ...]
    center: Flag = True  # scalers saved before the flag existed were centred

"""Conformal calibration of the forecaster's intervals, so that the stated level is met.

**Method** (normalised split-conformal prediction, one calibration per forecast step).
After ``fit`` the model forecasts ``H = max(test_size, K)`` steps from origins rolled
through every series before its test part (the test part is never read), up to
:data:`MAX_WINDOWS` windows in all. The scores come from the actual values of the
validation part, which no weight was fitted to, for the first steps that have at least
:data:`MIN_SCORES` of them (all ``H`` when the validation part is long enough); only
when not even step 1 has that many (no or a tiny validation part) from every row before
the test part, the training rows included (in-sample errors are smaller than new ones,
so those intervals come out too narrow). For each step ``h`` and level, an
actual value ``y`` scores against the model's interval ``(lower, forecast, upper)``::

    s = (forecast - y) / (forecast - lower)   if y < forecast
    s = (y - forecast) / (upper - forecast)   otherwise

so that ``y`` lies inside ``[forecast - f (forecast - lower), forecast + f (upper -
forecast)]`` exactly when ``s <= f``. The factor ``f_h`` is the ``ceil((n + 1) level)``-th
smallest of the ``n`` scores of step ``h``: the split-conformal quantile (Vovk, Gammerman
& Shafer 2005, *Algorithmic Learning in a Random World*; Lei, G'Sell, Rinaldo, Tibshirani
& Wasserman 2018, *Distribution-Free Predictive Inference for Regression*, JASA 113:
split conformal, and its bands of locally varying length from scores divided by a local
spread, as in Papadopoulos et al. 2008's normalised nonconformity), calibrated per
horizon step as in Stankeviciute, Alaa & van der Schaar 2021, *Conformal Time-series
Forecasting*, NeurIPS). Every later forecast (hold-out, backtest, ``predict``) has its
interval widened (``f > 1``) or narrowed (``f < 1``) by ``f_h``, keeping its shape and
asymmetry; steps beyond the last calibrated one use its factor. Normalised scores are
unitless, so series of any scale share one calibration.

**Caveat.** The guarantee holds for exchangeable scores. Errors on the validation part
come closest (early stopping looked at it, nothing was fitted to it); errors on training
rows are smaller than on new data, so intervals calibrated on them can still fall short
of the level; and a series' errors drift over time. With one series the validation part
gives few scores per step (12 for the airline default), so the factors are noisy. The
hold-out ``coverage_<level>`` and MSIS say how it went.
"""

from __future__ import annotations

import math
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ...errors import ModelFileError
from ...limits import MAX_STEPS
from ...settings import Settings
from .prediction import forecast_after, level_name

if TYPE_CHECKING:
    from .estimator import Forecaster

METHOD = "split-conformal, normalised, per step"
MAX_WINDOWS = 512
"""At most this many calibration windows over all series (at most 48 per series)."""
MIN_ORIGINS = 4
"""Origins per series at least (when the series leave room for them)."""
MIN_SCORES = 10
"""Scores per step at least; steps with fewer take the factor of the step before."""
CHUNK = 64
"""Windows forecast per call (each rolled forward with ``n_paths`` sampled paths)."""


@dataclass(frozen=True)
class ConformalState(Settings):
    """The calibration saved with a model (key ``conformal`` of config.json's ``fitted``
    part): per level (``"80"``), one factor per step."""

    method: Literal["split-conformal, normalised, per step"]
    part: Literal["validation", "training"]
    scores: int
    factors: dict[str, tuple[float, ...]]


def read_calibration(state: ConformalState | None, levels: tuple[float, ...], where: Path
                     ) -> dict | None:
    """The checked calibration of a saved model (config.json ``where``), or None.

    Raises:
        ModelFileError: not one list of finite factors >= 0 per level of the settings.
    """
    if state is None:
        return None
    names = sorted(level_name(lv) for lv in levels)
    lists = state.factors.values()
    if sorted(state.factors) != names or any(
            not 0 < len(f) <= MAX_STEPS or not all(0 <= v < math.inf for v in f) for f in lists):
        raise ModelFileError(
            f"{where}: field config.fitted.conformal.factors: expected, for each level "
            f"({', '.join(names)}), 1 to {MAX_STEPS} finite factors >= 0; got levels "
            f"{', '.join(sorted(state.factors)) or 'none'} with {sorted(map(len, lists))} "
            "factors")
    content = asdict(state)
    return {**content, "factors": {k: list(v) for k, v in content["factors"].items()}}


def calibrate(model: Forecaster) -> dict | None:
    """The calibration of a just-fitted ``model`` (a JSON-ready :class:`ConformalState`):
    from the validation part's actual values for the steps that have :data:`MIN_SCORES`
    of them, else from all rows before the test part; None if not even step 1 has enough.

    Example (see the module docstring for the method):
        >>> calibrate.__name__
        'calibrate'
    """
    model.__dict__.pop("conformal_", None)  # score the network's own intervals
    steps = max(model.resolved_.test_size, model.resolved_.horizon)
    for part in ("validation", "training"):
        ids, ends = _origins(model, part, steps)
        if not ends:
            continue
        scores = _scores(model, ids, ends, steps, part)
        counts = np.isfinite(scores[model.levels[0]]).sum(axis=0)  # (steps,)
        enough = int(np.argmin(counts >= MIN_SCORES)) if counts.min() < MIN_SCORES else steps
        if enough > 0:  # later steps take the last calibrated step's factor
            factors = {level_name(lv): [conformal_quantile(scores[lv][:, h], lv)
                                        for h in range(enough)] for lv in model.levels}
            return {"method": METHOD, "part": part, "scores": int(counts[:enough].min()),
                    "factors": factors}
    return None


def _origins(model: Forecaster, part: str, steps: int) -> tuple[list[int], list[int]]:
    """Series indices and origins (rows where the forecasts start) to score: those whose
    forecasts reach the validation part, or any after the first lookback; at most
    :data:`MAX_WINDOWS` in all, evenly spaced, and none reading a test-part value."""
    r, ids, ends = model.resolved_, [], []
    per_series = max(MIN_ORIGINS, min(48, MAX_WINDOWS // len(model.splits_)))
    for i, split in enumerate(model.splits_):
        first = r.lookback if part == "training" else max(r.lookback, split.n_train - steps + 1)
        last = min(split.origin, split.n - max(steps, model.model_horizon)) - 1
        if (part == "validation" and split.n_train == split.origin) or last < first:
            continue
        count = min(per_series, last - first + 1)
        chosen = np.unique(np.linspace(first, last, count).round().astype(int))
        ids.extend([i] * len(chosen))
        ends.extend(int(e) for e in chosen)
    return ids, ends


def _scores(model: Forecaster, ids: list[int], ends: list[int], steps: int, part: str
            ) -> dict[float, np.ndarray]:
    """Per level, the (windows * targets, steps) scores of the windows starting at
    ``ends[j]`` of series ``ids[j]`` (NaN where the actual value lies outside ``part`` or
    in the test part), forecast in chunks of :data:`CHUNK`."""
    data, parts = model.data_, {lv: [] for lv in model.levels}
    for start in range(0, len(ends), CHUNK):
        pick, at = ids[start:start + CHUNK], ends[start:start + CHUNK]
        copies = replace(data, ids=[data.ids[i] for i in pick],
                         times=[data.times[i] for i in pick],
                         targets=[data.targets[i] for i in pick],
                         past=[data.past[i] for i in pick], future=[data.future[i] for i in pick])
        future = [np.zeros((max(steps, model.model_horizon), f.shape[1])) for f in copies.future]
        frame = forecast_after(model, copies, at, steps, future)
        actual = np.concatenate([_actuals(data.targets[i], model.splits_[i], e, steps, part)
                                 for i, e in zip(pick, at, strict=True)])  # (W*C, H)
        for lv in model.levels:
            parts[lv].append(score_rows(frame, actual, lv, steps))
    return {lv: np.concatenate(rows) for lv, rows in parts.items()}


def _actuals(targets: np.ndarray, split, end: int, steps: int, part: str) -> np.ndarray:
    """(C, steps): the actual values after ``end`` inside ``part``, NaN elsewhere; rows
    of the test part are never read."""
    first = split.n_train if part == "validation" else 0
    out = np.full((targets.shape[1], steps), np.nan)
    for h in range(steps):
        if first <= end + h < split.origin:
            out[:, h] = targets[end + h]
    return out


def score_rows(frame: pd.DataFrame, actual: np.ndarray, level: float, steps: int
               ) -> np.ndarray:
    """The normalised scores (rows, steps) of ``actual`` against the ``level`` interval
    of ``frame`` (rows in :func:`forecast_after`'s order: window, target, step)."""
    name = level_name(level)
    point, lower, upper = (frame[c].to_numpy().reshape(-1, steps) for c in
                           ("forecast", f"lower_{name}", f"upper_{name}"))
    below = actual < point
    spread = np.where(below, point - lower, upper - point)
    return np.abs(actual - point) / np.maximum(spread, 1e-12 * np.maximum(np.abs(point), 1))


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """The ``ceil((n + 1) level)``-th smallest of the ``n`` finite scores (the largest if
    that is beyond ``n``): the split-conformal quantile.

    Example:
        >>> conformal_quantile(np.arange(1.0, 11.0), 0.8)
        9.0
    """
    finite = np.sort(scores[np.isfinite(scores)])
    if len(finite) == 0:
        return 1.0
    k = min(math.ceil((len(finite) + 1) * level), len(finite))
    return float(finite[k - 1])


def apply_calibration(columns: MutableMapping[str, Any], calibration: dict | None,
                      steps: int) -> MutableMapping[str, Any]:
    """``columns`` (a frame, or a dict of its column arrays; per series and target, a
    block of ``steps`` rows in step order) with each calibrated level's interval scaled
    about the forecast by its step's factor, wider levels kept around narrower ones;
    unchanged without a calibration."""
    point = np.asarray(columns["forecast"])
    if not calibration or len(point) == 0:
        return columns
    step, inner = np.arange(len(point)) % steps, None
    for name in sorted(calibration["factors"], key=float):
        if f"lower_{name}" not in columns:
            continue
        factor = np.asarray(calibration["factors"][name])
        f = factor[np.minimum(step, len(factor) - 1)]
        lower = point - f * (point - np.asarray(columns[f"lower_{name}"]))
        upper = point + f * (np.asarray(columns[f"upper_{name}"]) - point)
        if inner is not None:  # nested: a wider level contains the narrower one
            lower, upper = np.minimum(lower, inner[0]), np.maximum(upper, inner[1])
        columns[f"lower_{name}"], columns[f"upper_{name}"], inner = lower, upper, (lower, upper)
    return columns

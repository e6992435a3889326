"""Conformal calibration of the forecaster's intervals, so that the stated level is met.

**Method** (normalised split-conformal prediction, one calibration per forecast step).
After ``fit`` the model forecasts ``H = max(test_size, K)`` steps from origins rolled
through the part of every series before its test part (training and validation: the
test part is never read), up to :data:`MAX_WINDOWS` windows in all. For each step ``h``
and level, an actual value ``y`` scores against the model's interval
``(lower, forecast, upper)``::

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
asymmetry; steps beyond ``H`` use ``f_H``. Normalised scores are unitless, so series of
any scale share one calibration.

**Caveat.** The guarantee holds for exchangeable scores; these are the fitted network's
errors on windows it was trained on (the validation windows excepted), which tend to be
smaller than on new data, so the calibrated intervals can still fall short of the level.
The hold-out ``coverage_<level>`` says how far.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from ...errors import ModelFileError
from ...limits import MAX_STEPS
from ...training.config_schema import Schema
from .prediction import forecast_after, level_name

if TYPE_CHECKING:
    from .estimator import Forecaster

METHOD = "split-conformal, normalised, per step"
MAX_WINDOWS = 512
"""At most this many calibration windows over all series (at most 48 per series)."""
MIN_ORIGINS = 4
"""Fewer origins per series than this and the intervals stay uncalibrated."""
CHUNK = 64
"""Windows forecast per call (each rolled forward with ``n_paths`` sampled paths)."""


class ConformalState(Schema):
    """The calibration saved with a model (key ``conformal`` of config.json's ``fitted``
    part): per level (``"80"``), one factor per step."""

    method: Literal["split-conformal, normalised, per step"]
    scores: int
    factors: dict[str, list[float]]


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
    return state.model_dump()


def calibrate(model: Forecaster) -> dict | None:
    """The calibration of a just-fitted ``model`` (a JSON-ready :class:`ConformalState`),
    or None when its series leave fewer than :data:`MIN_ORIGINS` origins.

    Example (see the module docstring for the method):
        >>> calibrate.__name__
        'calibrate'
    """
    model.__dict__.pop("conformal_", None)  # score the network's own intervals
    r, data = model.resolved_, model.data_
    wanted = max(r.test_size, r.horizon)
    room = min(s.origin for s in model.splits_) - r.lookback
    steps = min(wanted, room - MIN_ORIGINS + 1)
    if steps < 1:
        return None
    per_series = max(MIN_ORIGINS, min(48, MAX_WINDOWS // len(data.ids)))
    ids, ends = [], []
    for i, split in enumerate(model.splits_):
        last = split.origin - steps
        count = min(per_series, last - r.lookback + 1)
        for end in np.unique(np.linspace(r.lookback, last, count).round().astype(int)):
            ids.append(i)
            ends.append(int(end))
    scores = _scores(model, ids, ends, steps)
    factors = {level_name(lv): [conformal_quantile(scores[lv][:, h], lv) for h in range(steps)]
               for lv in model.levels}
    return {"method": METHOD, "scores": int(scores[model.levels[0]].shape[0]),
            "factors": factors}


def _scores(model: Forecaster, ids: list[int], ends: list[int], steps: int
            ) -> dict[float, np.ndarray]:
    """Per level, the (windows * targets, steps) scores of the windows ending at
    ``ends[j]`` of series ``ids[j]``, forecast in chunks of :data:`CHUNK`."""
    data, parts = model.data_, {lv: [] for lv in model.levels}
    for start in range(0, len(ends), CHUNK):
        pick = ids[start:start + CHUNK]
        copies = replace(data, ids=[data.ids[i] for i in pick],
                         times=[data.times[i] for i in pick],
                         targets=[data.targets[i] for i in pick],
                         past=[data.past[i] for i in pick], future=[data.future[i] for i in pick])
        future = [np.zeros((max(steps, model.model_horizon), f.shape[1])) for f in copies.future]
        frame = forecast_after(model, copies, ends[start:start + CHUNK], steps, future)
        actual = np.concatenate([copies.targets[j][e:e + steps].T for j, e in
                                 enumerate(ends[start:start + CHUNK])])  # (W*C, H)
        for lv in model.levels:
            parts[lv].append(score_rows(frame, actual, lv, steps))
    return {lv: np.concatenate(rows) for lv, rows in parts.items()}


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


def apply_calibration(frame: pd.DataFrame, calibration: dict | None) -> pd.DataFrame:
    """``frame`` (rows per series and target in step order) with each calibrated level's
    interval scaled about the forecast by its step's factor, wider levels kept around
    narrower ones; unchanged without a calibration."""
    if not calibration or frame.empty:
        return frame
    step = frame.groupby(["series", "target"], sort=False).cumcount().to_numpy()
    point, inner = frame["forecast"].to_numpy(), None
    names = sorted(calibration["factors"], key=float)
    for name in names:
        if f"lower_{name}" not in frame:
            continue
        factor = np.asarray(calibration["factors"][name])
        f = factor[np.minimum(step, len(factor) - 1)]
        lower = point - f * (point - frame[f"lower_{name}"].to_numpy())
        upper = point + f * (frame[f"upper_{name}"].to_numpy() - point)
        if inner is not None:  # nested: a wider level contains the narrower one
            lower, upper = np.minimum(lower, inner[0]), np.maximum(upper, inner[1])
        frame[f"lower_{name}"], frame[f"upper_{name}"], inner = lower, upper, (lower, upper)
    return frame

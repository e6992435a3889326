"""Per-window level, trend and seasonality: the normalisation of the ``seasonal`` forecaster.

In the spirit of Smyl's ES-RNN (M4 winner; Smyl 2020, IJF 36(1)) the network does not
see raw levels: each window is deseasonalised and made relative to its own level (in
log space, with the forecaster's ``log``, so: divided by it), and the network predicts a
correction on top of the window's own forecast, "level + damped trend + seasonal
profile". Unlike ES-RNN, level, trend and profile are not smoothed with learned
coefficients over the whole series but estimated from the window itself (a classical
decomposition of its last whole seasons), so forecasting from any origin needs only
the window. The anchor alone is a damped-trend, seasonal forecast in the family of
Holt-Winters; the network learns what else the window tells.

How much of the trend to carry on (its damping), how much the seasonal profile
follows the last season rather than the average of the window's seasons, and, for
positive series, whether the season is additive or multiplicative (a swing that grows
with the level, as in Holt-Winters' multiplicative form) are chosen once per model, on
the training windows (:func:`choose_anchor`), the way exponential smoothing chooses its
smoothing constants and form on the training data.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

#: The trend's damping per step (Gardner & McKenzie's damped trend) of models saved
#: before it was chosen on the data.
DAMPING = 0.95
#: The candidates of :func:`choose_anchor`: dampings (0: no trend) and weights of the
#: last season in the profile (0: the average season of the window, 1: the last one).
DAMPINGS = (0.0, 0.8, 0.9, 0.95, 0.98)
RECENT_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
#: The smallest season mean a multiplicative profile divides by.
MIN_LEVEL = 1e-6


@dataclass
class SeasonalWindow:
    """A window split into level, trend, seasonal profile and the normalised rest.

    Attributes:
        normalised: (B, L, C) the targets minus profile and the level at the window's end.
        anchor: (B, K, C) that level, the damped trend and the profile continued.
    """

    normalised: Tensor
    anchor: Tensor


def whole_seasons(z: Tensor, season: int) -> Tensor | None:
    """The window's last ``L // season`` whole seasons, (B, n, m, C); None without one
    (no season, or a window shorter than it)."""
    batch, length, channels = z.shape
    cycles = length // season if season > 1 else 0
    if cycles == 0:
        return None
    return z[:, length - cycles * season:].reshape(batch, cycles, season, channels)


def seasonal_profile(z: Tensor, season: int, weight: float = 0.0,
                     multiplicative: bool = False) -> tuple[Tensor, Tensor, int]:
    """The mean deviation of each phase from its season's mean (less the trend between
    the first and last season means) over the window's last ``L // season`` whole
    seasons, mixed with weight ``weight`` with the last season's own deviations,
    (B, m, C); the phase of every row (L,); the number of whole seasons (0: no
    profile). ``multiplicative``: the deviations as ratios to the season's mean
    (1: none), for positive series whose seasonal swing grows with their level."""
    batch, length, channels = z.shape
    recent = whole_seasons(z, season)  # (B, n, m, C)
    if recent is None:
        none = z.new_ones if multiplicative else z.new_zeros
        return none(batch, 1, channels), torch.zeros(length, dtype=torch.long), 0
    cycles = recent.shape[1]
    start = length - cycles * season
    means = recent.mean(dim=2, keepdim=True)  # (B, n, 1, C)
    slope = (means[:, -1:] - means[:, :1]) / max((cycles - 1) * season, 1)  # per row
    within = (torch.arange(season, dtype=z.dtype) - (season - 1) / 2).view(1, 1, season, 1)
    detrended = recent - slope * within  # (B, n, m, C)
    deviations = (detrended / means.clamp_min(MIN_LEVEL) if multiplicative
                  else detrended - means)
    profile = deviations.mean(dim=1)
    if weight:
        profile = (1 - weight) * profile + weight * deviations[:, -1]
    return profile, (torch.arange(length) - start) % season, cycles


def decompose_window(z: Tensor, season: int, horizon: int, *, damping: float = DAMPING,
                     recent: float = 0.0, multiplicative: bool = False) -> SeasonalWindow:
    """Deseasonalise the windows ``z`` (B, L, C) and make them relative to their level.

    The level is the mean of the last season (``max(season, 1)`` rows) of the
    deseasonalised window, moved to its last row along the trend; the trend is the
    change between the means of its last two seasons (0 with fewer rows), damped by
    ``damping`` per step ahead (0: no trend). ``recent`` weighs the last season's
    profile against the average one (:func:`seasonal_profile`). ``multiplicative``
    divides the window by its profile of ratios and multiplies the continued level by
    it; the window must then be in a scale whose zero is the series' zero.

    Example:
        >>> z = torch.tensor([0.0, 1.0, 0.0, 1.0]).repeat(2).view(1, 8, 1) + 5
        >>> w = decompose_window(z, 2, 3)
        >>> w.anchor.flatten().tolist(), float(w.normalised.abs().max())
        ([5.0, 6.0, 5.0], 0.0)
    """
    length = z.shape[1]
    profile, phase, _ = seasonal_profile(z, season, recent, multiplicative)
    deseason = z / profile[:, phase] if multiplicative else z - profile[:, phase]  # (B, L, C)
    rows = max(1, min(season, length))
    last = deseason[:, -rows:].mean(dim=1, keepdim=True)  # (B, 1, C)
    slope = torch.zeros_like(last)
    if damping > 0 and length >= 2 * rows and rows > 1:
        slope = (last - deseason[:, -2 * rows:-rows].mean(dim=1, keepdim=True)) / rows
    level = last + slope * (rows - 1) / 2  # at the last row
    powers = damping ** torch.arange(1, horizon + 1, dtype=z.dtype)
    trend = torch.cumsum(powers, 0).view(1, horizon, 1) * slope  # (B, K, C)
    ahead = torch.arange(horizon) % profile.shape[1]  # step k has phase (k - 1) mod m
    ahead_profile = profile[:, ahead]
    return SeasonalWindow(deseason - level, (level + trend) * ahead_profile if multiplicative
                          else level + trend + ahead_profile)


def multiplicative_fits(z: Tensor, season: int, recent: float = 0.0) -> Tensor:
    """(B,) whether a multiplicative season can be read from each window ``z`` (B, L, C):
    every whole season's mean and every phase's ratio of the profile (with last-season
    weight ``recent``) above zero, the two things :func:`decompose_window` divides by. A
    single value <= 0 passes when its seasons still average above zero.

    Example:
        >>> z = torch.tensor([1.0, 3.0, 1.0, 3.0]).view(1, 4, 1)
        >>> multiplicative_fits(z, 2).tolist(), multiplicative_fits(-z, 2).tolist()
        ([True], [False])
    """
    seasons = whole_seasons(z, season)
    if seasons is None:
        return torch.ones(z.shape[0], dtype=torch.bool)
    profile = seasonal_profile(z, season, recent, multiplicative=True)[0]
    return (seasons.mean(dim=2) > 0).flatten(1).all(1) & (profile > 0).flatten(1).all(1)


def choose_anchor(z: Tensor, y: Tensor, season: int, *, forms: tuple[bool, ...] = (False,)
                  ) -> tuple[float, float, bool]:
    """The damping, last-season weight and seasonal form (among :data:`DAMPINGS`,
    :data:`RECENT_WEIGHTS` and ``forms``: False additive, True multiplicative) whose
    anchor alone has the least mean absolute error on the training windows ``z``
    (N, L, C) with their targets ``y`` (N, K, C): the choice of an exponential-smoothing
    model's constants (and of its additive or multiplicative season) on its training
    data, here a grid because a few constants on whole windows cost a few tensor
    operations.

    Example:
        >>> t = torch.arange(40.0).view(1, 40, 1)  # a straight line: keep the trend
        >>> choose_anchor(t[:, :24].repeat(3, 1, 1), t[:, 24:28].repeat(3, 1, 1), 4)[0]
        0.98
    """
    horizon = y.shape[1]
    errors = {(d, w, m): float((decompose_window(z, season, horizon, damping=d, recent=w,
                                                 multiplicative=m).anchor - y).abs().mean())
              for d in DAMPINGS for w in (RECENT_WEIGHTS if season > 1 else (0.0,))
              for m in forms}
    return min(errors, key=errors.get)

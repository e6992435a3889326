"""Per-window level, trend and seasonality: the normalisation of the ``seasonal`` forecaster.

In the spirit of Smyl's ES-RNN (M4 winner; Smyl 2020, IJF 36(1)) the network does not
see raw levels: each window is deseasonalised and made relative to its own level (in
log space for positive series, so: divided by it), and the network predicts a
correction on top of the window's own forecast, "level + damped trend + seasonal
profile". Unlike ES-RNN, level, trend and profile are not smoothed with learned
coefficients over the whole series but estimated from the window itself (a classical
decomposition of its last whole seasons), so forecasting from any origin needs only
the window. The anchor alone is a damped-trend, seasonal forecast in the family of
Holt-Winters; the network learns what else the window tells.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

#: The trend's damping per step (Gardner & McKenzie's damped trend), fixed.
DAMPING = 0.95


@dataclass
class SeasonalWindow:
    """A window split into level, trend, seasonal profile and the normalised rest.

    Attributes:
        normalised: (B, L, C) the targets minus profile and the level at the window's end.
        anchor: (B, K, C) that level, the damped trend and the profile continued.
    """

    normalised: Tensor
    anchor: Tensor


def seasonal_profile(z: Tensor, season: int) -> tuple[Tensor, Tensor, int]:
    """The mean deviation of each phase from its season's mean (less the trend between
    the first and last season means) over the window's last ``L // season`` whole
    seasons, (B, m, C); the phase of every row (L,); the number of
    whole seasons (0: no profile, zeros)."""
    batch, length, channels = z.shape
    cycles = length // season if season > 1 else 0
    if cycles == 0:
        return z.new_zeros(batch, 1, channels), torch.zeros(length, dtype=torch.long), 0
    start = length - cycles * season
    recent = z[:, start:].reshape(batch, cycles, season, channels)  # (B, n, m, C)
    means = recent.mean(dim=2, keepdim=True)  # (B, n, 1, C)
    slope = (means[:, -1:] - means[:, :1]) / max((cycles - 1) * season, 1)  # per row
    within = (torch.arange(season, dtype=z.dtype) - (season - 1) / 2).view(1, 1, season, 1)
    profile = (recent - means - slope * within).mean(dim=1)  # (B, m, C), trend removed
    return profile, (torch.arange(length) - start) % season, cycles


def decompose_window(z: Tensor, season: int, horizon: int, *, damping: float = DAMPING
                     ) -> SeasonalWindow:
    """Deseasonalise the windows ``z`` (B, L, C) and make them relative to their level.

    The level is the mean of the last season (``max(season, 1)`` rows) of the
    deseasonalised window, moved to its last row along the trend; the trend is the
    change between the means of its last two seasons (0 with fewer rows), damped by
    ``damping`` per step ahead (0: no trend).

    Example:
        >>> z = torch.tensor([0.0, 1.0, 0.0, 1.0]).repeat(2).view(1, 8, 1) + 5
        >>> w = decompose_window(z, 2, 3)
        >>> w.anchor.flatten().tolist(), float(w.normalised.abs().max())
        ([5.0, 6.0, 5.0], 0.0)
    """
    length = z.shape[1]
    profile, phase, _ = seasonal_profile(z, season)
    deseason = z - profile[:, phase]  # (B, L, C)
    rows = max(1, min(season, length))
    last = deseason[:, -rows:].mean(dim=1, keepdim=True)  # (B, 1, C)
    slope = torch.zeros_like(last)
    if damping > 0 and length >= 2 * rows and rows > 1:
        slope = (last - deseason[:, -2 * rows:-rows].mean(dim=1, keepdim=True)) / rows
    level = last + slope * (rows - 1) / 2  # at the last row
    powers = damping ** torch.arange(1, horizon + 1, dtype=z.dtype)
    trend = torch.cumsum(powers, 0).view(1, horizon, 1) * slope  # (B, K, C)
    ahead = torch.arange(horizon) % profile.shape[1]  # step k has phase (k - 1) mod m
    return SeasonalWindow(deseason - level, level + trend + profile[:, ahead])

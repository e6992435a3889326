"""Forecasts of any length from a window: one direct call, or blocks fed back as inputs.

Up to ``horizon`` steps, the network's output is used as it is: point forecast and
interval bounds come straight from its quantiles (or Gaussian). Further out
(autoregressive mode, or a direct model asked for more than ``horizon`` steps) the
forecast is rolled forward block by block, each block's values appended to the window:
the point forecast follows the median path (every draw at its median), the intervals are
quantiles of ``n_paths`` sampled paths, so uncertainty grows with the steps as it should.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass
class RolledForecast:
    """Scaled forecasts for a batch of windows.

    Attributes:
        point: (B, n, C) point forecasts.
        bounds: ``{level: (lower, upper)}``, each (B, n, C), with
            ``lower <= point <= upper`` and wider levels containing narrower ones.
    """

    point: Tensor
    bounds: dict[float, tuple[Tensor, Tensor]]


@torch.inference_mode()
def rollout(net: nn.Module, x: Tensor, known: Tensor, steps: int, *, levels: tuple[float, ...],
            n_paths: int = 200, seed: int = 0, series: Tensor | None = None,
            beyond: str = "correct") -> RolledForecast:
    """Forecast ``steps`` steps after each window.

    Args:
        net: a :class:`~lstmkit.models.forecast_net.ForecastNet` (or ensemble) with
            attributes ``horizon`` and ``dist``; targets are its first ``C`` input features
            and the known features its last ``F``.
        x: (B, L, I) windows. known: (B, max(steps, K), F) known features after them.
        steps: n, the steps to forecast.
        levels: the interval levels, e.g. ``(0.8,)``.
        n_paths: sampled paths when rolling forward.
        seed: seeds the path sampler, so forecasts are reproducible.
        series: (B,) each window's series index (for an id embedding), or None.
        beyond: the blocks after the first ``horizon`` steps: ``"correct"``, the
            network's forecast from the rolled window (its anchor and correction);
            ``"anchor"``, the rolled window's anchor alone, the interval offsets kept
            (the correction was trained and validated on real windows only);
            ``"continue"``, the network's correction from the rolled window on the
            origin window's own anchor carried on over all the steps: its damped trend
            keeps decaying from step to step (as exponential smoothing's does), where a
            rolled window estimates the trend again from its own fed-back forecasts.
    """
    if net.training:  # eval() walks every submodule: a tenth of a small model's call
        net.eval()
    horizon, dist = net.horizon, net.dist
    if steps <= horizon:
        out = net(x, known[:, :horizon], series)[:, :steps]  # (B, K, C, Q) -> (B, n, C, Q)
        bounds = {lv: (dist.quantile(out, 0.5 - lv / 2), dist.quantile(out, 0.5 + lv / 2))
                  for lv in levels}
        return RolledForecast(dist.point(out), bounds)
    paths = _sample_paths(net, x, known, steps, n_paths + 1, seed, series,
                          beyond)  # (S, B, n, C)
    point = paths[0]
    probs = torch.tensor([p for lv in levels for p in (0.5 - lv / 2, 0.5 + lv / 2)],
                         dtype=paths.dtype)
    qs = torch.quantile(paths[1:], probs, dim=0)  # (2 * levels, B, n, C)
    bounds = {lv: (torch.minimum(qs[2 * i], point), torch.maximum(qs[2 * i + 1], point))
              for i, lv in enumerate(levels)}
    return RolledForecast(point, bounds)


def _sample_paths(net: nn.Module, x: Tensor, known: Tensor, steps: int, n_paths: int,
                  seed: int, series: Tensor | None, beyond: str = "correct") -> Tensor:
    """Paths (S, B, n, C); path 0 draws every block at its median (z = 0)."""
    horizon, dist = net.horizon, net.dist
    batch, lookback = x.shape[0], x.shape[1]
    n_targets = x.shape[2] - known.shape[2]
    generator = torch.Generator().manual_seed(seed)
    rows = torch.cat([x, torch.zeros(batch, steps, x.shape[2])], dim=1)  # (B, L + n, I)
    rows = rows.repeat(n_paths, 1, 1)  # (S*B, L + n, I)
    known = known.repeat(n_paths, 1, 1)  # (S*B, n', F)
    series = None if series is None else series.repeat(n_paths)
    origin = net.anchor(x, steps) if beyond == "continue" else None
    if origin is not None:  # the same for every path: computed once, then repeated
        origin = origin.repeat(n_paths, 1, 1)
    filled = 0
    while filled < steps:
        start = min(filled, steps - horizon)
        window = rows[:, start:start + lookback]  # (S*B, L, I)
        out = net(window, known[:, start:start + horizon], series)  # (S*B, K, C, Q)
        if beyond != "correct" and filled > 0:
            out = _on_anchor(net, window, out, None if origin is None
                             else origin[:, start:start + horizon])
        z = torch.randn(n_paths, batch, 1, out.shape[2], generator=generator)
        z[0] = 0.0
        values = dist.sample(out, z.reshape(n_paths * batch, 1, -1))  # (S*B, K, C)
        new = slice(filled - start, horizon)
        block = torch.cat([values[:, new], known[:, filled:start + horizon]], dim=-1)
        rows[:, lookback + filled:lookback + start + horizon] = block
        filled = start + horizon
    targets = rows[:, lookback:, :n_targets]  # (S*B, n, C)
    return targets.reshape(n_paths, batch, steps, n_targets)


def _on_anchor(net: nn.Module, window: Tensor, out: Tensor, origin: Tensor | None
               ) -> Tensor:
    """``out`` (S*B, K, C, Q) with its location moved onto the rolled window's anchor
    (``origin`` None), or with the rolled window's anchor under its correction swapped
    for ``origin`` (S*B, K, C); the interval offsets kept (:meth:`OutputDistribution.shift`)."""
    anchor = net.anchor(window)  # (S*B, K, C)
    if anchor is None:
        return out
    moved = anchor - net.dist.point(out) if origin is None else origin - anchor
    return net.dist.shift(out, moved)

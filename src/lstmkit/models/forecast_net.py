"""The forecasting network: a recurrent encoder from ``lstmkit.layers`` and a multi-step head.

``ForecastNet`` reads a window of ``lookback`` rows (targets and covariates) and outputs,
for each of the next ``horizon`` steps and each target, either ordered quantiles or a
Gaussian's mean and scale. Direct forecasting uses ``horizon = K``; autoregressive
forecasting trains ``horizon = 1`` and feeds its forecasts back (see
:mod:`lstmkit.tasks.forecasting.rollout`). With ``window_norm`` the targets are read and
predicted relative to the window's mean level, so trends beyond the training range
extrapolate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..layers import Recurrent
from .seasonal_window import DAMPING, decompose_window

DISTRIBUTIONS = ("quantile", "gaussian")


@dataclass(frozen=True)
class OutputDistribution:
    """How the head's last dimension ``Q`` is read.

    ``"quantile"``: ``Q`` ordered quantiles at ``quantiles`` (must include 0.5, the point
    forecast), trained with the pinball loss. ``"gaussian"``: ``Q = 2``, mean (the point
    forecast) and standard deviation, trained with the Gaussian negative log-likelihood.

    Example:
        >>> dist = OutputDistribution("gaussian")
        >>> out = torch.tensor([[0.0, 1.0]])
        >>> round(float(dist.quantile(out, 0.9)[0]), 4)
        1.2816
    """

    kind: str = "quantile"
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)

    @property
    def size(self) -> int:
        """``Q``: outputs per step and target."""
        return len(self.quantiles) if self.kind == "quantile" else 2

    @property
    def median_index(self) -> int:
        """Index of the 0.5 quantile."""
        return self.quantiles.index(0.5)

    def loss(self, out: Tensor, y: Tensor) -> Tensor:
        """Mean pinball loss or Gaussian NLL of ``out`` (..., Q) for targets ``y`` (...)."""
        if self.kind == "gaussian":
            return F.gaussian_nll_loss(out[..., 0], y, out[..., 1] ** 2)
        q = out.new_tensor(self.quantiles)  # (Q,)
        error = y.unsqueeze(-1) - out  # (..., Q)
        return torch.maximum(q * error, (q - 1) * error).mean()

    def point(self, out: Tensor) -> Tensor:
        """The point forecast: the median (quantile) or the mean (Gaussian). (..., Q) -> (...)"""
        return out[..., self.median_index if self.kind == "quantile" else 0]

    def shift(self, out: Tensor, by: Tensor) -> Tensor:
        """``out`` (..., Q) with its location moved by ``by`` (...): every quantile alike
        (a Gaussian: its mean), so the interval's offsets from the point stay."""
        if self.kind == "quantile":
            return out + by.unsqueeze(-1)
        return torch.cat([out[..., :1] + by.unsqueeze(-1), out[..., 1:]], dim=-1)

    def quantile(self, out: Tensor, p: float) -> Tensor:
        """The ``p`` quantile. (..., Q) -> (...)"""
        if self.kind == "gaussian":
            return out[..., 0] + normal_quantile(p) * out[..., 1]
        index = min(range(len(self.quantiles)), key=lambda i: abs(self.quantiles[i] - p))
        if abs(self.quantiles[index] - p) > 1e-6:
            raise ValueError(f"OutputDistribution: no {p} quantile among {self.quantiles}")
        return out[..., index]

    def sample(self, out: Tensor, z: Tensor) -> Tensor:
        """Draws for standard-normal ``z`` (broadcast against ``out[..., 0]``).

        Quantile outputs are interpolated linearly in normal-score space between the
        predicted quantiles and extrapolated with the outer slopes.
        """
        if self.kind == "gaussian":
            return out[..., 0] + z * out[..., 1]
        scores = [normal_quantile(q) for q in self.quantiles]
        z = z.expand(out.shape[:-1])
        value = out[..., 0] + (z - scores[0]) * _slope(out, scores, 0)
        for i in range(len(scores) - 1):
            inside = z > scores[i]
            value = torch.where(inside, out[..., i] + (z - scores[i]) * _slope(out, scores, i),
                                value)
        return value


def _slope(out: Tensor, scores: list[float], i: int) -> Tensor:
    i = min(i, len(scores) - 2)
    return (out[..., i + 1] - out[..., i]) / (scores[i + 1] - scores[i])


def normal_quantile(p: float) -> float:
    """The standard normal's ``p`` quantile.

    Example:
        >>> round(normal_quantile(0.975), 3)
        1.96
    """
    return math.sqrt(2.0) * torch.special.erfinv(torch.tensor(2.0 * p - 1.0)).item()


class ForecastNet(nn.Module):
    """A recurrent encoder over a window and a linear head for the next ``horizon`` steps.

    Args:
        input_size: features ``I`` per encoder row: targets first (``n_targets``), then
            covariates.
        n_targets: ``C``, the target columns (the first ``C`` input features).
        n_known: ``F``, features known for each forecast step (future covariates,
            calendar); 0 for none.
        horizon: ``K``, steps predicted at once.
        hidden_size, num_layers, dropout, bidirectional: as ``torch.nn.LSTM``.
        cell: any registered cell name (``"lstm"``, ``"peephole"``, ``"gru"``, ...).
        distribution: ``"quantile"`` or ``"gaussian"``.
        quantiles: the quantile levels, with 0.5, for ``"quantile"``.
        window_norm: read and predict the targets relative to the window's mean.
        season: with ``window_norm``, read and predict the targets relative to the
            window's level and seasonal profile of this period instead (the ``seasonal``
            model, :func:`~lstmkit.models.seasonal_window.decompose_window`); 0 for the
            window's mean.
        damping, recent, multiplicative: the seasonal anchor's trend damping,
            last-season weight and seasonal form
            (:func:`~lstmkit.models.seasonal_window.choose_anchor`).
        blend: how much of the network's correction to add to the anchor (1: all of it;
            0: the anchor alone); chosen on the validation windows by the forecaster.
        window: the window length the forecaster feeds (its lookback), if known: an
            exported ``seasonal`` network takes windows of exactly this length.
        n_series, id_embedding: with ``id_embedding > 0``, a learned vector of that size
            per series (of ``n_series``) joins every encoder row, so one global model
            can tell many series apart; a series index of -1 (a series not seen in
            training) or no index gets the mean of the learned vectors.

    Shape:
        - x: (B, L, I) window, batch first. future: (B, K, F). series: (B,) int64 or None.
        - output: (B, K, C, Q) with ``Q`` from :class:`OutputDistribution`.

    Example:
        >>> net = ForecastNet(input_size=3, n_targets=1, n_known=2, horizon=4)
        >>> tuple(net(torch.randn(8, 24, 3), torch.randn(8, 4, 2)).shape)
        (8, 4, 1, 3)
    """

    def __init__(self, *, input_size: int, n_targets: int, n_known: int, horizon: int,
                 hidden_size: int = 32, num_layers: int = 1, cell: str = "lstm",
                 bidirectional: bool = False, dropout: float = 0.0,
                 distribution: str = "quantile", quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
                 window_norm: bool = True, season: int = 0, damping: float = DAMPING,
                 recent: float = 0.0, multiplicative: bool = False, blend: float = 1.0,
                 window: int | None = None, n_series: int = 0, id_embedding: int = 0) -> None:
        super().__init__()
        if distribution not in DISTRIBUTIONS:
            raise ValueError(f"ForecastNet: distribution must be one of "
                             f"{', '.join(DISTRIBUTIONS)}, got {distribution!r}")
        if distribution == "quantile" and 0.5 not in quantiles:
            raise ValueError(f"ForecastNet: quantiles must include 0.5, got {quantiles}")
        self.input_size, self.n_targets, self.n_known = input_size, n_targets, n_known
        self.horizon = horizon
        self.window_norm, self.season = window_norm, season
        self.damping, self.recent, self.blend = damping, recent, blend
        self.multiplicative = multiplicative
        self.window = window
        self.dist = OutputDistribution(distribution, tuple(sorted(quantiles)))
        self.series_embedding = (nn.Embedding(max(n_series, 1), id_embedding)
                                 if id_embedding else None)
        self.encoder = Recurrent(input_size + id_embedding, hidden_size, num_layers,
                                 batch_first=True,
                                 dropout=dropout, bidirectional=bidirectional, cell=cell)
        context = self.encoder.num_directions * self.encoder.output_size
        self.head = nn.Linear(context + horizon * n_known, horizon * n_targets * self.dist.size)

    def forward(self, x: Tensor, future: Tensor, series: Tensor | None = None) -> Tensor:
        """Forecast distribution parameters; see the class docstring for shapes."""
        return self.from_normalised(*self._normalise(x), future, series)

    def from_normalised(self, x: Tensor, anchor: Tensor | None, future: Tensor,
                        series: Tensor | None = None) -> Tensor:
        """:meth:`forward` on a window already made relative by :meth:`_normalise` (an
        ensemble normalises once for all its members)."""
        if self.series_embedding is not None:
            x = torch.cat([x, self._series_vectors(series, x.shape[0])
                           .unsqueeze(1).expand(-1, x.shape[1], -1)], dim=-1)
        _, state = self.encoder(x)
        h = state[0] if isinstance(state, tuple) else state  # (L*D, B, H)
        d = self.encoder.num_directions
        context = h[-d:].transpose(0, 1).reshape(x.shape[0], -1)  # (D, B, H) -> (B, D*H)
        features = torch.cat([context, future.reshape(x.shape[0], -1)], dim=-1)
        raw = self.head(features).view(x.shape[0], self.horizon, self.n_targets, self.dist.size)
        out = self._constrain(raw)  # (B, K, C, Q)
        if anchor is not None:  # the location moves to anchor + blend * correction
            out = self.dist.shift(out, anchor - (1.0 - self.blend) * self.dist.point(out))
        return out

    def _series_vectors(self, series: Tensor | None, batch: int) -> Tensor:
        """(B, E): each window's series vector; the mean vector for index -1 or None."""
        table = self.series_embedding.weight
        mean = table.mean(dim=0, keepdim=True)
        if series is None:
            return mean.expand(batch, -1)
        known = (series >= 0).unsqueeze(-1)
        return torch.where(known, table[series.clamp_min(0)], mean)

    def anchor(self, x: Tensor, steps: int | None = None) -> Tensor | None:
        """What the network's correction is added to, (B, steps, C), ``steps`` K by
        default: the window's level (and damped trend and seasonal profile, for the
        ``seasonal`` model) carried on; None without ``window_norm``."""
        return self._normalise(x, steps)[1]

    def _normalise(self, x: Tensor, steps: int | None = None
                   ) -> tuple[Tensor, Tensor | None]:
        """The window with its targets made relative, and what to add back: (B, steps, C)."""
        if not self.window_norm:
            return x, None
        targets, steps = x[:, :, :self.n_targets], steps or self.horizon
        if self.season:
            window = decompose_window(targets, self.season, steps,
                                      damping=self.damping, recent=self.recent,
                                      multiplicative=self.multiplicative)
            relative, anchor = window.normalised, window.anchor
        else:
            level = targets.mean(dim=1, keepdim=True)  # (B, L, C) -> (B, 1, C)
            relative, anchor = targets - level, level.expand(-1, steps, -1)
        return torch.cat([relative, x[:, :, self.n_targets:]], dim=-1), anchor

    def _constrain(self, raw: Tensor) -> Tensor:
        """Ordered quantiles around the median, or a positive standard deviation."""
        if self.dist.kind == "gaussian":
            return torch.stack([raw[..., 0], F.softplus(raw[..., 1]) + 1e-4], dim=-1)
        m = self.dist.median_index
        center = raw[..., m:m + 1]
        up = torch.cumsum(F.softplus(raw[..., m + 1:]), dim=-1)
        down = torch.cumsum(F.softplus(raw[..., :m]).flip(-1), dim=-1).flip(-1)
        # The outer quantiles sit on a detached median: only the median's own loss moves
        # the point forecast, so asking for more interval levels cannot pull it around.
        anchor = center.detach()
        return torch.cat([anchor - down, center, anchor + up], dim=-1)


class ForecastEnsemble(nn.Module):
    """The average of several :class:`ForecastNet` members (quantiles averaged level by
    level; Gaussians moment-matched), itself a forecaster with the same interface.

    Example:
        >>> nets = [ForecastNet(input_size=1, n_targets=1, n_known=0, horizon=2)
        ...         for _ in range(3)]
        >>> tuple(ForecastEnsemble(nets)(torch.randn(4, 6, 1), torch.zeros(4, 2, 0)).shape)
        (4, 2, 1, 3)
    """

    def __init__(self, members: list[ForecastNet]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        self.dist, self.horizon = members[0].dist, members[0].horizon

    def anchor(self, x: Tensor, steps: int | None = None) -> Tensor | None:
        """The members' anchor (they share the window normalisation), (B, steps, C)."""
        return self.members[0].anchor(x, steps)

    def forward(self, x: Tensor, future: Tensor, series: Tensor | None = None) -> Tensor:
        """Combined parameters, (B, K, C, Q)."""
        first = self.members[0]
        shared = all(_normalisation(m) == _normalisation(first) for m in self.members)
        if shared:  # the same window normalisation: computed once
            relative, anchor = first._normalise(x)
            outs = torch.stack([m.from_normalised(relative, anchor, future, series)
                                for m in self.members])  # (M, B, K, C, Q)
        else:
            outs = torch.stack([m(x, future, series) for m in self.members])
        if self.dist.kind == "quantile":
            return outs.mean(dim=0)
        mean = outs[..., 0].mean(dim=0)
        second = (outs[..., 1] ** 2 + outs[..., 0] ** 2).mean(dim=0)
        return torch.stack([mean, (second - mean**2).clamp_min(1e-8).sqrt()], dim=-1)


def _normalisation(net: ForecastNet) -> tuple:
    """What :meth:`ForecastNet._normalise` depends on."""
    return (net.window_norm, net.season, net.damping, net.recent, net.multiplicative,
            net.n_targets, net.horizon)

"""The plot of ``lstmkit compare --cells``: each cell's validation curve (mean over seeds,
a band of ± one standard deviation) and its best validation value against wall time
(error bars: the spread over seeds; labels: the parameter count)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class CellCurves:
    """What the plot shows of one cell.

    Attributes:
        cell: its name. params: its parameter count.
        curves: the validation metric per epoch, one list per seed (runs that stopped
            early are shorter).
        best: the best validation value of each seed. seconds: each seed's wall time.
    """

    cell: str
    params: int
    curves: Sequence[Sequence[float]]
    best: Sequence[float]
    seconds: Sequence[float]


def padded(curves: Sequence[Sequence[float]]) -> np.ndarray:
    """The curves as a (seeds, epochs) array, shorter ones padded with NaN.

    Example:
        >>> padded([[1.0, 2.0], [3.0]]).tolist()
        [[1.0, 2.0], [3.0, nan]]
    """
    width = max(len(c) for c in curves)
    return np.array([list(c) + [np.nan] * (width - len(c)) for c in curves], dtype=float)


def sample_sd(values: Sequence[float]) -> float:
    """The sample standard deviation (0 for one value), as the summary table shows it."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def plot_cells(cells: Sequence[CellCurves], metric: str, path: str | Path) -> Path:
    """Save the two-panel PNG to ``path``; matplotlib is imported only here."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, (curves_ax, cost_ax) = plt.subplots(1, 2, figsize=(11, 4.2))
    for cell in cells:
        values = padded(cell.curves)
        mean = np.nanmean(values, axis=0)
        spread = np.nanstd(values, axis=0, ddof=1) if len(values) > 1 else 0 * mean
        epochs = np.arange(1, len(mean) + 1)
        (line,) = curves_ax.plot(epochs, mean, label=cell.cell)
        curves_ax.fill_between(epochs, mean - spread, mean + spread,
                               color=line.get_color(), alpha=0.2)
        cost_ax.errorbar(np.mean(cell.seconds), np.mean(cell.best),
                         xerr=sample_sd(cell.seconds), yerr=sample_sd(cell.best), fmt="o",
                         color=line.get_color(), capsize=3)
        cost_ax.annotate(f"{cell.cell} ({cell.params:,} params)",
                         (np.mean(cell.seconds), np.mean(cell.best)),
                         textcoords="offset points", xytext=(5, 5), fontsize=8)
    curves_ax.set(xlabel="epoch", ylabel=metric, title=f"validation {metric} (mean ± sd)")
    curves_ax.legend()
    cost_ax.set(xlabel="wall time per run (s)", ylabel=f"best {metric}",
                title="quality against time (mean ± sd over seeds)")
    for ax in (curves_ax, cost_ax):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)

"""The forecast picture: history, forecast, interval band and actuals; and the training curve.

Titles and labels built from user strings (dataset, series and column names) go through
:func:`plain_text`, so a ``$`` in a column name is drawn as a dollar sign rather than
parsed as matplotlib mathtext (``$x_$`` would otherwise fail the whole plot).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

MAX_PANELS = 4


def plot_forecast(history: pd.DataFrame, forecasts: pd.DataFrame,
                  curves: list[list[dict[str, float]]], path: str | Path, *,
                  level: float, title: str = "") -> Path:
    """Save a PNG: one panel per series and target (at most four), then the training curve.

    Args:
        history: observed values, columns ``series, time, target, actual``.
        forecasts: forecast rows, columns ``series, time, target, forecast``,
            ``lower_<level>``, ``upper_<level>`` and optionally ``actual``.
        curves: per ensemble member, the trainer's per-epoch metrics.
        path: the PNG to write.
        level: the interval level drawn as a band (e.g. 0.8).
        title: the figure's title.

    Returns:
        ``Path(path)``.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    keys = list(dict.fromkeys(zip(forecasts["series"], forecasts["target"], strict=True)))
    keys = keys[:MAX_PANELS]
    fig, axes = plt.subplots(len(keys) + 1, 1, figsize=(10, 3.2 * (len(keys) + 1)),
                             squeeze=False)
    for ax, (series, target) in zip(axes[:, 0], keys, strict=False):
        _plot_series(ax, history, forecasts, series, target, level)
    _plot_curves(axes[-1, 0], curves)
    if title:
        fig.suptitle(plain_text(title))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def plain_text(text: object) -> str:
    r"""``text`` as matplotlib draws it literally: every ``$`` escaped (no mathtext).

    Example:
        >>> print(plain_text("cost $x_$"))
        cost \$x_\$
    """
    return str(text).replace("$", r"\$")


def _plot_series(ax, history: pd.DataFrame, forecasts: pd.DataFrame, series: str,
                 target: str, level: float) -> None:
    name = f"{level * 100:g}"
    past = history[(history["series"] == series) & (history["target"] == target)]
    rows = forecasts[(forecasts["series"] == series) & (forecasts["target"] == target)]
    ax.plot(past["time"], past["actual"], color="black", lw=1.2, label="observed")
    for part, colour in (("test", "tab:blue"), ("future", "tab:orange")):
        chunk = rows[rows["part"] == part] if "part" in rows else rows
        if chunk.empty:
            continue
        ax.fill_between(chunk["time"], chunk[f"lower_{name}"], chunk[f"upper_{name}"],
                        color=colour, alpha=0.25, label=f"{name}% interval ({part})")
        ax.plot(chunk["time"], chunk["forecast"], color=colour, lw=1.6,
                label=f"forecast ({part})")
    label = target if series == "0" else f"{series}: {target}"
    ax.set(title=plain_text(label), ylabel=plain_text(target))
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)


def _plot_curves(ax, curves: list[list[dict[str, float]]]) -> None:
    for k, history in enumerate(curves):
        epochs = [h["epoch"] for h in history]
        for key, style in (("train_loss", "-"), ("val_loss", "--")):
            if any(key in h for h in history):
                ax.plot(epochs, [h.get(key, float("nan")) for h in history], style,
                        color=f"C{k}", label=f"{key} (model {k + 1})")
    ax.set(xlabel="epoch", ylabel="loss", title="Training curve", yscale="log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)

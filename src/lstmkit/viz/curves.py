"""Training curves: the loss (and every other per-epoch metric) against the epoch."""

from __future__ import annotations

from pathlib import Path


def plot_history(history: list[dict[str, float]], path: str | Path) -> Path:
    """Save a PNG of the losses in ``history`` (a Trainer's ``history_``) to ``path``.

    Plots every ``*loss*`` metric on one axis; matplotlib is imported only here.

    Returns:
        ``Path(path)``.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    epochs = [h["epoch"] for h in history]
    for key in sorted({k for h in history for k in h if "loss" in k}):
        ax.plot(epochs, [h.get(key, float("nan")) for h in history], marker="o", label=key)
    ax.set(xlabel="epoch", ylabel="loss", title="Training curves")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)

"""The confusion-matrix picture of a classify run (matplotlib, imported only here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def plot_confusion(matrix: list[list[int]], classes: list[str], path: Path, *,
                   title: str = "") -> Path:
    """Write the confusion matrix (rows: true class, columns: predicted) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    counts = np.asarray(matrix)
    size = min(2 + 0.6 * len(classes), 12)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(counts, cmap="Blues")
    ax.set_xticks(range(len(classes)), [str(c)[:20] for c in classes], rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), [str(c)[:20] for c in classes])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    peak = counts.max() if counts.size else 0
    for (i, j), n in np.ndenumerate(counts):
        ax.text(j, i, str(n), ha="center", va="center",
                color="white" if n > peak / 2 else "black")
    ax.set_title(title or "confusion matrix (test part)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path

"""The pictures of a detection run (tables with columns ``series, step, score``, ``v<k>``
per channel and ``label`` when there are labels): an overview (every series, flagged events shaded,
labelled anomalies marked, the score below) and one PNG per flagged event (the series
around it, the event shaded, the score below)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ...viz.forecast import plain_text

MAX_SERIES = 4  # panels of the overview
MAX_EVENT_PLOTS = 50  # event PNGs per run
CONTEXT = 3  # an event picture shows this many event lengths (at least 100 steps) around it


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def _draw(axes, frame: pd.DataFrame, channels: list[str], events: pd.DataFrame,
          threshold: float | None) -> None:
    """The series (columns ``v0, v1, ...`` named ``channels``) above, the score below."""
    top, bottom = axes
    x = frame["step"].to_numpy()
    for k, channel in enumerate(channels):
        top.plot(x, frame[f"v{k}"].to_numpy(), lw=0.8, label=plain_text(channel))
    bottom.plot(x, frame["score"].to_numpy(), lw=0.8, color="black")
    if threshold is not None:
        bottom.axhline(threshold, color="tab:red", ls="--", lw=0.8)
    for e in events.itertuples():
        for ax in axes:
            ax.axvspan(e.start, e.end + 1, color="tab:red", alpha=0.25)
    if "label" in frame:
        marked = frame["label"].to_numpy() == 1
        top.scatter(x[marked], frame["v0"].to_numpy()[marked], s=4, color="tab:orange",
                    label="labelled anomaly", zorder=3)
    top.legend(loc="upper left", fontsize=7)
    bottom.set_ylabel("score")
    bottom.set_xlabel("step")


def plot_overview(table: pd.DataFrame, channels: list[str], events: pd.DataFrame,
                  threshold: float | None, path: Path, title: str = "") -> Path:
    """anomalies.png: up to :data:`MAX_SERIES` series, one pair of panels each."""
    plt = _pyplot()
    names = list(dict.fromkeys(table["series"]))[:MAX_SERIES]
    fig, axes = plt.subplots(2 * len(names), 1, figsize=(11, 3.2 * len(names)), squeeze=False)
    for k, name in enumerate(names):
        frame = table[table["series"] == name]
        _draw(axes[2 * k: 2 * k + 2, 0], frame, channels, events[events["series"] == name],
              threshold)
        axes[2 * k, 0].set_title(plain_text(f"{title} series {name}"), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_events(table: pd.DataFrame, channels: list[str], events: pd.DataFrame,
                threshold: float | None, folder: Path) -> list[Path]:
    """events/event_<k>.png for the first :data:`MAX_EVENT_PLOTS` events."""
    plt = _pyplot()
    folder.mkdir(exist_ok=True)
    paths = []
    for k, e in enumerate(events.head(MAX_EVENT_PLOTS).itertuples()):
        margin = max(CONTEXT * (e.end - e.start + 1), 100)
        frame = table[(table["series"] == e.series) & (table["step"] >= e.start - margin)
                      & (table["step"] <= e.end + margin)]
        fig, axes = plt.subplots(2, 1, figsize=(8, 4), sharex=True)
        _draw(axes, frame, channels, events.iloc[[k]], threshold)
        axes[0].set_title(plain_text(f"event {k}: series {e.series}, steps {e.start}-{e.end}, "
                                     f"peak {e.peak_score:.1f}, channels {e.channels}"),
                          fontsize=9)
        fig.tight_layout()
        paths.append(folder / f"event_{k:03d}.png")
        fig.savefig(paths[-1], dpi=80)
        plt.close(fig)
    return paths

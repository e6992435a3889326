"""The ``inspect`` page: a text with each token coloured by a cell's activation, as a
self-contained HTML page (inline CSS, no script, no network) and as a PNG."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .activations import TextTrace

CSS = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
h1 { font-size: 20px; } h2 { font-size: 15px; margin: 18px 0 4px; }
.text { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px;
        white-space: pre-wrap; line-height: 1.5; border: 1px solid #ddd; padding: 8px; }
.legend span { display: inline-block; width: 60px; text-align: center; font-size: 12px; }
table { border-collapse: collapse; font-size: 13px; }
td, th { border: 1px solid #ddd; padding: 2px 8px; text-align: left; }
"""


@dataclass(frozen=True)
class CellView:
    """One row of the page: a unit's activations over the text.

    Attributes:
        layer, unit: which cell. quantity: ``"c"``, ``"h"`` or a gate name.
        values: (T,) one value per token.
    """

    layer: int
    unit: int
    quantity: str
    values: np.ndarray

    @property
    def label(self) -> str:
        """``"layer 0, unit 12, c"``."""
        return f"layer {self.layer}, unit {self.unit}, {self.quantity}"


def colour(value: float) -> str:
    """A CSS colour for a value in [-1, 1]: blue (negative) to white to red (positive).

    Example:
        >>> colour(1.0), colour(0.0), colour(-1.0)
        ('rgb(220,50,47)', 'rgb(255,255,255)', 'rgb(38,139,210)')
    """
    r, g, b = rgb(value)
    return f"rgb({r},{g},{b})"


def rgb(value: float) -> tuple[int, int, int]:
    """The colour of :func:`colour` as 0-255 integers."""
    v = float(np.clip(value, -1.0, 1.0))
    end = (220, 50, 47) if v >= 0 else (38, 139, 210)
    r, g, b = (round(255 + (e - 255) * abs(v)) for e in end)
    return r, g, b


def scaled(values: np.ndarray) -> np.ndarray:
    """Values divided by their largest magnitude (gates and tanh stay in [-1, 1])."""
    peak = float(np.abs(values).max()) if values.size else 0.0
    return values / peak if peak > 1.0 else values


def coloured_text(pieces: list[str], values: np.ndarray) -> str:
    """The text as HTML spans, each token's background showing its value."""
    spans = []
    for piece, value in zip(pieces, scaled(values), strict=True):
        spans.append(f'<span style="background:{colour(value)}" title="{value:.3f}">'
                     f"{html.escape(piece)}</span>")
    return "".join(spans)


def render_html(trace: TextTrace, views: list[CellView], correlations: list[dict], *,
                title: str = "lstmkit inspect") -> str:
    """The whole page as one string."""
    legend = "".join(f'<span style="background:{colour(v)}">{v:+.1f}</span>'
                     for v in np.linspace(-1, 1, 9))
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
             f"</title><style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>",
             f'<div class="legend">{legend}</div>']
    for view in views:
        parts.append(f"<h2>{html.escape(view.label)}</h2>"
                     f'<div class="text">{coloured_text(trace.pieces, view.values)}</div>')
    if correlations:
        parts.append("<h2>Cells most correlated with features of the text</h2><table>"
                     "<tr><th>feature</th><th>cell (layer:unit)</th><th>r</th></tr>")
        parts += [f"<tr><td>{html.escape(c['feature'])}</td><td>{c['layer']}:{c['unit']}"
                  f"</td><td>{c['r']:+.2f}</td></tr>" for c in correlations]
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def render_png(trace: TextTrace, views: list[CellView], path: str | Path, *,
               width: int = 100, max_lines: int = 12) -> Path:
    """A PNG of the first lines of the text coloured by each view (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    cells = _layout(trace.pieces, width, max_lines)
    rows = max(1, max((r for r, _, _, _ in cells), default=0) + 1)
    fig_height = 0.25 * (rows + 1.5) * len(views) + 0.3
    fig, axes = plt.subplots(len(views), 1, figsize=(width * 0.1, fig_height), squeeze=False)
    for ax, view in zip(axes[:, 0], views, strict=True):
        ax.set(xlim=(0, width), ylim=(rows, -0.2), title=view.label)
        ax.title.set_fontsize(8)
        ax.axis("off")
        values = scaled(view.values)
        for row, col, char, k in cells:
            face = [c / 255 for c in rgb(values[k])]
            ax.add_patch(plt.Rectangle((col, row), 1, 1, color=face))
            if char.isprintable() and not char.isspace():
                ax.text(col + 0.5, row + 0.55, char, ha="center", va="center", fontsize=6,
                        family="monospace")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def _layout(pieces: list[str], width: int, max_lines: int) -> list[tuple[int, int, str, int]]:
    """(row, column, character, token index) of each visible character."""
    out, row, col = [], 0, 0
    for k, piece in enumerate(pieces):
        for char in piece:
            if char == "\n" or col >= width:
                row, col = row + 1, 0
                if char == "\n":
                    continue
            if row >= max_lines:
                return out
            out.append((row, col, char, k))
            col += 1
    return out

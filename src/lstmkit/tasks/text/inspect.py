"""``TextModel.inspect``: colour a text by chosen cells' activations, list the cells that
follow simple features of it, and write the page (HTML, and a PNG beside it)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ...data.text import TextError
from ...io import atomic_file, atomic_write
from ...viz.activations import correlated_units, trace_text
from ...viz.text_page import CellView, render_html, render_png

CellSpec = str | int | tuple[int, int]


def parse_cell(spec: CellSpec, num_layers: int) -> tuple[int, int]:
    """``"1:40"`` or ``(1, 40)`` -> layer 1, unit 40; a bare unit ``"40"`` means the last
    layer.

    Example:
        >>> parse_cell("1:40", 2), parse_cell(7, 2)
        ((1, 40), (1, 7))
    """
    if isinstance(spec, tuple):
        return int(spec[0]), int(spec[1])
    text = str(spec)
    try:
        if ":" in text:
            layer, unit = text.split(":", 1)
            return int(layer), int(unit)
        return num_layers - 1, int(text)
    except ValueError:
        message = f"cannot read cell {text!r}; write LAYER:UNIT (e.g. 0:12) or UNIT"
        raise TextError(message) from None


def inspect_text(text_model, text: str, *, out: str | os.PathLike,
                 cells: Sequence[CellSpec] | None = None, quantity: str = "c", top: int = 3,
                 png: bool = True) -> Path:
    """Write the inspect page of ``text`` to ``out`` (and ``out`` with ``.png``).

    Args:
        text_model: a fitted :class:`~lstmkit.tasks.text.TextModel`.
        text: the text to look at.
        out: the HTML file to write.
        cells: ``LAYER:UNIT`` specs; by default the most feature-correlated cells.
        quantity: ``"c"`` (cell state), ``"h"`` (output) or a gate (``"i"``, ``"f"``,
            ``"o"``, ...).
        top: cells listed per feature.
        png: also write the PNG.

    Returns:
        The HTML path.
    """
    if not text:
        raise TextError("the text to inspect is empty")
    trace = trace_text(text_model.network_, text_model.tokenizer_, text)
    if quantity not in trace.values:
        raise TextError(f"unknown quantity {quantity!r}; choose one of "
                        f"{', '.join(trace.values)}")
    found = correlated_units(trace, quantity, top=top)
    if cells:
        chosen = [parse_cell(c, text_model.num_layers) for c in cells]
    else:
        chosen = list(dict.fromkeys((c["layer"], c["unit"]) for c in found[::top]))[:4]
        chosen = chosen or [(0, 0)]
    try:
        views = [CellView(layer, unit, quantity, trace.unit(quantity, layer, unit))
                 for layer, unit in chosen]
    except ValueError as exc:
        raise TextError(str(exc)) from None
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    title = f"lstmkit inspect: {text_model.cell} {text_model.level}-level model"
    atomic_write(out, render_html(trace, views, found, title=title).encode("utf-8"))
    if png:
        with atomic_file(out.with_suffix(".png")) as part:
            render_png(trace, views, part)
    return out

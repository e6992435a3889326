"""What the cells of a language model do over a text: per-token activations and the
units that best follow simple features of the text (Karpathy et al. 2015, "Visualizing
and Understanding Recurrent Networks").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

QUANTITIES = ("c", "h", "i", "f", "g", "o")


@dataclass(frozen=True)
class TextTrace:
    """Activations of every unit at every token of a text.

    Attributes:
        pieces: the text's tokens as strings; ``"".join(pieces)`` is the text.
        values: quantity name (``"c"``, ``"h"``, gates such as ``"i"``, ``"f"``, ``"o"``)
            to an array (L, T, H): layer, token, unit.
    """

    pieces: list[str]
    values: dict[str, np.ndarray]

    def unit(self, quantity: str, layer: int, unit: int) -> np.ndarray:
        """The (T,) activations of one unit; errors name the valid choices."""
        if quantity not in self.values:
            raise ValueError(f"unknown quantity {quantity!r}; this model records "
                             f"{', '.join(self.values)}")
        layers, _, units = self.values[quantity].shape
        if not (0 <= layer < layers and 0 <= unit < units):
            raise ValueError(f"no cell {layer}:{unit}; the model has {layers} layer(s) of "
                             f"{units} units (cells are LAYER:UNIT, e.g. 0:{units - 1})")
        return self.values[quantity][layer, :, unit]


@torch.no_grad()
def trace_text(model, tokenizer, text: str) -> TextTrace:
    """Run ``text`` through a :class:`~lstmkit.models.language_model.LanguageModel`
    (B = 1) and record every gate and state of every layer."""
    pieces = tokenizer.split(text)
    ids = torch.tensor([tokenizer.encode(text)])  # (1, T)
    model.eval()
    x = model.embedding(ids.t())  # (1, T) -> (T, 1, E)
    _, _, trace = model.rnn(x, return_gates=True)
    values = {}
    for name, tensor in {**trace.states, **trace.gates}.items():
        values[name] = tensor[:, 0, :, 0].numpy()  # (L, D, T, B, H) -> (L, T, H)
    return TextTrace(pieces=pieces, values=values)


def text_features(pieces: list[str]) -> dict[str, np.ndarray]:
    """Simple per-token features of a text: inside quotes, inside parentheses or
    brackets, position in the line, at the start of a line, upper case, whitespace.

    Example:
        >>> f = text_features(list('a "b" (c)'))
        >>> f["inside quotes"].tolist()
        [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    """
    names = ("inside quotes", "inside parentheses", "position in line", "line start",
             "upper case", "whitespace")
    rows, quote, depth, column = [], False, 0, 0
    for piece in pieces:
        if piece.strip() == '"':
            quote = not quote
        depth += piece.count("(") + piece.count("[")
        rows.append((float(quote), float(depth > 0), float(column), float(column == 0),
                     float(piece.strip().isupper()), float(piece.isspace())))
        depth = max(0, depth - piece.count(")") - piece.count("]"))
        column = 0 if piece.endswith("\n") else column + len(piece)
    table = np.array(rows, dtype=np.float64).reshape(len(pieces), len(names))  # (T, F)
    return {name: table[:, k] for k, name in enumerate(names)}


def correlated_units(trace: TextTrace, quantity: str = "c", *, top: int = 3,
                     features: dict[str, np.ndarray] | None = None) -> list[dict]:
    """For each feature, the ``top`` units whose ``quantity`` correlates with it most
    (by absolute Pearson correlation; features that never vary are skipped).

    Returns:
        ``[{"feature", "layer", "unit", "r"}, ...]``, grouped by feature, strongest first.
    """
    features = text_features(trace.pieces) if features is None else features
    values = trace.values[quantity]  # (L, T, H)
    layers, steps, units = values.shape
    flat = values.transpose(1, 0, 2).reshape(steps, layers * units)  # (T, L*H)
    centred = flat - flat.mean(0)
    scale = np.sqrt((centred ** 2).sum(0)) + 1e-12  # (L*H,)
    found = []
    for name, feature in features.items():
        f = feature - feature.mean()
        if not f.any():
            continue
        r = (f @ centred) / (scale * np.sqrt((f ** 2).sum()))  # (L*H,)
        for k in np.argsort(-np.abs(r))[:top]:
            found.append({"feature": name, "layer": int(k // units), "unit": int(k % units),
                          "r": float(r[k])})
    return found

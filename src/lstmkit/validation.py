"""Input checks shared by cells and layers; every message names the class, what was
expected and what came (``PeepholeLSTMCell: expected input of shape (B, 32), got (8, 16)``)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def shape_text(shape: Sequence[int | str]) -> str:
    """``(8, 16)`` for a shape; letters stay letters (``(B, 32)``)."""
    return "(" + ", ".join(str(s) for s in shape) + ")"


def check_positive_int(owner: str, name: str, value: object) -> int:
    """Return ``value`` if it is an int > 0, else raise naming ``owner``."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{owner}: expected {name} to be a positive integer, got {value!r}")
    return value


def check_probability(owner: str, name: str, value: float) -> float:
    """Return ``value`` if it is in [0, 1), else raise naming ``owner``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{owner}: expected {name} in [0, 1), got {value!r}")
    return float(value)


def check_tensor(owner: str, name: str, value: object, dtype: torch.dtype) -> Tensor:
    """A floating tensor of ``dtype``, or a TypeError naming what came instead."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{owner}: expected {name} to be a Tensor, got {type(value).__name__}")
    if value.dtype != dtype:
        raise TypeError(f"{owner}: expected {name} of dtype {dtype}, got {value.dtype}")
    return value


def check_shape(owner: str, name: str, value: Tensor, expected: Sequence[int | str]) -> None:
    """Raise unless ``value.shape`` matches ``expected`` (a str entry matches any size)."""
    ok = value.dim() == len(expected) and all(
        isinstance(e, str) or e == s for e, s in zip(expected, value.shape, strict=False)
    )
    if not ok:
        raise ValueError(
            f"{owner}: expected {name} of shape {shape_text(expected)}, "
            f"got {shape_text(tuple(value.shape))}"
        )

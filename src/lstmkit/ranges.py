"""Range checks for the settings dataclasses (``[train]``, ``[task]``, constructor
keywords): one place that says what a count, a rate or a probability may be.

Every check raises :class:`~lstmkit.errors.ConfigError` naming the owner (``"[train]"``,
``"Forecaster:"``), the option, what was expected and the value that came; NaN and
infinity never pass (a ``lr = inf`` would otherwise train a NaN model and exit 0).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .errors import ConfigError


def check_count(owner: str, name: str, value: object, minimum: int = 1) -> None:
    """Raise unless ``value`` is an int (not a bool) >= ``minimum``; None passes.

    Example:
        >>> check_count("[task]", "hidden_size", 0)
        Traceback (most recent call last):
        ...
        lstmkit.errors.ConfigError: [task] hidden_size must be an integer >= 1, got 0
    """
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{owner} {name} must be an integer >= {minimum}, got {value!r}")


def check_real(owner: str, name: str, value: object, *, low: float = -math.inf,
               high: float = math.inf, low_open: bool = False,
               high_open: bool = False) -> None:
    """Raise unless ``value`` is a finite number in the interval; None passes.

    ``low_open``/``high_open`` exclude the bound itself.

    Example:
        >>> check_real("[train]", "lr", float("inf"), low=0, low_open=True)
        Traceback (most recent call last):
        ...
        lstmkit.errors.ConfigError: [train] lr must be a finite number > 0, got inf
    """
    if value is None:
        return
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if (not number or not math.isfinite(value) or value < low or value > high
            or (low_open and value == low) or (high_open and value == high)):
        raise ConfigError(f"{owner} {name} must be a finite number"
                          f"{_interval(low, high, low_open, high_open)}, got {value!r}")


def check_probability(owner: str, name: str, value: object) -> None:
    """Raise unless ``value`` is in [0, 1) (a dropout rate)."""
    check_real(owner, name, value, low=0.0, high=1.0, high_open=True)


def check_choice(owner: str, name: str, value: object, choices: Iterable[str]) -> None:
    """Raise unless ``value`` is one of ``choices``, listing them.

    Example:
        >>> check_choice("Forecaster:", "cell", "nope", ("lstm", "gru"))
        Traceback (most recent call last):
        ...
        lstmkit.errors.ConfigError: Forecaster: cell must be one of lstm, gru; got 'nope'
    """
    choices = tuple(choices)
    if value not in choices:
        raise ConfigError(f"{owner} {name} must be one of {', '.join(choices)}; "
                          f"got {value!r}")


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    if math.isinf(low) and math.isinf(high):
        return ""
    if math.isinf(high):
        return f" {'>' if low_open else '>='} {low:g}"
    if math.isinf(low):
        return f" {'<' if high_open else '<='} {high:g}"
    return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"

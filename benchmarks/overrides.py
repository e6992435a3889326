"""``--set KEY=VALUE`` / ``--train-set KEY=VALUE``: the benchmarks' overrides of an
estimator's settings and of its ``TrainConfig``, for experiments on validation data."""

from __future__ import annotations

import argparse
import json


def setting(text: str) -> tuple[str, object]:
    """``key=value`` with the value read as JSON when it parses (numbers, true, lists),
    else as text.

    Example:
        >>> setting("hidden_size=64"), setting("cell=gru")
        (('hidden_size', 64), ('cell', 'gru'))
    """
    key, _, value = text.partition("=")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def add_setting_options(parser: argparse.ArgumentParser, estimator: str,
                        when: str = "") -> None:
    """``--set`` (a setting of ``estimator``) and ``--train-set`` (a ``TrainConfig``
    setting), each repeatable; ``dict(args.set)`` is the table. ``when`` prefixes the
    help (e.g. ``"with --tune: "``)."""
    parser.add_argument("--set", action="append", default=[], type=setting,
                        metavar="KEY=VALUE", help=f"{when}a {estimator} setting (JSON value)")
    parser.add_argument("--train-set", action="append", default=[], type=setting,
                        metavar="KEY=VALUE", help=f"{when}a TrainConfig setting (JSON value)")

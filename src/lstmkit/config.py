"""Experiment files: TOML or YAML tables, dotted command-line overrides, and frozen
dataclasses built from them with every key checked.

Unknown keys are errors that list the valid ones; values of the wrong type are errors
that name the key and the expected type.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .errors import ConfigError
from .settings import build_settings as build_dataclass  # noqa: F401 -- the callers' name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

T = TypeVar("T")
SUFFIXES = {".toml": "TOML", ".yaml": "YAML", ".yml": "YAML"}


def load_config_file(path: str | Path) -> dict[str, Any]:
    """The top-level table of a TOML (``.toml``) or YAML (``.yaml``/``.yml``) file.

    Raises:
        ConfigError: naming the file if it is missing, of another type, or malformed.
    """
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(f"{path}: experiment files must end in .toml, .yaml or .yml")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such experiment file") from None
    try:
        data = tomllib.loads(text) if kind == "TOML" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: invalid {kind}: {exc}".replace("\n", " ")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table of sections, got {type(data).__name__}")
    return data


def parse_value(text: str) -> Any:
    """A command-line value: JSON/YAML scalars and lists (``3e-4``, ``true``, ``[1, 2]``),
    else the text itself."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, (bool, int, float, list)) else text


def apply_overrides(config: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """A copy of ``config`` with ``--section.key=value`` overrides applied.

    Raises:
        ConfigError: for an override that is not ``--dotted.key=value``.
    """
    result = json.loads(json.dumps(config))
    for item in overrides:
        key, sep, value = item.removeprefix("--").partition("=")
        if not sep or "." not in key or not all(key.split(".")):
            raise ConfigError(f"override {item!r} must look like --section.key=value "
                              "(e.g. --train.lr=3e-4)")
        *sections, leaf = key.split(".")
        table = result
        for section in sections:
            table = table.setdefault(section, {})
            if not isinstance(table, dict):
                raise ConfigError(f"override {item!r}: {section!r} is a value, not a table")
        table[leaf] = parse_value(value)
    return result


def to_dict(config: Any) -> dict[str, Any]:
    """A dataclass as a JSON-able dict (for run records and checkpoints)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))

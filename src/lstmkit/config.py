"""Experiment files: TOML or YAML tables (YAML without aliases, files capped in size) and
dotted command-line overrides. The tables become settings dataclasses, every key and
value checked, through :func:`lstmkit.settings.build_settings`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SUFFIXES = {".toml": "TOML", ".yaml": "YAML", ".yml": "YAML"}


MAX_CONFIG_BYTES = 1 << 20  # an experiment file is a few hundred bytes; 1 MiB is plenty
NO_ALIASES = "YAML aliases (&/*) are not supported"


class _AliasRefused(yaml.YAMLError):
    """A YAML alias was met (see :class:`NoAliasLoader`)."""

    def __init__(self, line: int) -> None:
        super().__init__(f"{NO_ALIASES} (line {line})")


class NoAliasLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses aliases (``*name``): a few hundred bytes of
    nested aliases (a "billion laughs") expand to gigabytes, and experiment files never
    need them."""

    def compose_node(self, parent, index):  # PyYAML's hook, called for every node
        if self.check_event(yaml.AliasEvent):
            raise _AliasRefused(self.peek_event().start_mark.line + 1)
        return super().compose_node(parent, index)


def safe_yaml(text: str) -> Any:
    """``yaml.safe_load`` without aliases (see :class:`NoAliasLoader`)."""
    return yaml.load(text, Loader=NoAliasLoader)  # a SafeLoader: no python tags


def load_config_file(path: str | Path) -> dict[str, Any]:
    """The top-level table of a TOML (``.toml``) or YAML (``.yaml``/``.yml``) file.

    Raises:
        ConfigError: naming the file if it is missing, of another type, larger than
            :data:`MAX_CONFIG_BYTES`, malformed, or (YAML) uses aliases.
    """
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ConfigError(f"{path}: experiment files must end in .toml, .yaml or .yml")
    text = _read_config_text(path)
    if kind == "YAML":
        try:
            data = safe_yaml(text)
        except _AliasRefused as exc:
            raise ConfigError(f"{path}: {exc}") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {exc}".replace("\n", " ")) from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}".replace("\n", " ")) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table of sections, got {type(data).__name__}")
    return data


def _read_config_text(path: Path) -> str:
    """The text of an experiment file: a regular UTF-8 file of at most
    :data:`MAX_CONFIG_BYTES` (read no further than that, whatever the file is)."""
    if not path.exists():
        raise ConfigError(f"{path}: no such experiment file")
    if not path.is_file():
        raise ConfigError(f"{path}: not a regular file")
    with path.open("rb") as handle:
        raw = handle.read(MAX_CONFIG_BYTES + 1)
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: experiment file larger than {MAX_CONFIG_BYTES} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def parse_value(text: str) -> Any:
    """A command-line value: JSON/YAML scalars and lists (``3e-4``, ``true``, ``[1, 2]``),
    the special floats ``inf`` and ``nan`` (so that checks name them as numbers), else
    the text itself."""
    if text.strip().lower().lstrip("+-") in ("inf", "infinity", "nan"):
        return float(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        value = safe_yaml(text)
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

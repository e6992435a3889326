"""Experiment files: TOML or YAML tables, dotted command-line overrides, and frozen
dataclasses built from them with every key checked.

Unknown keys are errors that list the valid ones; values of the wrong type are errors
that name the key and the expected type.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

T = TypeVar("T")
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
    else the text itself."""
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


def build_dataclass(cls: type[T], table: Any, where: str) -> T:
    """``cls(**table)`` after checking keys and value types.

    Args:
        cls: a dataclass.
        table: the mapping from the file (None means all defaults).
        where: the table's name in messages (e.g. ``"[train]"``).

    Raises:
        ConfigError: for a non-table, an unknown key (listing the valid keys), a missing
            required key, or a value of the wrong type.
    """
    table = {} if table is None else table
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table, got {type(table).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise ConfigError(f"unknown key{'s' * (len(unknown) > 1)} in {where}: "
                          f"{', '.join(unknown)}; valid keys: {', '.join(fields)}")
    hints = typing.get_type_hints(cls)
    values = {k: check_type(v, hints[k], f"{where} {k}") for k, v in table.items()}
    missing = [n for n, f in fields.items() if n not in values
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"missing key{'s' * (len(missing) > 1)} in {where}: "
                          f"{', '.join(missing)}")
    return cls(**values)


def check_type(value: Any, hint: Any, where: str) -> Any:
    """``value`` if it fits ``hint`` (ints are accepted as floats), else ConfigError."""
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        if option is type(None) and value is None:
            return None
        if option is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if option is float and isinstance(value, str) and is_float(value):
            return float(value)  # YAML 1.1 reads 3e-4 as a string
        if option in (int, str, bool) and type(value) is option:
            return value
        if option not in (int, float, str, bool, type(None)):
            return value
    names = " or ".join(getattr(o, "__name__", str(o)) for o in options)
    raise ConfigError(f"{where} must be {names}, got {value!r} ({type(value).__name__})")


def is_float(text: str) -> bool:
    """Whether ``text`` spells a number (``"3e-4"``)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_dict(config: Any) -> dict[str, Any]:
    """A dataclass as a JSON-able dict (for run records and checkpoints)."""
    return json.loads(json.dumps(dataclasses.asdict(config)))

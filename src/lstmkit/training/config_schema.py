"""Checking the JSON config of a saved model before anything is rebuilt from it.

A task describes the ``config`` of its ``config.json`` as a pydantic model over the
dataclasses it already has (its options, :class:`~lstmkit.training.TrainConfig`, ...),
so each field is checked against the type the code declares: strict JSON types (no
``"32"`` for 32, no ``true`` for 1, no ``NaN``), no unknown keys, no missing ones, and the
dataclasses' own checks. Every field is required, defaults or not: the files are
written with all of them, so a missing one means a damaged file. :func:`check_bounds`
then holds the counts to the caps of :mod:`lstmkit.limits`. Every failure is a
:class:`~lstmkit.errors.ModelFileError` naming the file and the field.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from ..errors import ModelFileError

STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
Bounds = Mapping[str, tuple[int, int]]


class Schema(BaseModel):
    """Base of the schemas of saved configs: strict types, no unknown keys, no NaN."""

    model_config = STRICT


def validate(schema: type, content: Any, where: str | os.PathLike, *,
             prefix: str = "") -> Any:
    """``content`` (parsed JSON) as an instance of ``schema``.

    Args:
        schema: a :class:`Schema` subclass (or any type pydantic validates).
        content: the parsed JSON.
        where: the file, for the message.
        prefix: the dotted path of ``content`` inside the file, for the message.

    Raises:
        ModelFileError: ``"<where>: field <path>: <what is wrong>"``, for the first
            field at fault.
    """
    missing = first_missing(schema, content)
    if missing:
        name = ".".join([prefix, *missing] if prefix else missing)
        raise ModelFileError(f"{where}: field {name} is missing")
    try:
        return _adapter(schema).validate_json(json.dumps(content, allow_nan=True))
    except ValidationError as exc:
        raise ModelFileError(f"{where}: {describe(exc.errors()[0], schema, prefix)}") from None


@functools.cache
def _adapter(schema: type) -> TypeAdapter:
    return TypeAdapter(schema)


def describe(error: Mapping[str, Any], schema: type, prefix: str = "") -> str:
    """One pydantic error as ``"field a.b: <message>"`` (unknown keys with the valid ones)."""
    loc = [str(part) for part in error["loc"]]
    name = ".".join([prefix, *loc] if prefix else loc) or "(top level)"
    kind = error["type"]
    if kind == "missing" or kind == "missing_argument":
        return f"field {name} is missing"
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        valid = field_names(schema, loc[:-1])
        return f"unknown field {name}" + (f"; valid: {', '.join(valid)}" if valid else "")
    if kind == "value_error":  # a dataclass's own check: its message names the value
        return f"field {name}: {error['msg'].removeprefix('Value error, ')}"
    message = error["msg"]
    got = json.dumps(error.get("input"), default=str)
    got = got if len(got) <= 60 else got[:57] + "..."
    return f"field {name}: {message} (got {got})"


def first_missing(schema: type, content: Any) -> list[str]:
    """The path of the first field of ``schema`` (or of a model or dataclass inside it)
    that ``content`` lacks, or []."""
    hints = _hints(schema)
    if not isinstance(content, dict):
        return []
    for name, hint in hints.items():
        if name not in content:
            return [name]
        inner = first_missing(hint, content[name])
        if inner:
            return [name, *inner]
    return []


def field_names(schema: type, loc: list[str]) -> list[str]:
    """The field names of the dataclass or model at ``loc`` inside ``schema`` ([] if
    that is not one)."""
    for part in loc:
        schema = _hints(schema).get(part)
        if schema is None:
            return []
    return sorted(_hints(schema))


def _hints(schema: Any) -> dict[str, Any]:
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return {k: f.annotation for k, f in schema.model_fields.items()}
    if is_dataclass(schema):
        hints = get_type_hints(schema)
        return {f.name: hints[f.name] for f in fields(schema)}
    return {}


def check_bounds(value: Any, bounds: Bounds, where: str | os.PathLike, *,
                 prefix: str = "") -> None:
    """Hold the counts at the dotted paths of ``bounds`` to ``(low, high)``.

    A path names an attribute of ``value`` (``"options.hidden_size"``); None passes (a
    setting left to its default, or a part that is absent); a list or tuple is held
    by its length. ``prefix`` is the dotted path of ``value`` in the file.

    Raises:
        ModelFileError: ``"<where>: field <path> must be between <low> and <high>, got
            <value>"``.
    """
    for path, (low, high) in bounds.items():
        found = functools.reduce(_attribute, path.split("."), value)
        count = len(found) if isinstance(found, (list, tuple)) else found
        if count is not None and not low <= count <= high:
            what = "the length of field" if count is not found else "field"
            name = f"{prefix}.{path}" if prefix else path
            raise ModelFileError(f"{where}: {what} {name} must be between {low} and {high}, "
                                 f"got {count}")


def _attribute(value: Any, name: str) -> Any:
    return None if value is None else getattr(value, name)

"""Settings dataclasses: one frozen dataclass per task (and :class:`~lstmkit.training.
TrainConfig`) is the single source of a task's settings. It drives the estimator's
constructor, the experiment file's ``[task]`` table, the saved ``config.json`` and the
command-line options, so their names, defaults, choices and help texts cannot drift apart.

Each field is annotated with its type and constraints (``Literal`` choices, ranges) and
documented in the class docstring's ``Attributes:`` section; :func:`build_settings`
validates a mapping with pydantic's ``TypeAdapter`` and turns every problem into one
:class:`~lstmkit.errors.ConfigError` naming the table, the key and the value::

    @dataclass(frozen=True)
    class AddingSettings:
        \"\"\"...

        Attributes:
            seq_len: steps T per sequence.
        \"\"\"

        seq_len: Count = 50
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import re
import typing
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, ConfigDict, Field, Strict, TypeAdapter, ValidationError

from .errors import ConfigError

T = TypeVar("T")

#: An integer >= 1 (``True`` is not a count).
Count = Annotated[int, Strict(), Field(ge=1)]
#: An integer >= 0.
NonNegativeInt = Annotated[int, Strict(), Field(ge=0)]
#: A finite float > 0.
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
#: A finite float >= 0.
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
#: A probability of dropping something: 0 <= p < 1.
DropProbability = Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
#: A finite float.
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
#: A strict boolean (``1`` and ``"yes"`` are not booleans).
Flag = Annotated[bool, Strict()]


def _known_cell(name: str) -> str:
    from .cells import cell_names

    if name not in cell_names():
        raise ValueError(f"unknown cell {name!r}; known cells: {', '.join(cell_names())}")
    return name


#: The name of a registered recurrent cell (``lstmkit.cell_names()``).
CellName = Annotated[str, AfterValidator(_known_cell)]
#: pydantic's configuration for every settings dataclass.
PYDANTIC_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)


def build_settings(cls: type[T], values: Mapping[str, Any] | None, where: str) -> T:
    """``cls`` built from ``values`` after checking every key and value.

    Args:
        cls: a settings dataclass.
        values: the table (None: every default).
        where: the table's name in messages (``"[task]"``, ``"Forecaster"``).

    Raises:
        ConfigError: for a non-table, an unknown key (listing the valid ones), or a value
            of the wrong type or out of range (naming the key and the value).
    """
    values = {} if values is None else values
    if not isinstance(values, Mapping):
        raise ConfigError(f"{where} must be a table, got {type(values).__name__}")
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise ConfigError(f"unknown key{'s' * (len(unknown) > 1)} in {where}: "
                          f"{', '.join(map(str, unknown))}; valid keys: {', '.join(names)}")
    missing = [f.name for f in dataclasses.fields(cls) if f.name not in values
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"missing key{'s' * (len(missing) > 1)} in {where}: "
                          f"{', '.join(missing)}")
    try:
        return _adapter(cls).validate_python(dict(values))
    except ValidationError as exc:
        raise ConfigError(f"{where} {_first_problem(exc, values)}") from None
    except ConfigError as exc:  # raised by the dataclass's own __post_init__
        raise ConfigError(f"{where}: {exc}") from None


@functools.cache
def _adapter(cls: type) -> TypeAdapter:
    if "__pydantic_config__" not in vars(cls):
        cls.__pydantic_config__ = PYDANTIC_CONFIG  # pydantic reads it from the class
    return TypeAdapter(cls)


def _first_problem(exc: ValidationError, values: Mapping[str, Any]) -> str:
    """``"hidden_size: input should be greater than or equal to 1, got 0"``."""
    error = exc.errors(include_url=False)[0]
    loc = error["loc"]
    key = str(loc[0]) if loc else "?"
    message = error["msg"]
    if error["type"] == "value_error":  # our own validators: "Value error, unknown cell"
        message = message.removeprefix("Value error, ")
    else:
        message = message[:1].lower() + message[1:]
    got = values.get(key, error.get("input"))
    shown = f", got {got!r}" if key in values and repr(got) not in message else ""
    return f"{key}: {message}{shown}"


def to_dict(settings: Any) -> dict[str, Any]:
    """A settings dataclass as a JSON-able dict (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(settings)))


def defaults(cls: type) -> dict[str, Any]:
    """``{field: default}`` of a settings dataclass whose fields all have defaults."""
    return {f.name: f.default for f in dataclasses.fields(cls)}


@functools.cache
def field_help(cls: type) -> dict[str, str]:
    """Each field's help text, from the ``Attributes:`` section of ``cls``'s docstring.

    An entry may document several fields at once (``hidden_size, num_layers: ...``).

    Example:
        >>> @dataclasses.dataclass
        ... class S:
        ...     '''Settings.
        ...
        ...     Attributes:
        ...         a, b: two numbers.
        ...         c: a flag
        ...             on two lines.
        ...     '''
        ...     a: int = 0
        ...     b: int = 0
        ...     c: bool = False
        >>> field_help(S)["b"], field_help(S)["c"]
        ('two numbers.', 'a flag on two lines.')
    """
    doc = inspect.getdoc(cls) or ""
    section = doc.partition("Attributes:")[2]
    helps: dict[str, str] = {}
    current: list[str] = []
    for line in section.splitlines():
        if line and not line.startswith(" "):
            break  # the next section
        entry = re.match(r"^    ([\w, ]+):\s*(.*)$", line)
        if entry:
            current = [n.strip() for n in entry.group(1).split(",")]
            for name in current:
                helps[name] = entry.group(2).strip()
        elif line.strip() and current:
            for name in current:
                helps[name] = f"{helps[name]} {line.strip()}"
    return helps


def choices(annotation: Any) -> tuple[Any, ...] | None:
    """The ``Literal`` choices of a field's annotation (inside ``Annotated`` and
    ``Optional`` too), or None.

    Example:
        >>> choices(typing.Literal["a", "b"] | None)
        ('a', 'b')
    """
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return typing.get_args(annotation)
    if origin is Annotated:
        return choices(typing.get_args(annotation)[0])
    for arg in typing.get_args(annotation) if origin is not None else ():
        found = choices(arg)
        if found:
            return found
    return None


def field_types(cls: type) -> dict[str, Any]:
    """``{field: resolved annotation}`` (string annotations evaluated)."""
    return typing.get_type_hints(cls, include_extras=True)

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
import json
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, TypeVar

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
#: A share of a data set held out: 0 <= share < 0.5.
Fraction = Annotated[float, Field(ge=0, lt=0.5, allow_inf_nan=False)]
#: A strict boolean (``1`` and ``"yes"`` are not booleans).
Flag = Annotated[bool, Strict()]


def count(maximum: int, minimum: int = 1) -> Any:
    """An integer in ``[minimum, maximum]`` (the caps of :mod:`lstmkit.limits`)."""
    return Annotated[int, Strict(), Field(ge=minimum, le=maximum)]


def _known_cell(name: str) -> str:
    from .cells import cell_names

    if name not in cell_names():
        raise ValueError(f"must be one of {', '.join(cell_names())}")
    return name


#: The name of a registered recurrent cell (``lstmkit.cell_names()``).
CellName = Annotated[str, AfterValidator(_known_cell)]
#: pydantic's configuration for every settings dataclass.
PYDANTIC_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)


class SettingError(ConfigError):
    """A settings field holds a value its annotation does not allow.

    Attributes:
        field: the field's name. problem: what is wrong (``"must be >= 1"``).
        value: the value that came.
    """

    def __init__(self, owner: str, field: str, problem: str, value: Any) -> None:
        super().__init__(f"{owner} {field} {problem}{_got(problem, value)}")
        self.field, self.problem, self.value = field, problem, value


def _got(problem: str, value: Any) -> str:
    """``, got 3`` (``; got 3`` after a list of choices)."""
    if problem == "is missing":
        return ""
    return f"{';' if 'one of' in problem or 'valid keys' in problem else ','} got {value!r}"


class Settings:
    """Base of every settings dataclass: each field is validated against its annotation
    (and converted: lists to tuples, ``"3e-4"`` to a float) when the dataclass is made,
    however it is made, so no invalid setting exists.

    Attributes:
        label: how messages name the table (``"[train]"``); ``build_settings`` names the
            table it reads instead.

    A subclass with checks across fields defines ``__post_init__`` and calls
    ``super().__post_init__()`` first.
    """

    label: ClassVar[str] = ""
    __pydantic_config__: ClassVar[ConfigDict] = PYDANTIC_CONFIG

    def __post_init__(self) -> None:
        cls = type(self)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            try:
                checked = _field_adapter(cls, f.name).validate_python(value)
            except ValidationError as exc:
                error = _first(exc)
                path, annotation = _inside(field_types(cls)[f.name], error["loc"])
                raise SettingError(cls.label or f"{cls.__name__}:", ".".join([f.name, *path]),
                                   _problem(error, annotation),
                                   error["input"] if path else value) from None
            if checked is not value:
                object.__setattr__(self, f.name, checked)


@functools.cache
def _field_adapter(cls: type, name: str) -> TypeAdapter:
    annotation = field_types(cls)[name]
    if dataclasses.is_dataclass(annotation):  # a nested table brings its own config
        return TypeAdapter(annotation)
    return TypeAdapter(annotation, config=PYDANTIC_CONFIG)


def build_settings(cls: type[T], values: Mapping[str, Any] | None, where: str) -> T:
    """``cls`` built from ``values`` after checking every key and value.

    Args:
        cls: a settings dataclass (a :class:`Settings` subclass).
        values: the table (None: every default).
        where: the table's name in messages (``"[task]"``, ``"Forecaster:"``).

    Raises:
        ConfigError: for a non-table, an unknown key (listing the valid ones), a missing
            one, or a value of the wrong type or out of range (naming the key and value).
    """
    values = {} if values is None else values
    if not isinstance(values, Mapping):
        raise ConfigError(f"{where} must be a table, got {type(values).__name__}")
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(names), key=str)
    if unknown:
        raise ConfigError(f"unknown key{'s' * (len(unknown) > 1)} in {where}: "
                          f"{', '.join(map(str, unknown))}; valid keys: {', '.join(names)}")
    missing = [f.name for f in dataclasses.fields(cls) if f.name not in values
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"missing key{'s' * (len(missing) > 1)} in {where}: "
                          f"{', '.join(missing)}")
    try:
        return cls(**values)
    except SettingError as exc:
        raise ConfigError(f"{where} {exc.field} {exc.problem}"
                          f"{_got(exc.problem, exc.value)}") from None
    except ConfigError as exc:  # a check across fields
        raise ConfigError(f"{where} {exc}") from None


def _first(exc: ValidationError) -> dict[str, Any]:
    errors = exc.errors(include_url=False)
    return next((e for e in errors if e["type"] != "none_required"), errors[0])


def _inside(annotation: Any, loc: tuple) -> tuple[list[str], Any]:
    """The path of an error's location through nested settings tables, and the annotation
    of the field it reaches (``(["horizon"], count(...))`` for ``resolved.horizon``)."""
    path: list[str] = []
    for part in loc:
        annotation = _unwrap_optional(annotation)
        if typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        elif not dataclasses.is_dataclass(annotation):
            break  # inside a union or a list: the field's own annotation says it all
        elif part in _names(annotation):
            annotation = field_types(annotation)[part]
        else:
            return [*path, str(part)], annotation  # a key the table does not have
        path.append(str(part))
    return path, annotation


def _unwrap_optional(annotation: Any) -> Any:
    """``X`` for ``X | None``; any other annotation unchanged."""
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return annotation
    members = [a for a in typing.get_args(annotation) if a is not type(None)]
    return members[0] if len(members) == 1 else annotation


def _names(annotation: Any) -> list[str]:
    """The field names of a settings table ([] for any other annotation)."""
    if not dataclasses.is_dataclass(annotation):
        return []
    return [f.name for f in dataclasses.fields(annotation)]


def _problem(error: Mapping[str, Any], annotation: Any) -> str:
    """What the value must be: the whole requirement the annotation states (``"must be an
    integer >= 1"``), or the message of the field's own validator."""
    if error["type"] in ("missing", "missing_argument"):
        return "is missing"
    if error["type"] == "unexpected_keyword_argument":
        return f"is not a key of the table; valid keys: {', '.join(_names(annotation))}"
    if error["type"] == "value_error":  # our own validators say what the value must be
        return str((error.get("ctx") or {}).get("error", error["msg"]))
    return "must be " + requirement(annotation)


def requirement(annotation: Any) -> str:
    """What a value of ``annotation`` must be, in words.

    Example:
        >>> requirement(Count), requirement(DropProbability | None)
        ('an integer >= 1', 'a finite number in [0, 1)')
        >>> requirement(typing.Literal["a", "b"])
        'one of a, b'
    """
    base, bounds = annotation, {}
    while typing.get_origin(base) is Annotated:
        base, *metadata = typing.get_args(base)
        for item in metadata:
            for meta in [item, *getattr(item, "metadata", ())]:
                bounds.update({k: getattr(meta, k) for k in ("ge", "gt", "le", "lt",
                                                             "min_length", "max_length")
                               if getattr(meta, k, None) is not None})
    origin = typing.get_origin(base)
    if origin is typing.Literal:
        return "one of " + ", ".join(map(str, typing.get_args(base)))
    if origin in (typing.Union, types.UnionType):
        parts = [requirement(a) for a in typing.get_args(base) if a is not type(None)]
        parts = [part.replace(f"a list, each {parts[0]}", "a list of them") for part in parts]
        return " or ".join(parts)
    if origin is tuple:
        sizes = [f"{word} {bounds[k]}" for word, k in (("at least", "min_length"),
                                                        ("at most", "max_length")) if k in bounds]
        return f"a list, each {requirement(typing.get_args(base)[0])}" + (
            f" ({' and '.join(sizes)})" if sizes else "")
    if origin is dict:
        return f"a table, each value {requirement(typing.get_args(base)[1])}"
    if dataclasses.is_dataclass(base):
        return "a table of " + ", ".join(_names(base))
    noun = {bool: "true or false", int: "an integer", float: "a finite number",
            str: "a string"}.get(base, getattr(base, "__name__", str(base)))
    return noun + _interval(bounds)


def _interval(bounds: dict[str, float]) -> str:
    """`` >= 1``, `` in (0, 1)``, `` in [1, 64]`` from pydantic's bounds."""
    low = ("[", bounds["ge"]) if "ge" in bounds else ("(", bounds["gt"]) if "gt" in bounds \
        else None
    high = ("]", bounds["le"]) if "le" in bounds else (")", bounds["lt"]) if "lt" in bounds \
        else None
    if low and high:
        return f" in {low[0]}{_number(low[1])}, {_number(high[1])}{high[0]}"
    if low:
        return f" {'>=' if low[0] == '[' else '>'} {_number(low[1])}"
    if high:
        return f" {'<=' if high[0] == ']' else '<'} {_number(high[1])}"
    return ""


def _number(x: float) -> str:
    return str(x) if isinstance(x, int) else f"{x:g}"


def to_dict(settings: Any) -> dict[str, Any]:
    """A settings dataclass as a JSON-able dict (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(settings)))


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

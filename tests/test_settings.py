"""Settings dataclasses: nested tables (a task's fitted state) are validated field by field,
and every problem is one message naming the dotted field and the value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import pytest
from pydantic import Field

from lstmkit.errors import ConfigError
from lstmkit.settings import Flag, Settings, build_settings, count


@dataclass(frozen=True)
class Inner(Settings):
    horizon: count(100)
    log: Flag = False


@dataclass(frozen=True)
class Outer(Settings):
    resolved: Inner
    names: Annotated[tuple[str, ...], Field(min_length=1, max_length=3)]
    metrics: dict[str, Annotated[float, Field(allow_inf_nan=True)]]


GOOD = {"resolved": {"horizon": 5}, "names": ["a"], "metrics": {"loss": float("nan")}}


def test_settings_nested_table_builds_the_inner_dataclass():
    outer = build_settings(Outer, GOOD, "f.json:")
    assert outer.resolved == Inner(5) and outer.names == ("a",)
    assert outer.metrics["loss"] != outer.metrics["loss"]  # NaN allowed where declared


@pytest.mark.parametrize(("change", "message"), [
    ({"resolved": {"horizon": 500}},
     "f.json: resolved.horizon must be an integer in [1, 100], got 500"),
    ({"resolved": {}}, "f.json: resolved.horizon is missing"),
    ({"resolved": {"horizon": 5, "evil": 1}},
     "f.json: resolved.evil is not a key of the table; valid keys: horizon, log; got 1"),
    ({"resolved": [1]}, "f.json: resolved must be a table of horizon, log, got [1]"),
    ({"resolved": {"horizon": 5, "log": 1}}, "f.json: resolved.log must be true or false"),
    ({"names": []}, "f.json: names must be a list, each a string (at least 1 and at most 3), "
                    "got []"),
    ({"metrics": {"loss": "low"}}, "f.json: metrics.loss must be a finite number"),
])
def test_settings_nested_errors_name_the_dotted_field(change, message):
    with pytest.raises(ConfigError) as info:
        build_settings(Outer, {**GOOD, **change}, "f.json:")
    assert str(info.value).startswith(message)


@dataclass(frozen=True)
class Holder(Settings):
    inner: Inner | None = None


def test_settings_optional_nested_table_names_the_inner_field():
    with pytest.raises(ConfigError, match=r"^f.json: inner.horizon must be an integer in "
                                          r"\[1, 100\], got 0$"):
        build_settings(Holder, {"inner": {"horizon": 0}}, "f.json:")
    assert build_settings(Holder, {"inner": None}, "f.json:").inner is None

"""Help text of command-line options, from the ``Attributes:`` section of a settings
dataclass's docstring: the one place a setting is documented."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re


@functools.cache
def field_help(cls: type) -> dict[str, str]:
    """Each field's help text, from the ``Attributes:`` section of ``cls``'s docstring
    and of its bases' (a subclass documents only the fields it adds or redefines).

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
    helps: dict[str, str] = {}
    for base in reversed(cls.__mro__):  # the subclass's entries last: they win
        helps.update(_attribute_entries(inspect.cleandoc(vars(base).get("__doc__") or "")))
    names = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else helps
    return {name: _plain(text) for name, text in helps.items() if name in names}


def _plain(text: str) -> str:
    """Docstring markup as plain text: ````x```` and ``:class:`~a.B``` become x and B."""
    text = re.sub(r":\w+:`~?(?:[\w.]*\.)?([^`]+)`", r"\1", text)
    return text.replace("``", "")


def _attribute_entries(doc: str) -> dict[str, str]:
    """``{field: help}`` from the ``Attributes:`` section of one docstring."""
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

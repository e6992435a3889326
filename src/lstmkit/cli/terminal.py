"""User text made safe for the terminal: every path, column name, id, option value or
prompt the command line prints goes through :func:`safe` first.

Two things can go wrong when such text is printed as it is:

* rich reads ``[...]`` as markup: ``--out 'data[/tmp]/x'`` is a markup error, and a CSV
  header ``[link=https://example.com]x`` becomes a clickable link;
* control characters act on the terminal: ANSI CSI and OSC escape sequences recolour,
  retitle or rewrite the screen, ``\\r`` overwrites a line.

:func:`safe` shows control characters as visible escapes (``\\x1b``) and escapes rich
markup; :func:`strip_controls` removes them (for the text a model generates, which is
written as it is).
"""

from __future__ import annotations

import re

from rich.markup import escape

# C0 and C1 controls, DEL, the line and paragraph separators and the bidirectional
# overrides and isolates (which reorder what the terminal shows)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# whole escape sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other ESC X
_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
                       r"|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x1b\x9c]*[\x07\x9c]?")


def _visible(match: re.Match[str]) -> str:
    return "".join(f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"
                   for c in match.group())


def safe(text: object, *, markup: bool = True, keep: str = "\t\n") -> str:
    """``text`` as a string that prints as itself: control characters other than those
    in ``keep`` shown as visible escapes, and, if ``markup``, rich markup escaped.

    Use ``markup=True`` for ``Console.print`` and rich tables, ``markup=False`` for
    ``typer.echo``; ``keep=""`` for one-line messages.

    Example:
        >>> safe("data[/tmp]/x")
        'data\\\\[/tmp]/x'
        >>> safe("a\\x1b[31mb\\rc", markup=False)
        'a\\\\x1b[31mb\\\\x0dc'
    """
    def visible(match: re.Match[str]) -> str:
        kept = match.group()
        return kept if kept in keep and len(kept) == 1 else _visible(match)

    shown = _CONTROL.sub(visible, str(text))
    return escape(shown) if markup else shown


def strip_controls(text: str, *, keep: str = "\t\n") -> str:
    """``text`` without escape sequences and control characters (but those in ``keep``).

    Example:
        >>> strip_controls("to\\x1b]0;title\\x07 be\\r\\n")
        'to be\\n'
    """
    text = _SEQUENCE.sub("", text)
    return _CONTROL.sub(lambda m: m.group() if m.group() in keep else "", text)


def one_line(text: object) -> str:
    """``text`` folded to one line (each line break, with the blanks around it, and each
    tab become one space), every other control character visible: for ``error: ...``
    lines.

    Example:
        >>> one_line("bad value\\n  in line 3\\x1b[0m")
        'bad value in line 3\\\\x1b[0m'
    """
    folded = re.sub(r"[ \t]*(?:\r?\n[ \t]*)+|\t", " ", str(text)).strip(" ")
    return safe(folded, markup=False, keep="")

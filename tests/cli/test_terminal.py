"""terminal.safe / strip_controls / one_line: user text prints as itself."""

from __future__ import annotations

import pytest
from rich.console import Console

from lstmkit.cli.terminal import one_line, safe, strip_controls


def render(markup: str) -> str:
    console = Console(width=200, force_terminal=False, color_system=None)
    with console.capture() as captured:
        console.print(markup, highlight=False)
    return captured.get()


@pytest.mark.parametrize("text", ["data[/tmp]/x", "[link=https://evil.example]x[/link]",
                                  "[bold]loud", "back\\slash", "a[b]c[/]d", "[/]"])
def test_safe_text_renders_as_itself_through_rich(text):
    assert render(safe(text)) == text + "\n"


@pytest.mark.parametrize(("text", "shown"), [
    ("a\x1b[31mb", "a\\x1b[31mb"),
    ("t\x1b]8;;https://x\x07y", "t\\x1b]8;;https://x\\x07y"),
    ("over\rwrite", "over\\x0dwrite"),
    ("c1\x9bcsi", "c1\\x9bcsi"),
    ("del\x7f", "del\\x7f"),
    ("bidi\u202etxt", "bidi\\u202etxt"),
    ("tab\tand\nnewline", "tab\tand\nnewline"),
])
def test_safe_shows_control_characters_as_escapes(text, shown):
    assert safe(text, markup=False) == shown


def test_safe_accepts_any_object():
    from pathlib import Path

    assert safe(Path("a[b]")) == "a\\[b]"
    assert safe(3) == "3"


@pytest.mark.parametrize(("text", "stripped"), [
    ("to\x1b]0;title\x07 be\r\n", "to be\n"),
    ("\x1b[2J\x1b[Hclear", "clear"),
    ("keep\ttabs\nand lines", "keep\ttabs\nand lines"),
    ("c1\x9b31mx", "c1x"),
    ("bell\x07", "bell"),
])
def test_strip_controls_removes_sequences_and_controls(text, stripped):
    assert strip_controls(text) == stripped


def test_one_line_folds_lines_and_shows_the_rest():
    assert one_line("bad value\n   at line 3\r\n\tin [x]") == "bad value at line 3 in [x]"
    assert one_line("path \x1b[31mred\rend") == "path \\x1b[31mred\\x0dend"
    assert "\n" not in one_line("a\n\nb") and one_line("a\n\nb") == "a b"


def test_generate_writes_the_text_without_control_characters(monkeypatch, capsys):
    import lstmkit.cli.text as text_cli
    from lstmkit.cli.main import main

    class Model:
        def encode_prompt(self, prompt):
            return [1]

        def generate(self, prompt, *, stream, **kwargs):
            for piece in ("ok ", "\x1b", "]0;pwned\x07", " \x1b[2J", "done\r"):
                stream(piece)

    monkeypatch.setattr(text_cli, "load_text_model", lambda path: Model())
    main(["text", "generate", "m", "--prompt", "say\x1b[31m:"])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    # whole sequences go when they come in one piece; split ones lose their controls
    assert out == "say:ok ]0;pwned done\n"

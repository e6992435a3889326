"""Tagged sentences from files: CoNLL, CoNLL-U and token-per-line readers.

Three layouts, one sentence per block of lines, blocks separated by blank lines:

* ``conllu``: the ten tab-separated columns of Universal Dependencies (ID, FORM, LEMMA,
  UPOS, XPOS, FEATS, HEAD, DEPREL, DEPS, MISC); ``#`` lines are comments. A multiword
  token's line (ID ``3-4``) and an empty node's (ID ``5.1``) are skipped: the tags
  belong to the syntactic words. ``column`` is a column name (``upos``, ``xpos``...).
* ``conll``: whitespace-separated columns, the token first (CoNLL-2000/2003 style;
  tab-separated when a line holds a tab); ``-DOCSTART-`` lines are skipped. ``column``
  is the tag column's 0-based index (default: the last), or ``none`` for no tags.
* ``tokens``: one token per line and nothing else (text to tag).

A malformed line is a :class:`~lstmkit.errors.DatasetError` naming the file and the line
number. Nothing is ever evaluated or unpickled.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import DatasetError
from ..io import read_bounded
from .text import decode_utf8

FORMATS = ("conll", "conllu", "tokens")
CONLLU_COLUMNS = ("id", "form", "lemma", "upos", "xpos", "feats", "head", "deprel", "deps",
                  "misc")
MAX_TAGGED_FILE_BYTES = 1 << 30  # 1 GiB


@dataclass(frozen=True)
class TaggedCorpus:
    """Sentences read from a file, with their tags when the file has them.

    Attributes:
        sentences: the tokens of each sentence.
        tags: the tags of each sentence (same lengths), or None.
        lines: the line number (1-based) of each sentence's first word.
        source: the file name, for messages.
    """

    sentences: list[list[str]]
    tags: list[list[str]] | None
    lines: list[int]
    source: str

    def __len__(self) -> int:
        return len(self.sentences)

    def subset(self, keep: list[int]) -> TaggedCorpus:
        """The sentences at the indices ``keep``, in that order."""
        return TaggedCorpus([self.sentences[i] for i in keep],
                            None if self.tags is None else [self.tags[i] for i in keep],
                            [self.lines[i] for i in keep], self.source)


def guess_format(path: str | os.PathLike) -> str:
    """``conllu`` for ``*.conllu``, else ``conll``."""
    return "conllu" if str(path).lower().endswith(".conllu") else "conll"


def read_tagged(path: str | os.PathLike, *, format: str | None = None,
                column: str | None = None) -> TaggedCorpus:
    """The sentences (and tags) of the file at ``path``; see the module docstring.

    Args:
        path: the file.
        format: ``conll``, ``conllu`` or ``tokens`` (default: from the file name).
        column: the tag column: a CoNLL-U column name (default ``upos``), a CoNLL column
            index (default the last), or ``none`` to read tokens only.

    Raises:
        DatasetError: naming the file (and the line): missing, empty, not UTF-8, a
            malformed line, an unknown column, no sentence.
    """
    data = read_bounded(path, limit=MAX_TAGGED_FILE_BYTES, error=DatasetError)
    return parse_tagged(decode_utf8(data, source=str(path)), source=str(path),
                        format=format or guess_format(path), column=column)


def parse_tagged(text: str, *, source: str = "text", format: str = "conll",
                 column: str | None = None) -> TaggedCorpus:
    """Like :func:`read_tagged`, from the text of a file.

    Example:
        >>> corpus = parse_tagged("The DT\\ncat NN\\n\\nRun VB\\n")
        >>> corpus.sentences, corpus.tags
        ([['The', 'cat'], ['Run']], [['DT', 'NN'], ['VB']])
    """
    if format not in FORMATS:
        raise DatasetError(f"{source}: unknown format {format!r}; expected one of "
                           f"{', '.join(FORMATS)}")
    pick = _column_picker(format, column, source)
    sentences, tags, starts = [], [], []
    words: list[str] = []
    labels: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            if words:
                sentences.append(words), tags.append(labels)
                words, labels = [], []
            continue
        if not words:
            starts.append(number)
        word = pick(line, f"{source}:{number}")
        if word is None:
            if not words:
                starts.pop()
            continue
        words.append(word[0])
        labels.append(word[1])
    if words:
        sentences.append(words), tags.append(labels)
    if not sentences:
        raise DatasetError(f"{source}: holds no sentence; expected {format} lines "
                           "(sentences separated by blank lines)")
    has_tags = pick.has_tags  # type: ignore[attr-defined]
    return TaggedCorpus(sentences, tags if has_tags else None, starts, source)


def _column_picker(format: str, column: str | None, source: str):
    """A function ``(line, where) -> (token, tag) | None`` (None: skip the line)."""
    wanted = None if column is None else str(column).strip().lower()
    if format == "conllu":
        return _conllu_picker(wanted, source)
    if format == "tokens":
        if wanted not in (None, "none"):
            raise DatasetError(f"{source}: the tokens format has no tag column; got "
                               f"--column {column}")
        return _picker(lambda line, where: (line.strip(), ""), False)
    return _conll_picker(wanted, source)


def _picker(function, has_tags: bool):
    function.has_tags = has_tags
    return function


def _conllu_picker(wanted: str | None, source: str):
    name = wanted or "upos"
    if name != "none" and name not in CONLLU_COLUMNS[1:]:
        raise DatasetError(f"{source}: unknown CoNLL-U column {name!r}; expected one of "
                           f"{', '.join(CONLLU_COLUMNS[1:])} or none")
    index = None if name == "none" else CONLLU_COLUMNS.index(name)

    def pick(line: str, where: str) -> tuple[str, str] | None:
        if line.startswith("#"):
            return None
        cells = line.split("\t")
        if len(cells) != 10:
            raise DatasetError(f"{where}: expected 10 tab-separated CoNLL-U columns, got "
                               f"{len(cells)}: {line[:60]!r}")
        if "-" in cells[0] or "." in cells[0]:  # multiword token or empty node
            return None
        if not cells[0].isdigit():
            raise DatasetError(f"{where}: expected a word ID (1, 2, ...), got {cells[0]!r}")
        return cells[1], "" if index is None else cells[index]

    return _picker(pick, index is not None)


def _conll_picker(wanted: str | None, source: str):
    if wanted not in (None, "none"):
        try:
            index = int(wanted)
        except ValueError:
            raise DatasetError(f"{source}: unknown CoNLL column {wanted!r}; expected a "
                               "column index (0 is the token) or none") from None
        if index == 0:
            raise DatasetError(f"{source}: column 0 holds the tokens; give the tag column")
    else:
        index = -1 if wanted is None else None
    width: list[int] = []

    def pick(line: str, where: str) -> tuple[str, str] | None:
        cells = line.split("\t") if "\t" in line else line.split()
        if cells[0] == "-DOCSTART-":
            return None
        if index is None:
            return cells[0], ""
        if len(cells) < 2 or not -len(cells) <= index < len(cells):
            raise DatasetError(f"{where}: expected a token and a tag in column {index}, got "
                               f"{len(cells)} column{'s' * (len(cells) != 1)}: {line[:60]!r}")
        if width and len(cells) != width[0]:
            raise DatasetError(f"{where}: expected {width[0]} columns like the lines "
                               f"before, got {len(cells)}: {line[:60]!r}")
        width[:] = [len(cells)]
        return cells[0], cells[index]

    return _picker(pick, index is not None)


def write_tagged(path: str | os.PathLike, sentences: list[list[str]],
                 tags: list[list[str]]) -> None:
    """Write ``token<TAB>tag`` lines, a blank line after each sentence (atomically)."""
    from ..io import atomic_write

    lines = []
    for words, labels in zip(sentences, tags, strict=True):
        lines += [f"{w}\t{t}" for w, t in zip(words, labels, strict=True)] + [""]
    atomic_write(Path(path), ("\n".join(lines) + "\n").encode("utf-8"))

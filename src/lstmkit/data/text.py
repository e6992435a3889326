"""Text in, token ids out: strict UTF-8 reading and the character and word tokenisers.

A tokeniser is fitted on a training text, maps every piece of text to ids (pieces it
never saw become the unknown token, id 0) and back, and round-trips through a JSON dict
so that it is saved beside the model it belongs to.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

from ..errors import DatasetError, LstmkitError

TOKENIZER_FORMAT = "lstmkit-tokenizer"
# A word or a punctuation mark, each with at most one leading space, or any other single
# whitespace character: every character is covered, so decode(encode(s)) == s.
_WORD_PIECES = re.compile(r" ?\w+(?:'\w+)*| ?[^\w\s]|\s")


class TextError(LstmkitError, ValueError):
    """A text or prompt a model cannot use: empty, or with tokens outside its vocabulary."""


def decode_utf8(data: bytes, *, source: str = "text") -> str:
    """``data`` as text, or a :class:`~lstmkit.errors.DatasetError` that names the problem.

    Args:
        data: the raw bytes.
        source: what to call the bytes in messages (usually the file name).

    Raises:
        DatasetError: if ``data`` is empty, looks binary (holds a NUL byte), or is not
            UTF-8; the message gives the byte offset of the first bad byte.

    Example:
        >>> decode_utf8("café".encode())
        'café'
        >>> decode_utf8(b"ok\\xff")
        Traceback (most recent call last):
        ...
        lstmkit.errors.DatasetError: text: not valid UTF-8 at byte offset 2 (byte 0xff)
    """
    if not data:
        raise DatasetError(f"{source}: is empty; expected some text")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise DatasetError(f"{source}: looks like a binary file (NUL byte at byte offset "
                           f"{nul}); expected UTF-8 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{source}: not valid UTF-8 at byte offset {exc.start} "
                           f"(byte 0x{data[exc.start]:02x})") from None


def read_text(path: str | os.PathLike) -> str:
    """The UTF-8 text of the file at ``path`` (see :func:`decode_utf8` for the checks).

    Raises:
        DatasetError: if the file is missing, a directory, empty, binary or not UTF-8.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "no such file"
        raise DatasetError(f"{path}: {what}; expected a UTF-8 text file")
    return decode_utf8(path.read_bytes(), source=str(path))


def read_lines(path: str | os.PathLike) -> list[str]:
    """The non-blank lines of the UTF-8 text file at ``path``, stripped: one sentence or
    document each (unlabelled text for word vectors, say).

    Raises:
        DatasetError: as :func:`read_text`, or when every line is blank.
    """
    lines = [line.strip() for line in read_text(path).splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise DatasetError(f"{path}: holds only blank lines; expected one sentence or "
                           "document per line")
    return lines


class Tokenizer:
    """Base of the tokenisers: a vocabulary of pieces with the unknown piece at id 0.

    Subclasses define :meth:`split` (text to pieces, losslessly) and ``unknown``.

    Attributes:
        vocab_: the pieces by id; ``vocab_[0]`` is the unknown piece.
    """

    level: ClassVar[str] = ""
    unknown: ClassVar[str] = ""

    def __init__(self, vocab: list[str] | None = None) -> None:
        self.vocab_ = list(vocab) if vocab is not None else None
        self._index = None if vocab is None else {p: i for i, p in enumerate(self.vocab_)}

    @staticmethod
    def split(text: str) -> list[str]:
        """The pieces of ``text``; ``"".join(split(text)) == text``."""
        raise NotImplementedError

    def fit(self, text: str, *, max_vocab: int | None = None, min_count: int = 1) -> Tokenizer:
        """Build the vocabulary from ``text``: the ``max_vocab - 1`` most frequent pieces
        seen at least ``min_count`` times (ties broken by first appearance). Returns self."""
        counts = Counter(self.split(text))
        kept = [p for p, n in counts.most_common() if n >= min_count and p != self.unknown]
        if max_vocab is not None:
            kept = kept[:max(max_vocab - 1, 1)]
        self.__init__([self.unknown, *sorted(kept)])
        return self

    @property
    def vocab_size(self) -> int:
        """``V``, the number of ids, the unknown one included."""
        return len(self._vocab())

    def encode(self, text: str, *, strict: bool = False) -> list[int]:
        """Ids of the pieces of ``text``; unknown pieces become id 0.

        Raises:
            TextError: with ``strict=True``, naming the first unknown piece and its
                character offset.
        """
        index, ids, offset = self._vocab_index(), [], 0
        for piece in self.split(text):
            i = index.get(piece, 0)
            if i == 0 and strict:
                raise TextError(f"{piece!r} at character {offset} is not in the model's "
                                      f"{self.level} vocabulary ({self.vocab_size} tokens)")
            ids.append(i)
            offset += len(piece)
        return ids

    def decode(self, ids) -> str:
        """The text of ``ids`` (a list or 1-D tensor); id 0 shows as the unknown piece."""
        vocab = self._vocab()
        return "".join(vocab[int(i)] for i in ids)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description; :func:`tokenizer_from_dict` inverts it."""
        return {"format": TOKENIZER_FORMAT, "level": self.level, "vocab": self._vocab()}

    def _vocab(self) -> list[str]:
        if self.vocab_ is None:
            raise ValueError(f"{type(self).__name__}: not fitted; call fit(text) first")
        return self.vocab_

    def _vocab_index(self) -> dict[str, int]:
        self._vocab()
        return self._index

    def __repr__(self) -> str:
        size = "unfitted" if self.vocab_ is None else f"vocab_size={self.vocab_size}"
        return f"{type(self).__name__}({size})"


class CharTokenizer(Tokenizer):
    """One token per Unicode character; the unknown character shows as ``\\ufffd``.

    Example:
        >>> tok = CharTokenizer().fit("hello world")
        >>> tok.vocab_size, tok.decode(tok.encode("hello")), tok.decode(tok.encode("hi!"))
        (9, 'hello', 'h\\ufffd\\ufffd')
    """

    level = "char"
    unknown = "\ufffd"

    @staticmethod
    def split(text: str) -> list[str]:
        """Every character of ``text``."""
        return list(text)


class WordTokenizer(Tokenizer):
    """Words and punctuation marks, each with its leading space, and other whitespace
    characters one by one, so that decoding gives back the exact text.

    Example:
        >>> WordTokenizer.split("To be, or not.\\n")
        ['To', ' be', ',', ' or', ' not', '.', '\\n']
        >>> tok = WordTokenizer().fit("to be or not to be")
        >>> tok.decode(tok.encode("to be a bee"))
        'to be<unk><unk>'
    """

    level = "word"
    unknown = "<unk>"

    @staticmethod
    def split(text: str) -> list[str]:
        """Words and punctuation (with one leading space each) and other whitespace."""
        return _WORD_PIECES.findall(text)


TOKENIZERS: dict[str, type[Tokenizer]] = {"char": CharTokenizer, "word": WordTokenizer}


def make_tokenizer(level: str) -> Tokenizer:
    """An unfitted tokeniser for ``level`` (``"char"`` or ``"word"``)."""
    if level not in TOKENIZERS:
        raise ValueError(f"expected level 'char' or 'word', got {level!r}")
    return TOKENIZERS[level]()


def tokenizer_from_dict(content: dict[str, Any]) -> Tokenizer:
    """The tokeniser :meth:`Tokenizer.to_dict` described.

    Raises:
        ValueError: if ``content`` is not a tokeniser description.

    Example:
        >>> tok = tokenizer_from_dict(CharTokenizer().fit("abc").to_dict())
        >>> tok.encode("cab")
        [3, 1, 2]
    """
    level, vocab = content.get("level"), content.get("vocab")
    if content.get("format") != TOKENIZER_FORMAT or level not in TOKENIZERS or not (
            isinstance(vocab, list) and vocab and all(isinstance(p, str) for p in vocab)):
        raise ValueError("not an lstmkit tokenizer: expected format "
                         f"{TOKENIZER_FORMAT!r}, level 'char' or 'word' and a list of tokens")
    return TOKENIZERS[level](vocab)

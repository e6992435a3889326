"""Tokenisers and strict UTF-8 reading."""

import pytest

from lstmkit.data.text import (
    CharTokenizer,
    TextError,
    WordTokenizer,
    decode_utf8,
    read_text,
    tokenizer_from_dict,
)
from lstmkit.errors import DatasetError

SAMPLE = 'To be, or not to be: "that" is\n  the question—café 🙂.\n\n'


@pytest.mark.parametrize("cls", [CharTokenizer, WordTokenizer])
def test_tokenizer_round_trip_exact(cls):
    tok = cls().fit(SAMPLE)
    assert tok.decode(tok.encode(SAMPLE)) == SAMPLE


@pytest.mark.parametrize("cls", [CharTokenizer, WordTokenizer])
def test_tokenizer_json_round_trip_same_ids(cls):
    tok = cls().fit(SAMPLE)
    again = tokenizer_from_dict(tok.to_dict())
    assert type(again) is cls and again.encode(SAMPLE) == tok.encode(SAMPLE)


def test_tokenizer_unknown_maps_to_zero_or_raises_with_offset():
    tok = CharTokenizer().fit("abc")
    assert tok.encode("abz") == [1, 2, 0]
    with pytest.raises(TextError, match=r"^'z' at character 2 is not in the model's char "
                       r"vocabulary \(4 tokens\)$"):
        tok.encode("abz", strict=True)


def test_word_tokenizer_max_vocab_keeps_most_frequent():
    tok = WordTokenizer().fit(" a a a b b c", max_vocab=3)
    assert tok.vocab_ == ["<unk>", " a", " b"]


def test_tokenizer_from_dict_rejects_other_content():
    with pytest.raises(ValueError, match="not an lstmkit tokenizer"):
        tokenizer_from_dict({"format": "x", "level": "char", "vocab": ["a"]})


def test_decode_utf8_names_byte_offset():
    with pytest.raises(DatasetError, match=r"^f\.txt: not valid UTF-8 at byte offset 5 "
                       r"\(byte 0xe9\)$"):
        decode_utf8(b"hello\xe9world", source="f.txt")


def test_read_text_rejects_empty_binary_and_missing(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "bin.dat").write_bytes(b"PK\x03\x04\x00\x00")
    with pytest.raises(DatasetError, match=r"empty\.txt: is empty; expected some text"):
        read_text(tmp_path / "empty.txt")
    with pytest.raises(DatasetError, match=r"looks like a binary file \(NUL byte at byte "
                       r"offset 4\)"):
        read_text(tmp_path / "bin.dat")
    with pytest.raises(DatasetError, match="no such file"):
        read_text(tmp_path / "missing.txt")

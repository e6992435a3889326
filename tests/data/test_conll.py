"""CoNLL, CoNLL-U and token-per-line readers: columns, comments, multiword tokens and
empty nodes, malformed lines named by number; the bundled treebank tags equal the
package's file read by the CoNLL-U reader."""

import re
from pathlib import Path

import pytest

from lstmkit.data.conll import parse_tagged, read_tagged, write_tagged
from lstmkit.data.registry import bundled
from lstmkit.errors import DatasetError

CONLLU = """# sent_id = 1
# text = Ali'nin evi var.
1-2\tAli'nin\t_\t_\t_\t_\t_\t_\t_\t_
1\tAli\tAli\tPROPN\tNNP\t_\t3\tposs\t_\t_
2\t'nin\t_\tADP\tGEN\t_\t1\tcase\t_\t_
3\tevi\tev\tNOUN\tNN\t_\t4\tnsubj\t_\t_
3.1\tvar\tvar\tVERB\tVB\t_\t_\t_\t_\t_
4\tvar\tvar\tVERB\tVB\t_\t0\troot\t_\t_

# sent_id = 2
1\tTamam\ttamam\tINTJ\tUH\t_\t0\troot\t_\t_
"""


def test_conllu_skips_multiword_tokens_empty_nodes_and_comments():
    corpus = parse_tagged(CONLLU, format="conllu")
    assert corpus.sentences == [["Ali", "'nin", "evi", "var"], ["Tamam"]]
    assert corpus.tags == [["PROPN", "ADP", "NOUN", "VERB"], ["INTJ"]]
    assert corpus.lines == [4, 11]  # the line of each sentence's first word
    assert parse_tagged(CONLLU, format="conllu", column="xpos").tags[1] == ["UH"]
    assert parse_tagged(CONLLU, format="conllu", column="none").tags is None


def test_conll_reads_the_last_column_or_the_one_asked_for():
    text = "-DOCSTART- -X- O\n\nEU NNP B-ORG\nrejects VBZ O\n\nPeter NNP B-PER\n"
    corpus = parse_tagged(text)
    assert corpus.sentences == [["EU", "rejects"], ["Peter"]]
    assert corpus.tags == [["B-ORG", "O"], ["B-PER"]]
    assert parse_tagged(text, column="1").tags == [["NNP", "VBZ"], ["NNP"]]


def test_tokens_format_reads_one_token_per_line():
    corpus = parse_tagged("Hello\nworld\n\nBye\n", format="tokens")
    assert corpus.sentences == [["Hello", "world"], ["Bye"]] and corpus.tags is None


@pytest.mark.parametrize("text,format,column,message", [
    ("a X\nb\n", "conll", None, "f.txt:2: expected a token and a tag in column -1, got 1 "
                                "column"),
    ("a X Y\nb Z\n", "conll", None, "f.txt:2: expected 3 columns like the lines before, got 2"),
    ("1\ta\tb\n", "conllu", None, "f.txt:1: expected 10 tab-separated CoNLL-U columns, got 3"),
    ("x\ta\t_\tN\t_\t_\t_\t_\t_\t_\n", "conllu", None, "f.txt:1: expected a word ID"),
    ("a X\n", "conllu", "lemmas", "unknown CoNLL-U column 'lemmas'"),
    ("a X\n", "conll", "tag", "unknown CoNLL column 'tag'"),
    ("\n\n# only\n", "conllu", None, "holds no sentence"),
    ("a X\n", "yaml", None, "unknown format 'yaml'"),
])
def test_malformed_input_is_named_with_its_line(text, format, column, message):
    with pytest.raises(DatasetError, match=re.escape(message)):
        parse_tagged(text, source="f.txt", format=format, column=column)


def test_empty_file_is_refused(tmp_path):
    (tmp_path / "e.conll").write_bytes(b"")
    with pytest.raises(DatasetError, match=r"e\.conll: is empty"):
        read_tagged(tmp_path / "e.conll")


def test_write_then_read_round_trips(tmp_path):
    write_tagged(tmp_path / "t.conll", [["a", "b"], ["c"]], [["X", "Y"], ["Z"]])
    corpus = read_tagged(tmp_path / "t.conll")
    assert corpus.sentences == [["a", "b"], ["c"]] and corpus.tags == [["X", "Y"], ["Z"]]


def test_bundled_turkish_tags_equal_the_package_file():
    package = pytest.importorskip("turkish_treebanks")
    source = Path(package.__file__).parent.parent / "data" / "web.conllu"
    if not source.is_file():
        pytest.skip("turkish-treebanks without its data")
    original = read_tagged(source, column="upos")
    ours = read_tagged(bundled("turkish_web_upos").path)
    assert ours.sentences == original.sentences and ours.tags == original.tags
    assert len(ours) == 2541 and sum(map(len, ours.sentences)) == 32422

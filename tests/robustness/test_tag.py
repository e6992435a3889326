"""``lstmkit tag`` and ``lstmkit tag predict`` over bad inputs: one error line naming the
problem (the file and line of a malformed line), nothing written outside --out."""

from __future__ import annotations

import pytest

TINY = ["--epochs", "1", "--hidden-size", "4", "--word-size", "4", "--char-size", "0",
        "--no-tracking"]


def corpus(n: int = 20, tags=("DT", "NN", "VB")) -> str:
    """``n`` sentences of three tokens, tagged from ``tags`` in turn."""
    words = ["the", "dog", "runs"]
    return "".join("".join(f"{w}\t{tags[j % len(tags)]}\n" for j, w in enumerate(words))
                   + "\n" for _ in range(n))


def only_in_test() -> str:
    lines = []
    for i in range(20):
        last = "RB" if i % 10 == 9 else "VB"
        lines.append(f"the\tDT\ndog\tNN\nruns\t{last}\n")
    return "\n".join(lines)


# (file name, content, extra argv, fragments of the error line)
BAD = [
    ("bad.conll", corpus(3) + "dog\n" + corpus(10), [], ["bad.conll:13:",
                                                          "expected a token and a tag"]),
    ("bad.conllu", "1\tthe\tthe\tDET\n", [], ["bad.conllu:1:", "10 tab-separated"]),
    ("empty.conll", "", [], ["empty.conll", "is empty"]),
    ("blank.conll", "\n\n\n", [], ["blank.conll", "holds no sentence"]),
    ("c.conllu", "1\tthe\tthe\tDET\t_\t_\t0\troot\t_\t_\n\n" * 12, ["--column", "tags"],
     ["unknown CoNLL-U column 'tags'"]),
    ("c.conll", corpus(), ["--column", "5"], ["c.conll:1:", "column 5"]),
    ("one.conll", corpus(tags=("NN",)), [], ["single tag", "'NN'"]),
    ("few.conll", corpus(5), [], ["few.conll", "5 sentences", "at least 10"]),
    ("test.conll", only_in_test(), [], ["test.conll", "'RB'", "only in the test part"]),
    ("t.txt", "the\ndog\n", ["--format", "tokens"], ["has no tag column"]),
    ("c.conll", corpus(), ["--head", "hmm"], ["'--head'", "hmm"]),
    ("c.conll", corpus(), ["--format", "xml"], ["'--format'", "xml"]),
    ("c.conll", corpus(), ["--n-models", "0"], ["n_models", "[1, 1000]", "got 0"]),
]


@pytest.mark.parametrize("name,content,extra,fragments", BAD,
                         ids=[f"{b[0]}-{b[3][-1]}" for b in BAD])
def test_tag_bad_input_is_one_line(cli, name, content, extra, fragments):
    (cli.cwd / name).write_text(content)
    cli.mark()
    outcome = cli(["tag", "--data", name, "--out", "out", *TINY, *extra])
    outcome.assert_user_error(*fragments)
    cli.assert_untouched(allowed=["out"])
    assert not (cli.cwd / "out").exists()


def test_tag_predict_bad_inputs_are_one_line(cli):
    (cli.cwd / "c.conll").write_text(corpus())
    assert cli(["tag", "--data", "c.conll", "--out", "run", *TINY]).code == 0
    outcome = cli(["tag", "predict", "nowhere", "--data", "c.conll"])
    outcome.assert_user_error("nowhere", "no such model directory")
    outcome = cli(["tag", "predict", "run", "--data", "missing.txt"])
    outcome.assert_user_error("missing.txt", "file not found")
    outcome = cli(["tag", "predict", "run", "--data", "c.conll", "--format", "json"])
    outcome.assert_user_error("--format", "json")


@pytest.mark.parametrize("content,fragments", [
    (None, ["raw.txt", "no such file"]),
    ("\n  \n", ["raw.txt", "only blank lines"]),
    (b"the \xff dog\n", ["raw.txt", "not valid UTF-8"]),
], ids=["missing", "blank", "not-utf8"])
def test_tag_bad_unlabelled_file_is_one_line(cli, content, fragments):
    (cli.cwd / "c.conll").write_text(corpus())
    if isinstance(content, bytes):
        (cli.cwd / "raw.txt").write_bytes(content)
    elif content is not None:
        (cli.cwd / "raw.txt").write_text(content)
    cli.mark()
    outcome = cli(["tag", "--data", "c.conll", "--out", "out", "--unlabelled", "raw.txt",
                   *TINY])
    outcome.assert_user_error(*fragments)
    cli.assert_untouched(allowed=["out"])
    assert not (cli.cwd / "out").exists()

"""Bad text-classification options to ``lstmkit classify``: one line ``error: ...``
naming the option, a non-zero exit, nothing written."""

from __future__ import annotations

import pytest

TEXTS = "id,text,label\n" + "".join(f"{i},{'good fun film' if i % 2 else 'dull bad film'},"
                                    f"{'pos' if i % 2 else 'neg'}\n" for i in range(16))
TINY = ["--model", "lstm", "--epochs", "1", "--hidden-size", "2", "--embedding-dim", "2",
        "--no-baselines", "--no-tracking", "--out", "out"]

CASES = [  # (extra argv, fragments of the error line)
    (["--bag-ngrams", "2", "--bag-fusion", "middle"], ["--bag-fusion", "middle"]),
    (["--bag-ngrams", "3"], ["bag_ngrams", "[0, 2]", "got 3"]),
    (["--unlabelled", "raw.txt"], ["raw.txt", "no such file"]),
    (["--unlabelled", "blank.txt"], ["blank.txt", "only blank lines"]),
]


@pytest.mark.parametrize("extra,fragments", CASES, ids=["bag-fusion", "bag-ngrams",
                                                        "unlabelled-missing",
                                                        "unlabelled-blank"])
def test_classify_bad_text_option_is_one_line(cli, extra, fragments):
    (cli.cwd / "data.csv").write_text(TEXTS)
    (cli.cwd / "blank.txt").write_text("\n \n")
    cli.mark()
    outcome = cli(["classify", "--data", "data.csv", *TINY, *extra])
    outcome.assert_user_error(*fragments)
    cli.assert_untouched(allowed=["lstmkit-runs"])
    assert not (cli.cwd / "out").exists()


def test_classify_unlabelled_file_words_join_the_vocabulary(cli):
    """``--unlabelled FILE``: words only in its lines get ids in the saved model."""
    from lstmkit.tasks.classification import SequenceClassifier

    (cli.cwd / "data.csv").write_text(TEXTS)
    (cli.cwd / "raw.txt").write_text("a splendid film\n\nsplendid fun\n")
    argv = ["classify", "--data", "data.csv", *TINY, "--text-level", "word"]
    assert cli([*argv[:-2], "--out", "with", "--unlabelled", "raw.txt"]).code == 0
    assert cli([*argv[:-2], "--out", "without"]).code == 0
    vocab = {d: SequenceClassifier.load(cli.cwd / d / "model").tokenizer_.vocab_
             for d in ("with", "without")}
    assert any("splendid" in p for p in vocab["with"])
    assert not any("splendid" in p for p in vocab["without"])

"""Bad input to ``lstmkit classify`` and ``lstmkit classify predict``: one line
``error: ...`` naming the problem, a non-zero exit, nothing written outside --out (and
nothing half-written in it)."""

from __future__ import annotations

import pytest

TINY = ["--epochs", "1", "--hidden-size", "2", "--filters", "2", "--filters", "2",
        "--filters", "2", "--no-baselines", "--no-tracking", "--out", "out"]


def long_table(rows_per_id: int = 6, *, labels=("a", "b", "a", "b", "a", "b", "a", "b"),
               split=("train",) * 6 + ("test",) * 2, value=lambda i, t: f"{i + t}") -> str:
    lines = ["id,time,value,label,split"]
    for i, (label, part) in enumerate(zip(labels, split, strict=True)):
        lines += [f"{i},{t},{value(i, t)},{label},{part}" for t in range(rows_per_id)]
    return "\n".join(lines) + "\n"


CASES = [  # (file content, extra argv, fragments of the error line)
    (long_table(), ["--label-col", "kind"], ["data.csv", "label column 'kind' not found",
                                             "--label-col"]),
    (long_table(labels=("a",) * 8), [], ["data.csv", "one class only", "'a'"]),
    (long_table(labels=("a", "b", "a", "b", "a", "b", "a", "c")), [],
     ["data.csv", "label 'c' occurs only in the test part"]),
    (long_table(value=lambda i, t: "" if (i, t) == (2, 3) else "1.5"), [],
     ["sequence 2", "NaN", "step 3"]),
    (long_table(value=lambda i, t: "x" if (i, t) == (1, 1) else "1"), [],
     ["column 'value'", "not a number"]),
    (long_table() + "9,0,1,a,train,extra\n", [], ["data.csv", "malformed table",
                                                  "line 50"]),
    (long_table(), ["--id-col", "series"], ["data.csv", "id column 'series' not found"]),
    (long_table(split=("train",) * 4 + ("later",) * 4), [],
     ["data.csv", "column 'split'", "'later'"]),
    (long_table(), ["--unlabelled", "data.csv"], ["unlabelled", "the data are series"]),
    ("id,text,label\n" + "".join(f"{i},{'' if i == 1 else 'hi there'},{'ab'[i % 2]}\n"
                                  for i in range(8)), [],
     ["data.csv", "column 'text': empty cell"]),
    ("id,text,label\n0,hello there,a\n1,hi,\n2,good day,a\n3,bad day,b\n", [],
     ["data.csv", "empty label in data row 2"]),
]


@pytest.mark.parametrize("content,extra,fragments", CASES,
                         ids=["unknown-label-col", "single-class", "label-only-in-test",
                              "nan-in-series", "non-numeric", "ragged-row", "unknown-id-col",
                              "bad-split", "unlabelled-beside-series", "empty-document",
                              "empty-label"])
def test_classify_bad_data_is_one_line(cli, content, extra, fragments):
    (cli.cwd / "data.csv").write_text(content)
    cli.mark()
    outcome = cli(["classify", "--data", "data.csv", *TINY, *extra])
    outcome.assert_user_error(*fragments)
    cli.assert_untouched(allowed=["out", "lstmkit-runs"])
    assert not (cli.cwd / "out").exists()


def test_classify_unknown_dataset_is_one_line(cli):
    outcome = cli(["classify", "--data", "no-such-set", *TINY])
    outcome.assert_user_error("dataset 'no-such-set' not found")


def test_classify_bad_option_value_is_a_usage_error(cli):
    outcome = cli(["classify", "--model", "transformer", *TINY])
    outcome.assert_user_error("--model", code=2)


def test_classify_predict_not_a_model_dir_is_one_line(cli):
    (cli.cwd / "empty").mkdir()
    outcome = cli(["classify", "predict", "empty", "--data", "gunpoint"])
    outcome.assert_user_error("not a model directory")


def test_classify_then_predict_with_more_features_is_one_line(cli):
    (cli.cwd / "data.csv").write_text(long_table())
    cli(["classify", "--data", "data.csv", *TINY]).assert_ok()
    wide = "id,time,value,other\n0,0,1,2\n0,1,1,2\n"
    (cli.cwd / "new.csv").write_text(wide)
    outcome = cli(["classify", "predict", "out", "--data", "new.csv"])
    outcome.assert_user_error("expected 1 features per step, got 2")

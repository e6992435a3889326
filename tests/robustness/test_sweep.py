"""``lstmkit sweep`` over bad inputs: one ``error:`` line naming the problem, nothing
written."""

from __future__ import annotations

import pytest

pytest.importorskip("optuna")

GOOD = """[experiment]
task = "adding"
name = "s"
[train]
epochs = 1
[task]
seq_len = 5
n_train = 64
hidden_size = 4
"""
SPACE = '[sweep.task]\nhidden_size = { type = "int", low = 2, high = 8 }\n'


@pytest.mark.parametrize(("text", "argv", "fragments"), [
    (GOOD, [], ["exp.toml: no [sweep] table"]),
    (GOOD + '[sweep.task]\nhidden = { type = "int", low = 2, high = 8 }\n', [],
     ["[sweep.task] hidden: unknown parameter; valid [task] keys:", "hidden_size"]),
    (GOOD + '[sweep.task]\nhidden_size = { type = "int", low = 8, high = 8 }\n', [],
     ["[sweep.task] hidden_size is an empty range: low 8 must be < high 8"]),
    (GOOD + '[sweep.task]\nhidden_size = { type = "range", low = 2, high = 8 }\n', [],
     ["[sweep.task] hidden_size type must be one of int, float, log-float, categorical"]),
    (GOOD + '[sweep.task]\nhidden_size = { type = "int", low = 0, high = 8 }\n', [],
     ["[sweep.task] hidden_size: the value 0 is not a valid setting"]),
    (GOOD + '[sweep]\ndirection = "down"\n' + SPACE, [],
     ["[sweep] direction must be one of"]),
    (GOOD + SPACE, ["--storage", "postgresql://me:hunter2@127.0.0.1:1/db"],
     ["--storage postgresql://me:***@127.0.0.1:1/db: cannot open the study storage"]),
    (GOOD + SPACE, ["--storage", "redis://localhost/0"],
     ["--storage redis://localhost/0: expected journal:PATH"]),
    (GOOD + SPACE, ["--storage", "journal:/nonexistent-dir/s.journal"],
     ["--storage journal:/nonexistent-dir/s.journal: the directory /nonexistent-dir does "
      "not exist"]),
    (GOOD + SPACE, ["--trials", "0"], ["--trials"]),
    (GOOD + SPACE, ["--jobs", "0"], ["--jobs"]),
])
def test_sweep_bad_input_is_one_line_and_writes_nothing(cli, text, argv, fragments):
    (cli.cwd / "exp.toml").write_text(text)
    cli.mark()
    argv = argv if "--trials" in argv else [*argv, "--trials", "1"]
    line = cli(["sweep", "exp.toml", "--no-tracking", *argv]).assert_user_error(*fragments)
    assert "hunter2" not in line
    cli.assert_untouched()


def test_sweep_again_without_resume_is_refused(cli):
    (cli.cwd / "exp.toml").write_text(GOOD + SPACE)
    cli(["sweep", "exp.toml", "--trials", "1", "--no-tracking"]).assert_ok()
    cli.mark()
    cli(["sweep", "exp.toml", "--trials", "2", "--no-tracking"]).assert_user_error(
        "s-sweep already holds a sweep; pass --resume to finish it, or --overwrite")
    cli.assert_untouched()

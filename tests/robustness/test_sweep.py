"""``lstmkit sweep`` over bad inputs: one ``error:`` line naming the problem, nothing
written."""

from __future__ import annotations

import pytest

pytest.importorskip("optuna")

SPACE = '[sweep.task]\nhidden_size = { type = "int", low = 2, high = 8 }\n'


@pytest.mark.parametrize(("extra", "argv", "fragments"), [  # after tiny_experiment
    ("", [], ["exp.toml: no [sweep] table"]),
    ('[sweep.task]\nhidden = { type = "int", low = 2, high = 8 }\n', [],
     ["[sweep.task] hidden: unknown parameter; valid [task] keys:", "hidden_size"]),
    ('[sweep.task]\nhidden_size = { type = "int", low = 8, high = 8 }\n', [],
     ["[sweep.task] hidden_size is an empty range: low 8 must be < high 8"]),
    ('[sweep.task]\nhidden_size = { type = "range", low = 2, high = 8 }\n', [],
     ["[sweep.task] hidden_size type must be one of int, float, log-float, categorical"]),
    ('[sweep.task]\nhidden_size = { type = "int", low = 0, high = 8 }\n', [],
     ["[sweep.task] hidden_size: the value 0 is not a valid setting"]),
    ('[sweep]\ndirection = "down"\n' + SPACE, [],
     ["[sweep] direction must be one of"]),
    (SPACE, ["--storage", "postgresql://me:hunter2@127.0.0.1:1/db"],
     ["--storage postgresql://me:***@127.0.0.1:1/db: cannot open the study storage"]),
    (SPACE, ["--storage", "redis://localhost/0"],
     ["--storage redis://localhost/0: expected journal:PATH"]),
    (SPACE, ["--storage", "journal:/nonexistent-dir/s.journal"],
     ["--storage journal:/nonexistent-dir/s.journal: the directory /nonexistent-dir does "
      "not exist"]),
    (SPACE, ["--trials", "0"], ["--trials"]),
    (SPACE, ["--jobs", "0"], ["--jobs"]),
])
def test_sweep_bad_input_is_one_line_and_writes_nothing(cli, tiny_experiment, extra, argv,
                                                        fragments):
    (cli.cwd / "exp.toml").write_text(tiny_experiment + extra)
    cli.mark()
    argv = argv if "--trials" in argv else [*argv, "--trials", "1"]
    line = cli(["sweep", "exp.toml", "--no-tracking", *argv]).assert_user_error(*fragments)
    assert "hunter2" not in line
    cli.assert_untouched()


def test_sweep_again_without_resume_is_refused(cli, tiny_experiment):
    (cli.cwd / "exp.toml").write_text(tiny_experiment + SPACE)
    cli(["sweep", "exp.toml", "--trials", "1", "--no-tracking"]).assert_ok()
    # the finished sweep closed its SQLite connections: the write-ahead log is merged
    # into study.db, not left for the garbage collector to merge during the next command
    study = cli.cwd / "lstmkit-runs" / "outputs" / "s-sweep"
    assert (study / "study.db").is_file()
    assert not list(study.glob("study.db-*"))
    cli.mark()
    cli(["sweep", "exp.toml", "--trials", "2", "--no-tracking"]).assert_user_error(
        "s-sweep already holds a sweep; pass --resume to finish it, or --overwrite")
    cli.assert_untouched()

"""``lstmkit train --nproc`` and ``lstmkit compare --cells`` over bad inputs: one
``error:`` line naming the option, nothing written."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("argv", "env", "fragments"), [
    (["--nproc", "0"], {}, ["--nproc must be at least 1", "got 0"]),
    (["--nproc", "-3"], {}, ["--nproc must be at least 1", "got -3"]),
    (["--nproc", "two"], {}, ["--nproc", "valid integer"]),
    (["--nproc", "2"], {"WORLD_SIZE": "2"}, ["--nproc 2 under torchrun", "leave --nproc out"]),
    (["--nproc", "2", "--train.epochs=0"], {}, ["epochs"]),  # checked before launching
])
def test_train_nproc_bad_input_is_one_line_and_writes_nothing(cli, monkeypatch, argv, env,
                                                              fragments, tiny_experiment):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (cli.cwd / "exp.toml").write_text(tiny_experiment)
    cli.mark()
    cli(["train", "exp.toml", "--no-tracking", *argv]).assert_user_error(*fragments)
    cli.assert_untouched()


@pytest.mark.parametrize(("argv", "fragments"), [
    (["--cells", " , "], ["--cells ' , '", "expected cell names separated by commas"]),
    (["--cells", "lstm,gru,lstm"], ["--cells 'lstm,gru,lstm'", "lstm named twice"]),
    (["--cells", "lstm,transformer"], ["--cells: 'transformer' is not a valid cell for task "
                                       "'adding'", "lstm"]),
    (["--cells", "lstm", "--seeds", "0"], ["--seeds must be at least 1, got 0"]),
    (["--cells", "lstm", "other.toml"], ["--cells compares one experiment file, got 2"]),
])
def test_compare_cells_bad_input_is_one_line_and_writes_nothing(cli, argv, fragments,
                                                                tiny_experiment):
    (cli.cwd / "exp.toml").write_text(tiny_experiment)
    cli.mark()
    cli(["compare", "exp.toml", "--no-tracking", *argv]).assert_user_error(*fragments)
    cli.assert_untouched()

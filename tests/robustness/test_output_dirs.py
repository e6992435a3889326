"""The output-directory policy from the command line: ``--out``, ``--overwrite``,
``--resume``, experiment names and ``output_dir``.

Every refused case fails before training with one line naming the option and the path,
and leaves the working directory exactly as it was.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from filelock import FileLock

from lstmkit.io import MARKER, STAGING

from .conftest import TINY

SERIES = ["--data", "s.csv", "--horizon", "3", "--lookback", "6"]
OVERWRITE_HINT = "pass --overwrite to replace it whole"
EXPERIMENT = """
[experiment]
task = "adding"
{extra}

[train]
epochs = 1

[task]
seq_len = 8
n_train = 64
n_test = 32
hidden_size = 4
batch_size = 32
"""


def write_series(folder: Path, n: int = 60) -> None:
    t = np.arange(n)
    pd.DataFrame({"date": pd.date_range("2001-01-01", periods=n, freq="MS"),
                  "load": 50 + t + 5 * np.sin(2 * np.pi * t / 12)}).to_csv(
        folder / "s.csv", index=False)


def project(folder: Path) -> None:
    """A user's directory: a git repository and notes."""
    (folder / "proj" / ".git").mkdir(parents=True)
    (folder / "proj" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (folder / "proj" / "notes.txt").write_text("important\n")


def leftover_staging(folder: Path) -> None:
    """What an interrupted run used to leave: ``.lstmkit-partial/`` with a run in it."""
    (folder / STAGING / "old").mkdir(parents=True)
    (folder / STAGING / "old" / "checkpoint").write_text("epoch 3")


def a_file(folder: Path) -> None:
    (folder / "taken").write_text("a file, not a directory\n")


def home_dir(folder: Path) -> None:
    (folder / "home").mkdir()
    (folder / "home" / ".bashrc").write_text("export X=1\n")


def nothing(folder: Path) -> None:
    pass


# --------------------------------------------------------------- forecast --out

FORECAST_REFUSED = [
    ("git-project", project, ["--out", "proj"],
     ["--out proj:", "not written by lstmkit", OVERWRITE_HINT]),
    ("git-project-resume", project, ["--out", "proj", "--resume"],
     ["--out proj:", "not written by lstmkit", "--overwrite"]),
    ("dot", nothing, ["--out", "."], ["--out .:", "the working directory"]),
    ("dot-overwrite", nothing, ["--out", ".", "--overwrite"],
     ["--out .:", "the working directory"]),
    ("dotdot-leftover-staging", leftover_staging, ["--out", ".."],
     ["--out ..:", "a parent of the working directory"]),
    ("dotdot-overwrite", leftover_staging, ["--out", "..", "--overwrite"],
     ["--out ..:", "a parent of the working directory"]),
    ("sub-dotdot", leftover_staging, ["--out", f"{STAGING}/.."],
     ["the working directory"]),
    ("root", nothing, ["--out", "/"], ["--out /:", "the root directory"]),
    ("root-overwrite", nothing, ["--out", "/", "--overwrite"], ["the root directory"]),
    ("home-tilde", home_dir, ["--out", "~"], ["--out ~:", "the home directory"]),
    ("existing-file", a_file, ["--out", "taken"],
     ["--out taken:", "is a file, not a directory"]),
    ("under-a-file", a_file, ["--out", "taken/out"], ["taken is a file, not a directory"]),
    ("inside-staging", leftover_staging, ["--out", f"{STAGING}/old"],
     ["lstmkit's staging folder"]),
    ("resume-nothing", nothing, ["--out", "out", "--resume"],
     ["nothing to resume: no interrupted run in", f"{STAGING}/out"]),
]


@pytest.mark.parametrize(("setup", "extra", "fragments"),
                         [case[1:] for case in FORECAST_REFUSED],
                         ids=[case[0] for case in FORECAST_REFUSED])
def test_forecast_out_refused_leaves_everything(cli, monkeypatch, setup, extra, fragments):
    monkeypatch.setenv("HOME", str(cli.cwd / "home"))
    setup(cli.cwd)
    write_series(cli.cwd)
    cli.mark()
    cli(["forecast", *SERIES, *extra, *TINY]).assert_user_error(*fragments)
    cli.assert_untouched()


def test_forecast_out_parent_by_absolute_path_is_refused(cli):
    write_series(cli.cwd)
    cli.mark()
    cli(["forecast", *SERIES, "--out", str(cli.cwd.parent), "--overwrite", *TINY]
        ).assert_user_error(f"--out {cli.cwd.parent}:", "a parent of the working directory")
    cli.assert_untouched()


def test_forecast_out_home_by_absolute_path_is_refused(cli, monkeypatch):
    home_dir(cli.cwd)
    monkeypatch.setenv("HOME", str(cli.cwd / "home"))
    write_series(cli.cwd)
    cli.mark()
    cli(["forecast", *SERIES, "--out", str(cli.cwd / "home"), "--overwrite", *TINY]
        ).assert_user_error("the home directory")
    cli.assert_untouched()


def test_forecast_second_run_while_the_lock_is_held_fails_in_one_line(cli):
    write_series(cli.cwd)
    (cli.cwd / STAGING).mkdir()
    with FileLock(cli.cwd / STAGING / "out.lock", timeout=0):
        cli.mark()
        cli(["forecast", *SERIES, "--out", "out", *TINY]).assert_user_error(
            "another run holds the lock", f"{STAGING}/out.lock")
        cli.assert_untouched()


def test_forecast_symlinked_staging_never_deletes_its_target(cli):
    write_series(cli.cwd)
    (cli.cwd / "victim").mkdir()
    (cli.cwd / "victim" / "keep.txt").write_text("keep\n")
    (cli.cwd / STAGING).mkdir()
    (cli.cwd / STAGING / "out").symlink_to(cli.cwd / "victim")
    cli.mark()
    cli(["forecast", *SERIES, "--out", "out", *TINY]).assert_user_error(
        "not a staging directory lstmkit made")
    cli.assert_untouched()


def test_forecast_unmarked_staged_run_is_not_deleted(cli):
    write_series(cli.cwd)
    (cli.cwd / STAGING / "out").mkdir(parents=True)
    (cli.cwd / STAGING / "out" / "data.csv").write_text("a,b\n")
    cli.mark()
    cli(["forecast", *SERIES, "--out", "out", *TINY]).assert_user_error(
        "a staged run lstmkit did not mark", "--resume")
    cli.assert_untouched()


def test_forecast_writes_a_marked_directory_and_replaces_it_whole(cli):
    write_series(cli.cwd)
    cli(["forecast", *SERIES, "--out", "out", *TINY]).assert_ok()
    out = cli.cwd / "out"
    assert (out / MARKER).is_file() and (out / "model" / "model.safetensors").is_file()
    assert sorted(os.listdir(cli.cwd)) == ["out", "s.csv"]
    (out / "stray.txt").write_text("from an older run\n")
    first = (out / "model" / "model.safetensors").read_bytes()
    cli(["forecast", *SERIES, "--out", "out", "--seed", "1", *TINY]).assert_ok()
    assert not (out / "stray.txt").exists()  # replaced whole, not merged
    assert (out / "model" / "model.safetensors").read_bytes() != first
    assert '"seed": 1' in (out / "config.json").read_text()  # config and model agree
    assert sorted(os.listdir(cli.cwd)) == ["out", "s.csv"]


def test_forecast_overwrite_replaces_a_foreign_directory_whole(cli):
    write_series(cli.cwd)
    project(cli.cwd)
    cli(["forecast", *SERIES, "--out", "proj", "--overwrite", *TINY]).assert_ok()
    proj = cli.cwd / "proj"
    assert not (proj / ".git").exists() and not (proj / "notes.txt").exists()
    assert (proj / MARKER).is_file() and (proj / "metrics.json").is_file()
    assert sorted(os.listdir(cli.cwd)) == ["proj", "s.csv"]


def test_forecast_refused_resume_keeps_the_staged_run(cli, monkeypatch):
    from lstmkit.errors import TrainingStopped
    from lstmkit.tasks.forecasting import task

    write_series(cli.cwd)

    def interrupted(*args, **kwargs):
        raise TrainingStopped("interrupted; resume with --resume")

    with monkeypatch.context() as patch:
        patch.setattr(task, "write_outputs", interrupted)
        cli(["forecast", *SERIES, "--out", "out", *TINY]).assert_user_error("interrupted")
    staged = cli.cwd / STAGING / "out"
    assert (staged / "config.json").is_file() and not (cli.cwd / "out").exists()
    cli.mark()
    cli(["forecast", *SERIES, "--out", "out", "--resume", *TINY[:4], "--hidden-size", "5",
         "--no-tracking"]).assert_user_error("cannot resume")
    cli.assert_untouched()  # the staged run, its config included, is kept
    cli(["forecast", *SERIES, "--out", "out", "--resume", *TINY]).assert_ok()
    assert (cli.cwd / "out" / MARKER).is_file() and not (cli.cwd / STAGING).exists()


def test_forecast_refused_resume_of_a_completed_run_leaves_it(cli):
    write_series(cli.cwd)
    cli(["forecast", *SERIES, "--out", "out", *TINY]).assert_ok()
    cli.mark()
    cli(["forecast", *SERIES, "--out", "out", "--resume", *TINY[:4], "--hidden-size", "5",
         "--no-tracking"]).assert_user_error("cannot resume")
    cli.assert_untouched()


# --------------------------------------------------------------- forecast predict --out

@pytest.mark.parametrize(("setup", "out", "fragments"), [
    (lambda d: (d / "dir.csv").mkdir(), "dir.csv", ["--out dir.csv:", "is a directory"]),
    (nothing, ".", ["--out .:", "is a directory"]),
    (a_file, "taken/x.csv", ["taken is a file, not a directory"]),
], ids=["directory", "dot", "under-a-file"])
def test_forecast_predict_out_refused(cli, setup, out, fragments):
    setup(cli.cwd)
    cli.mark()
    cli(["forecast", "predict", "no-model", "--data", "s.csv", "--out", out]
        ).assert_user_error(*fragments)
    cli.assert_untouched()


# --------------------------------------------------------------- text train / inspect

TEXT_REFUSED = [
    ("git-project", project, ["--out", "proj"], ["--out proj:", OVERWRITE_HINT]),
    ("dot", nothing, ["--out", "."], ["--out .:", "the working directory"]),
    ("dotdot", leftover_staging, ["--out", ".."], ["a parent of the working directory"]),
    ("root", nothing, ["--out", "/", "--overwrite"], ["the root directory"]),
    ("existing-file", a_file, ["--out", "taken"], ["is a file, not a directory"]),
    ("default-foreign", lambda d: project(d / "lstmkit-runs" / "outputs" / "text"), [],
     ["--out lstmkit-runs/outputs/text:", "not written by lstmkit", "--overwrite"]),
    ("name-override", nothing, ["--out", "run", "--experiment.name=../../victim"],
     ["--out:", "'../../victim' must be a single directory name"]),
    ("dot-name-override", nothing, ["--out", "run", "--experiment.name=.."],
     ["--out:", "'..' must be a single directory name"]),
    ("resume-nothing", nothing, ["--out", "run", "--resume"], ["nothing to resume"]),
]


@pytest.mark.parametrize(("setup", "extra", "fragments"),
                         [case[1:] for case in TEXT_REFUSED],
                         ids=[case[0] for case in TEXT_REFUSED])
def test_text_train_out_refused_leaves_everything(cli, setup, extra, fragments):
    setup(cli.cwd)
    (cli.cwd / "play.txt").write_text("To be, or not to be.\n" * 20)
    cli.mark()
    cli(["text", "train", "--data", "play.txt", "--epochs", "1", "--no-tracking", *extra]
        ).assert_user_error(*fragments)
    cli.assert_untouched()


@pytest.mark.parametrize(("setup", "out", "fragments"), [
    (lambda d: (d / "page.html").mkdir(), "page.html", ["--out page.html:", "is a directory"]),
    (lambda d: (d / "page.png").mkdir(), "page.html",
     ["--out (its .png) page.png:", "is a directory"]),
    (nothing, "..", ["--out ..:", "is a directory"]),
], ids=["directory", "png-directory", "dotdot"])
def test_text_inspect_out_refused(cli, setup, out, fragments):
    setup(cli.cwd)
    cli.mark()
    cli(["text", "inspect", "no-model", "--text", "abc", "--out", out]
        ).assert_user_error(*fragments)
    cli.assert_untouched()


# --------------------------------------------------------------- train CONFIG

TRAIN_REFUSED = [
    ('name = "../../victim"', ["[experiment] name '../../victim' is not a simple name"]),
    ('name = ".."', ["[experiment] name '..' is not a simple name"]),
    ('name = "."', ["[experiment] name '.' is not a simple name"]),
    ('name = "a/b"', ["[experiment] name 'a/b' is not a simple name"]),
    ('name = "/tmp/victim"', ["[experiment] name '/tmp/victim' is not a simple name"]),
    ('output_dir = "/tmp"', ["[experiment] output_dir '/tmp' must be a relative path"]),
    ('output_dir = "../outside"', ["[experiment] output_dir '../outside' must be a relative"]),
    ('output_dir = "runs/../../x"', ["[experiment] output_dir 'runs/../../x' must be a"]),
    ('name = "proj"\noutput_dir = "."',
     ["[experiment] output_dir/name proj:", "not written by lstmkit", "--overwrite"]),
    ('name = "taken"\noutput_dir = "."', ["is a file, not a directory"]),
]


@pytest.mark.parametrize(("extra", "fragments"), TRAIN_REFUSED,
                         ids=[case[0].split("\n")[-1] for case in TRAIN_REFUSED])
def test_train_experiment_location_refused(cli, extra, fragments):
    project(cli.cwd)
    a_file(cli.cwd)
    (cli.cwd / "exp.toml").write_text(EXPERIMENT.format(extra=extra))
    cli.mark()
    cli(["train", "exp.toml", "--no-tracking"]).assert_user_error(*fragments)
    cli.assert_untouched()


def test_train_name_override_is_checked_like_the_file(cli):
    (cli.cwd / "exp.toml").write_text(EXPERIMENT.format(extra=""))
    cli.mark()
    cli(["train", "exp.toml", "--no-tracking", "--experiment.name=../victim"]
        ).assert_user_error("[experiment] name '../victim' is not a simple name")
    cli.assert_untouched()


def test_train_writes_a_marked_run_directory_and_resumes_it(cli):
    (cli.cwd / "exp.toml").write_text(EXPERIMENT.format(extra='name = "tiny"'))
    cli(["train", "exp.toml", "--no-tracking"]).assert_ok()
    run_dir = cli.cwd / "lstmkit-runs" / "outputs" / "tiny"
    assert (run_dir / MARKER).is_file() and (run_dir / "model" / "config.json").is_file()
    assert os.listdir(run_dir.parent) == ["tiny"]
    cli(["train", "exp.toml", "--no-tracking", "--resume"]).assert_ok()
    assert os.listdir(run_dir.parent) == ["tiny"]


# --------------------------------------------------------------- data add --name

@pytest.mark.parametrize("name", ["..", ".", "../x", ".hidden"])
def test_data_add_name_refused(cli, monkeypatch, name):
    monkeypatch.setenv("LSTMKIT_HOME", str(cli.cwd / "home"))
    write_series(cli.cwd)
    cli.mark()
    cli(["data", "add", "s.csv", "--name", name]).assert_user_error(
        f"invalid dataset name {name!r}")
    cli.assert_untouched()

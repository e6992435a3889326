"""lstmkit.io: the output-directory policy, staged runs, atomic files, simple names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from filelock import FileLock

from lstmkit.errors import CheckpointError, ConfigError, TrainingStopped
from lstmkit.io import (
    MARKER,
    STAGING,
    atomic_file,
    atomic_write,
    check_output_dir,
    check_output_file,
    is_lstmkit_dir,
    is_simple_name,
    remove_staged,
    replace_dir,
    staged_output,
    write_marker,
)


@pytest.fixture
def work(tmp_path, monkeypatch) -> Path:
    """A working directory ``tmp/work/here`` with HOME at ``tmp/home``."""
    here = tmp_path / "work" / "here"
    here.mkdir(parents=True)
    (tmp_path / "home").mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return here


def lstmkit_dir(path: Path, **files: str) -> Path:
    path.mkdir(parents=True)
    write_marker(path)
    for name, text in files.items():
        (path / name).write_text(text)
    return path


@pytest.mark.parametrize(("given", "what"), [
    (".", "the working directory"),
    ("..", "a parent of the working directory"),
    ("../..", "a parent of the working directory"),
    ("sub/../..", "a parent of the working directory"),
    ("/", "the root directory"),
    ("~", "the home directory"),
    (f"{STAGING}/run", f"inside lstmkit's staging folder {STAGING}"),
])
def test_check_output_dir_refuses_protected_paths(work, given, what):
    with pytest.raises(ConfigError) as caught:
        check_output_dir(given, overwrite=True)
    message = str(caught.value)
    assert message.startswith(f"--out {given}: refusing to write into {what} (")
    assert "\n" not in message


def test_check_output_dir_refuses_the_working_directory_by_absolute_path(work):
    with pytest.raises(ConfigError, match="refusing to write into the working directory"):
        check_output_dir(work, option="[experiment] output_dir/name")
    with pytest.raises(ConfigError, match=r"^\[experiment\] output_dir/name "):
        check_output_dir(work, option="[experiment] output_dir/name")


def test_check_output_dir_refuses_a_parent_of_home(work, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home" / "user"))
    with pytest.raises(ConfigError, match="a parent of the home directory"):
        check_output_dir(tmp_path / "home", overwrite=True)


def test_check_output_dir_refuses_a_file_and_a_path_under_a_file(work):
    Path("notes.txt").write_text("important")
    with pytest.raises(ConfigError, match=r"^--out notes.txt: is a file, not a directory"):
        check_output_dir("notes.txt", overwrite=True)
    with pytest.raises(ConfigError, match=r"notes.txt is a file, not a directory$"):
        check_output_dir("notes.txt/run/x")
    assert Path("notes.txt").read_text() == "important"


def test_check_output_dir_refuses_a_foreign_non_empty_directory_naming_overwrite(work):
    (work / "proj" / ".git").mkdir(parents=True)
    with pytest.raises(ConfigError) as caught:
        check_output_dir("proj")
    assert str(caught.value) == (
        f"--out proj: the directory is not empty and was not written by lstmkit (no {MARKER} "
        "file); choose a new or empty directory, or pass --overwrite to replace it whole")
    assert check_output_dir("proj", overwrite=True) == work / "proj"


def test_check_output_dir_accepts_new_empty_and_lstmkit_directories(work):
    (work / "empty").mkdir()
    lstmkit_dir(work / "old", **{"metrics.json": "{}"})
    for name in ("new/run", "empty", "old"):
        assert check_output_dir(name) == work / name


def test_check_output_dir_resolves_symlinks(work, tmp_path):
    real = lstmkit_dir(tmp_path / "real")
    (work / "link").symlink_to(real)
    assert check_output_dir("link") == real


def test_check_output_file_refuses_directories(work):
    (work / "page.html").mkdir()
    Path("file").write_text("x")
    with pytest.raises(ConfigError, match=r"^--out page.html: is a directory, expected a file"):
        check_output_file("page.html")
    with pytest.raises(ConfigError, match="file is a file, not a directory"):
        check_output_file("file/out.csv")
    assert check_output_file("sub/out.csv") == work / "sub" / "out.csv"
    assert not (work / "sub").exists()  # checking creates nothing


def test_atomic_file_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "out.csv"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(path) as part:
        part.write_text("half")
        raise RuntimeError("disk full")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["out.csv"]
    with atomic_file(path) as part:
        assert part.suffix == ".csv" and part.parent == tmp_path
        part.write_text("new")
    assert path.read_text() == "new" and os.listdir(tmp_path) == ["out.csv"]
    atomic_write(path, b"bytes")
    assert path.read_bytes() == b"bytes"


def test_staged_output_writes_in_staging_and_swaps_in_whole(work):
    old = lstmkit_dir(work / "out", **{"config.json": "old config", "model.bin": "old model"})
    with staged_output("out") as staging:
        assert staging == work / STAGING / "out"
        assert is_lstmkit_dir(staging) and (work / STAGING / "out.lock").exists()
        (staging / "config.json").write_text("new config")
        # the old directory stays whole until the new one is complete
        assert (old / "config.json").read_text() == "old config"
        assert (old / "model.bin").read_text() == "old model"
    assert sorted(os.listdir(work / "out")) == [MARKER, "config.json"]
    assert (work / "out" / "config.json").read_text() == "new config"
    assert os.listdir(work) == ["out"]  # staging folder, lock and old copy gone


def test_staged_output_with_overwrite_replaces_a_foreign_directory(work):
    (work / "proj" / ".git").mkdir(parents=True)
    (work / "proj" / "notes.txt").write_text("important")
    with staged_output("proj", overwrite=True) as staging:
        (staging / "metrics.json").write_text("{}")
        assert (work / "proj" / "notes.txt").exists()
    assert sorted(os.listdir(work / "proj")) == [MARKER, "metrics.json"]


def test_staged_output_failure_removes_staging_and_leaves_out_untouched(work):
    lstmkit_dir(work / "out", **{"config.json": "old"})
    with pytest.raises(ValueError), staged_output("out") as staging:
        (staging / "config.json").write_text("new")
        raise ValueError("bad data")
    assert (work / "out" / "config.json").read_text() == "old"
    assert sorted(os.listdir(work)) == ["out"]


def test_staged_output_interrupted_run_stays_staged_and_resumes(work):
    with pytest.raises(TrainingStopped), staged_output("out") as staging:
        (staging / "checkpoint").write_text("epoch 1")
        raise TrainingStopped("interrupted")
    assert (work / STAGING / "out" / "checkpoint").read_text() == "epoch 1"
    assert not (work / "out").exists() and not (work / STAGING / "out.lock").exists()
    with staged_output("out", resume=True) as staging:
        assert (staging / "checkpoint").read_text() == "epoch 1"
        (staging / "checkpoint").write_text("epoch 2")
    assert (work / "out" / "checkpoint").read_text() == "epoch 2"
    assert not (work / STAGING).exists()


def test_staged_output_refused_resume_keeps_the_staged_run(work):
    staged = lstmkit_dir(work / STAGING / "out", checkpoint="epoch 1")
    with pytest.raises(CheckpointError), staged_output("out", resume=True):
        raise CheckpointError("cannot resume: the config changed")
    assert (staged / "checkpoint").read_text() == "epoch 1" and is_lstmkit_dir(staged)
    assert not (work / "out").exists()


def test_staged_output_fresh_run_discards_an_interrupted_one(work):
    lstmkit_dir(work / STAGING / "out", checkpoint="old run")
    with staged_output("out") as staging:
        assert not (staging / "checkpoint").exists()


def test_staged_output_resume_without_a_staged_run_says_so(work):
    with pytest.raises(CheckpointError) as caught, staged_output("out", resume=True):
        pass
    assert str(caught.value) == f"nothing to resume: no interrupted run in {work}/{STAGING}/out"
    assert os.listdir(work) == []


def test_staged_output_resume_of_a_completed_run_works_on_a_copy(work):
    done = lstmkit_dir(work / "out", checkpoint="final")
    (done / "checkpoints").mkdir()
    with pytest.raises(CheckpointError), staged_output("out", resume=True) as staging:
        assert (staging / "checkpoint").read_text() == "final"
        (staging / "checkpoint").write_text("changed")
        raise CheckpointError("cannot resume: the config changed")
    assert (done / "checkpoint").read_text() == "final"
    assert sorted(os.listdir(work)) == ["out"]


def test_staged_output_second_run_fails_while_the_lock_is_held(work):
    (work / STAGING).mkdir()
    holder = FileLock(work / STAGING / "out.lock", timeout=0)
    with holder:
        with pytest.raises(ConfigError) as caught, staged_output("out"):
            pass
    message = str(caught.value)
    assert message == (f"--out out: another run holds the lock {work}/{STAGING}/out.lock on "
                       f"its staging directory {work}/{STAGING}/out; wait for it to finish")
    assert not (work / "out").exists()


def test_staged_output_refuses_a_symlinked_staging_folder(work, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("keep")
    (work / STAGING).symlink_to(victim)
    with pytest.raises(ConfigError, match="is not a directory lstmkit made"), \
            staged_output("out"):
        pass
    assert os.listdir(victim) == ["keep.txt"]


def test_staged_output_refuses_a_symlinked_staged_run(work, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    write_marker(victim)
    (victim / "keep.txt").write_text("keep")
    (work / STAGING).mkdir()
    (work / STAGING / "out").symlink_to(victim)
    with pytest.raises(ConfigError, match="not a staging directory lstmkit made"), \
            staged_output("out"):
        pass
    assert sorted(os.listdir(victim)) == [MARKER, "keep.txt"]


def test_remove_staged_refuses_an_unmarked_directory(work):
    staged = work / STAGING / "out"
    staged.mkdir(parents=True)
    (staged / "data.csv").write_text("a,b")
    with pytest.raises(ConfigError, match="a staged run lstmkit did not mark"):
        remove_staged(staged)
    with pytest.raises(ConfigError, match="not a staging directory lstmkit made"):
        remove_staged(work)
    assert (staged / "data.csv").exists()


def test_replace_dir_moves_the_old_directory_aside_then_removes_it(tmp_path):
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "a").write_text("new")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "b").write_text("old")
    replace_dir(tmp_path / "new", tmp_path / "out")
    assert os.listdir(tmp_path / "out") == ["a"] and os.listdir(tmp_path) == ["out"]


@pytest.mark.parametrize(("name", "simple"), [
    ("sales", True), ("sales-2024.v1", True), ("_x", True), ("run_1", True),
    ("", False), (".", False), ("..", False), ("../../victim", False), ("a/b", False),
    (".hidden", False), ("/abs", False), ("a b", False), ("1st", False), ("a\\b", False),
])
def test_is_simple_name(name, simple):
    assert is_simple_name(name) is simple

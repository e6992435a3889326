"""The robustness corpus: every command over a table of bad inputs.

Each case runs ``lstmkit ARGV`` in this process, in a fresh working directory, and
asserts what a user must see: a non-zero exit, exactly one line ``error: ...`` naming the
problem, no traceback, and no file outside ``--out`` created, changed or removed.

Use the ``cli`` fixture::

    def test_forecast_refuses_dot(cli):
        outcome = cli(["forecast", "--out", "."])
        outcome.assert_user_error("--out", "working directory")
        cli.assert_untouched()
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from lstmkit.cli.main import main

TINY = ["--epochs", "1", "--n-models", "1", "--hidden-size", "4", "--no-tracking"]


def tree_snapshot(root: Path, *, skip: Sequence[Path] = ()) -> dict[str, tuple[int, str]]:
    """``{relative path: (size, sha1)}`` of every file under ``root`` (symlinks by
    target text; directories as entries of their own), skipping the ``skip`` subtrees."""
    root, skipped = Path(root), [Path(s).resolve() for s in skip]
    snapshot: dict[str, tuple[int, str]] = {}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if (here / d).resolve() not in skipped]
        snapshot[str(here.relative_to(root)) + "/"] = (0, "dir")
        for name in files:
            path = here / name
            if path.is_symlink():
                snapshot[str(path.relative_to(root))] = (0, "->" + os.readlink(path))
            elif path.is_file():
                data = path.read_bytes()
                snapshot[str(path.relative_to(root))] = (len(data),
                                                         hashlib.sha1(data).hexdigest())
            else:
                snapshot[str(path.relative_to(root))] = (0, "special")
    return snapshot


@dataclass
class Outcome:
    """What one ``lstmkit`` invocation did."""

    argv: list[str]
    code: int
    out: str
    err: str

    def assert_user_error(self, *fragments: str, code: int | None = None) -> str:
        """Assert a user error: exit 1 or 2 (or ``code``), one line ``error: ...`` on
        stderr containing every fragment, and no traceback anywhere. Returns the line."""
        where = f"lstmkit {' '.join(self.argv)}"
        assert "Traceback" not in self.out + self.err, f"{where}: traceback\n{self.err}"
        assert self.code in ((1, 2) if code is None else (code,)), (
            f"{where}: exit {self.code}\nstdout: {self.out}\nstderr: {self.err}")
        lines = [line for line in self.err.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("error: ")]
        assert len(errors) == 1, f"{where}: expected one 'error:' line, got\n{self.err}"
        line = errors[0]
        for fragment in fragments:
            assert fragment in line, f"{where}: {fragment!r} not in {line!r}"
        assert "\x1b" not in line and "\r" not in line, f"{where}: control characters: {line!r}"
        return line

    def assert_ok(self) -> None:
        """Assert exit 0 with no traceback."""
        assert self.code == 0 and "Traceback" not in self.err, (
            f"lstmkit {' '.join(self.argv)}: exit {self.code}\n{self.err}")


class Cli:
    """``cli(argv)`` runs lstmkit in ``cli.cwd`` (a fresh directory) and returns an
    :class:`Outcome`; ``cli.assert_untouched(allowed=...)`` checks that nothing in it
    changed since the fixture started, other than under ``allowed`` paths."""

    def __init__(self, cwd: Path, capsys) -> None:
        self.cwd, self._capsys = cwd, capsys
        self._before: dict[str, tuple[int, str]] | None = None

    def mark(self) -> None:
        """Take the 'before' snapshot now (after the case's inputs were written)."""
        self._before = tree_snapshot(self.cwd)

    def __call__(self, argv: Sequence[str]) -> Outcome:
        if self._before is None:
            self.mark()
        self._capsys.readouterr()
        try:
            main(list(argv))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = self._capsys.readouterr()
        return Outcome(list(argv), code, captured.out, captured.err)

    def assert_untouched(self, *, allowed: Sequence[str | Path] = ()) -> None:
        """Nothing under the working directory changed, except the ``allowed`` subtrees
        (relative to it); lstmkit's own tracking store is always allowed."""
        assert self._before is not None, "call cli(...) or cli.mark() first"
        skip = [self.cwd / a for a in allowed]
        after = tree_snapshot(self.cwd, skip=skip)
        before = {k: v for k, v in self._before.items()
                  if not any((self.cwd / k).resolve().is_relative_to(s.resolve())
                             for s in skip)}
        assert after == before, _diff(before, after)


def _diff(before: dict, after: dict) -> str:
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    return f"files changed: added {added}, removed {removed}, changed {changed}"


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys) -> Cli:
    """A :class:`Cli` in a fresh working directory, tracking off by default."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("COLUMNS", "200")
    return Cli(work, capsys)


@pytest.fixture
def tiny_experiment() -> str:
    """A one-epoch experiment file of the tiny ``adding`` task (name ``s``), for the
    commands that take an experiment file (train, sweep, compare)."""
    return """[experiment]
task = "adding"
name = "s"
[train]
epochs = 1
[task]
seq_len = 5
n_train = 64
hidden_size = 4
"""

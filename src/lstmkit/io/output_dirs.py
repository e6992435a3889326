"""Safe output directories: one policy for every command that writes one.

Every command that writes a directory (``forecast --out``,
``text train --out``, ``lstmkit train``'s ``output_dir/name``) goes through
:func:`staged_output`, which applies one policy:

* the path is resolved first; ``.``, ``..``, the working directory or any of its parents,
  the home directory (or a parent of it) and ``/`` are refused (:func:`check_output_dir`);
* an existing file is refused, as is a non-empty directory that lstmkit did not write
  (it carries no :data:`MARKER` file) unless ``overwrite`` (``--overwrite``) is given;
* the run is written into ``PARENT/.lstmkit-partial/NAME`` (:data:`STAGING`), held by a
  lock (:data:`LOCK_SUFFIX`) so that a second run into the same directory fails at once;
* only once the run completed is the staged directory swapped in whole
  (:func:`replace_dir`): the old directory is moved aside and removed after the swap;
* a run that fails is removed from staging, except an interrupted one
  (:class:`~lstmkit.errors.TrainingStopped`) or one given to ``--resume``, which stay
  staged for ``--resume``. Nothing is ever deleted that lstmkit did not create.

Single files (``forecast predict --out``, ``text inspect --out``) are checked with
:func:`check_output_file` and written with :func:`lstmkit.io.atomic_write`.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import CheckpointError, ConfigError, TrainingStopped
from .files import atomic_write, fsync_dir

MARKER = ".lstmkit-run"
STAGING = ".lstmkit-partial"
LOCK_SUFFIX = ".lock"
OVERWRITE_HINT = "choose a new or empty directory, or pass --overwrite to replace it whole"

# ---------------------------------------------------------------- names


def is_simple_name(name: str) -> bool:
    """True for a name made of letters, digits, ``-``, ``_`` and ``.`` that starts with a
    letter or ``_``: never empty, ``.``, ``..``, hidden, or holding a path separator.

    The one rule for every name that becomes a file or directory name (registered
    datasets, experiment names).

    Example:
        >>> is_simple_name("sales-2024.v1"), is_simple_name("../x"), is_simple_name("..")
        (True, False, False)
    """
    return (isinstance(name, str) and not name.startswith(".")
            and name.replace("-", "_").replace(".", "_").isidentifier())


SIMPLE_NAME_RULE = "letters, digits, - _ . starting with a letter or _"


# ---------------------------------------------------------------- output paths


def check_output_dir(path: str | os.PathLike, *, option: str = "--out",
                     overwrite: bool = False) -> Path:
    """The resolved output directory ``path``, if lstmkit may write (or replace) it.

    Args:
        path: the directory as the user gave it (``~`` is expanded).
        option: how the user gave it, for the error message (``"--out"``).
        overwrite: allow replacing a non-empty directory lstmkit did not write.

    Returns:
        The absolute, resolved path.

    Raises:
        ConfigError: one line naming ``option`` and ``path``: a protected directory
            (``/``, home, the working directory or a parent of either), a file, a path
            under an existing file, or a non-empty directory without :data:`MARKER`
            (unless ``overwrite``).
    """
    given = f"{option} {path}"
    target = check_not_protected(path, given)
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{given}: is a file, not a directory; give a directory path")
    _check_parents(target, given)
    if (target.is_dir() and not overwrite and not is_lstmkit_dir(target)
            and any(target.iterdir())):
        raise ConfigError(f"{given}: the directory is not empty and was not written by "
                          f"lstmkit (no {MARKER} file); {OVERWRITE_HINT}")
    return target


def check_output_file(path: str | os.PathLike, *, option: str = "--out") -> Path:
    """The resolved output file ``path``, if it is not a directory (nor under a file).

    Raises:
        ConfigError: naming ``option`` and ``path`` if it is a directory or lies under an
            existing file.
    """
    given = f"{option} {path}"
    target = Path(path).expanduser().resolve()
    if target.is_dir():
        raise ConfigError(f"{given}: is a directory, expected a file path")
    _check_parents(target, given)
    return target


def is_lstmkit_dir(path: Path) -> bool:
    """True if ``path`` holds lstmkit's :data:`MARKER` file (lstmkit wrote it)."""
    marker = path / MARKER
    return marker.is_file() and not marker.is_symlink()


def write_marker(folder: Path) -> None:
    """Mark ``folder`` as written by lstmkit (so a later run may replace it)."""
    from .._version import __version__

    atomic_write(folder / MARKER, f"written by lstmkit {__version__}; lstmkit may replace "
                 "this directory as a whole\n".encode())


def check_not_protected(path: str | os.PathLike, given: str, *,
                        staging_ok: bool = False) -> Path:
    """``path`` resolved, unless it is ``/``, the working or home directory, a parent of
    either, or (unless ``staging_ok``) inside lstmkit's staging folder: a
    :class:`~lstmkit.errors.ConfigError` naming ``given`` then."""
    target = Path(path).expanduser().resolve()
    cwd, home = Path.cwd().resolve(), Path.home().resolve()
    if target == target.parent:
        what = "the root directory"
    elif target == cwd:
        what = "the working directory"
    elif cwd.is_relative_to(target):
        what = "a parent of the working directory"
    elif target == home:
        what = "the home directory"
    elif home.is_relative_to(target):
        what = "a parent of the home directory"
    elif STAGING in target.parts and not staging_ok:
        what = f"inside lstmkit's staging folder {STAGING}"
    else:
        return target
    raise ConfigError(f"{given}: refusing to write into {what} ({target}); give a new "
                      "directory for the outputs")


def _check_parents(target: Path, given: str) -> None:
    for parent in target.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"{given}: {parent} is a file, not a directory")
            return


# ---------------------------------------------------------------- staged directories


@contextmanager
def staged_output(path: str | os.PathLike, *, option: str = "--out", overwrite: bool = False,
                  resume: bool = False) -> Iterator[Path]:
    """Write a directory in staging and swap it into ``path`` once complete.

    Yields the staging directory ``PARENT/.lstmkit-partial/NAME`` (fresh, or the
    interrupted run for ``resume``); see the module docstring for the policy.

    Args:
        path: the output directory.
        option: how the user gave it, for error messages.
        overwrite: allow replacing a non-empty directory lstmkit did not write.
        resume: continue the staged (interrupted) run; without one, a copy of the
            completed run in ``path`` if it has checkpoints.

    Raises:
        ConfigError: see :func:`check_output_dir`; or another run holds the lock.
        CheckpointError: ``resume`` with no run to resume.
    """
    target = check_output_dir(path, option=option, overwrite=overwrite)
    root = target.parent / STAGING
    staging = root / target.name
    _make_staging_root(root, option, path)
    try:
        with _hold_lock(staging, option, path):
            created = _prepare_staging(staging, target, resume)
            try:
                yield staging
            except BaseException as exc:
                if created and not isinstance(exc, TrainingStopped):
                    remove_staged(staging)
                raise
            check_output_dir(path, option=option, overwrite=overwrite)  # it may have changed
            write_marker(staging)
            replace_dir(staging, target, aside=root)
    finally:
        _remove_if_empty(root)


def _make_staging_root(root: Path, option: str, path) -> None:
    if root.is_symlink() or (root.exists() and not root.is_dir()):
        raise ConfigError(f"{option} {path}: {root} is not a directory lstmkit made "
                          "(a symlink or a file); remove it")
    root.mkdir(parents=True, exist_ok=True)


@contextmanager
def _hold_lock(staging: Path, option: str, path) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock_path = staging.with_name(staging.name + LOCK_SUFFIX)
    lock = FileLock(lock_path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise ConfigError(f"{option} {path}: another run holds the lock {lock_path} on its "
                          f"staging directory {staging}; wait for it to finish") from None
    try:
        yield
    finally:
        lock_path.unlink(missing_ok=True)
        lock.release()


def _prepare_staging(staging: Path, target: Path, resume: bool) -> bool:
    """Make ``staging`` ready; True if this run created it (and owns its removal)."""
    if staging.is_symlink() or (staging.exists() and not staging.is_dir()):
        raise ConfigError(f"{staging}: not a staging directory lstmkit made (a symlink or "
                          "a file); remove it")
    if resume:
        if staging.is_dir():
            return False
        if is_lstmkit_dir(target) and (target / "checkpoints").is_dir():
            shutil.copytree(target, staging, symlinks=True)
            return True
        raise CheckpointError(f"nothing to resume: no interrupted run in {staging}")
    if staging.exists():
        remove_staged(staging)
    staging.mkdir()
    write_marker(staging)
    return True


def remove_staged(staging: Path) -> None:
    """Delete a staged run: only a real directory inside a :data:`STAGING` folder that
    lstmkit marked (or an empty one); anything else is refused with a ConfigError."""
    inside = (staging.parent.name == STAGING and not staging.parent.is_symlink()
              and staging.resolve().parent == staging.parent.resolve())
    if not staging.exists():
        return
    if staging.is_symlink() or not staging.is_dir() or not inside:
        raise ConfigError(f"{staging}: not a staging directory lstmkit made; remove it")
    if not is_lstmkit_dir(staging) and any(staging.iterdir()):
        raise ConfigError(f"{staging}: a staged run lstmkit did not mark (no {MARKER}); "
                          "resume it with --resume or remove it")
    shutil.rmtree(staging)


def replace_dir(new: Path, path: Path, *, aside: Path | None = None) -> None:
    """Move directory ``new`` to ``path``; an existing ``path`` is moved aside (into
    ``aside``, default its own parent) first and removed only after the swap."""
    old = None
    if path.exists() or path.is_symlink():
        old = (aside or path.parent) / f".{path.name}.{secrets.token_hex(4)}.old"
        os.replace(path, old)
    os.replace(new, path)
    fsync_dir(path.parent)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        else:
            old.unlink()


def _remove_if_empty(folder: Path) -> None:
    if folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir()):
        folder.rmdir()

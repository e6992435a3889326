"""Atomic writes and bounded reads: every file lstmkit writes or reads from a user.

**Atomic files.** :func:`atomic_write` and :func:`atomic_file` write a temporary file in
the destination's directory, ``fsync`` it and ``os.replace`` it into place: a crash at any
moment leaves the old file or the new one, never half of one.

**Bounded reads.** :func:`read_bounded` reads only a regular file (not a FIFO, which would
block forever, nor a device such as ``/dev/zero``, which never ends, nor a directory), of
at most a given size, checked before a byte is read; with ``inside``, a symbolic link
must stay inside that directory. The file is opened non-blocking and checked again once
open, so swapping it for a FIFO between the check and the open cannot hang the reader.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import LstmkitError


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash never leaves a partial file there.

    Args:
        path: the destination; its directory must exist.
        data: the whole content.
    """
    with atomic_file(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


@contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` (same suffix) to write; moved to ``path`` on success.

    Example:
        >>> folder = Path(tempfile.mkdtemp())
        >>> with atomic_file(folder / "notes.txt") as part:
        ...     _ = part.write_text("hello")  # e.g. fig.savefig(part) for a .png
        >>> sorted(p.name for p in folder.iterdir()), (folder / "notes.txt").read_text()
        (['notes.txt'], 'hello')
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}",
                                dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Flush a directory entry (a rename) to disk; a no-op where the OS cannot."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
         (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
         (stat.S_ISSOCK, "a socket"))


def read_bounded(path: str | os.PathLike, *, limit: int,
                 error: type[LstmkitError] = LstmkitError,
                 inside: str | os.PathLike | None = None) -> bytes:
    """The bytes of the regular file ``path``, which may hold at most ``limit`` bytes.

    Args:
        path: the file.
        limit: the largest size accepted, in bytes (see :mod:`lstmkit.limits`).
        error: the :class:`LstmkitError` subclass to raise, so the message fits the caller.
        inside: a directory ``path`` must resolve into (symbolic links included).

    Raises:
        error: naming ``path``: missing, a link out of ``inside``, not a regular file,
            over ``limit``, or unreadable. A missing file's message ends with
            ``"file not found"``.
    """
    path = Path(path)
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            _check_link(path, inside, error)
            info = os.stat(path)
        _check_regular(path, info, limit, error)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as f:
            _check_regular(path, os.fstat(f.fileno()), limit, error)
            data = f.read(limit + 1)
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:  # it grew after the check
        raise error(f"{path}: larger than {limit} bytes, the most lstmkit reads from "
                    "such a file")
    return data


def _check_link(path: Path, inside: str | os.PathLike | None,
                error: type[LstmkitError]) -> None:
    if inside is None:
        return
    target = Path(os.path.realpath(path))
    if not target.is_relative_to(os.path.realpath(inside)):
        raise error(f"{path}: a symbolic link to {target}, outside {inside}; refusing to "
                    "read it")


def _check_regular(path: Path, info: os.stat_result, limit: int,
                   error: type[LstmkitError]) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in KINDS if test(info.st_mode)), "not a file")
        raise error(f"{path}: {kind}, not a regular file; refusing to read it")
    if info.st_size > limit:
        raise error(f"{path}: {info.st_size} bytes, more than the {limit} lstmkit reads "
                    "from such a file")

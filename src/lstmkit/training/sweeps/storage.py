"""Where a study lives: a local SQLite file by default, Optuna's journal file for several
processes on one machine (SQLite's locking breaks under parallel writers, optuna#820), or
a database server (``postgresql://``, ``mysql://``) that workers on several machines share.

A study is resumable: :func:`requeue_interrupted` marks a trial a killed process left
RUNNING as failed and enqueues its parameters again, so ``--resume`` finishes the study
with every completed trial kept and the interrupted one re-run.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ...errors import ConfigError, LstmkitError

JOURNAL_PREFIX = "journal:"
RETRY_OF = "retry_of"
INTERRUPTED = "interrupted"
SURPLUS = "surplus"
WORKER = "worker"


class StorageError(LstmkitError):
    """A study storage that cannot be reached or opened (exit 1)."""


def default_storage(sweep_dir: Path, jobs: int) -> str:
    """``sqlite:///SWEEP_DIR/study.db`` for one worker, a journal file for several; an
    existing study file of either kind wins (so ``--resume`` finds it)."""
    db, journal = sweep_dir / "study.db", sweep_dir / "study.journal"
    if journal.exists() or (jobs > 1 and not db.exists()):
        return f"{JOURNAL_PREFIX}{journal.resolve()}"
    return f"sqlite:///{db.resolve()}"


def masked(url: str) -> str:
    """``url`` with its password replaced by ``***``.

    Example:
        >>> masked("postgresql://me:secret@db:5432/optuna")
        'postgresql://me:***@db:5432/optuna'
    """
    return re.sub(r"^([a-z0-9+]+://[^:/@]+):[^@]*@", r"\1:***@", url)


def open_storage(url: str) -> Any:
    """An Optuna storage for ``url``: ``journal:PATH`` (a journal file), else an RDB URL
    (``sqlite:///...``, ``postgresql://...``, ``mysql://...``).

    Raises:
        ConfigError: for a URL of no known kind.
        StorageError: naming the (masked) URL when the storage cannot be opened.
    """
    import optuna

    if url.startswith(JOURNAL_PREFIX):
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        path = Path(url[len(JOURNAL_PREFIX):])
        if not path.parent.is_dir():
            raise StorageError(f"--storage {url}: the directory {path.parent} does not exist")
        return JournalStorage(JournalFileBackend(str(path)))
    if not re.match(r"^(sqlite|postgresql|mysql)(\+\w+)?://", url):
        raise ConfigError(f"--storage {masked(url)}: expected journal:PATH, sqlite:///PATH, "
                          "postgresql://... or mysql://...")
    try:
        rdb = optuna.storages.RDBStorage(with_driver(url), engine_kwargs=_engine_kwargs(url))
    except Exception as exc:  # SQLAlchemy, the driver, or a missing driver module
        cause = getattr(exc, "orig", None) or exc
        first = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
        raise StorageError(f"--storage {masked(url)}: cannot open the study storage: "
                           f"{masked(first)}") from None
    if url.startswith("sqlite"):
        write_ahead(rdb.engine)
    return rdb


def close_storage(store: Any) -> None:
    """Close the connections an RDB storage keeps in its pool. The last connection to a
    SQLite study closing merges the write-ahead log into ``study.db`` and removes the
    ``-wal`` and ``-shm`` files, so a finished command leaves the study whole and
    nothing open (before, they closed whenever the garbage collector got to them, even
    in the middle of the next command). A journal storage keeps no connection."""
    engine = getattr(store, "engine", None)
    if engine is not None:
        engine.dispose()


@contextmanager
def opened(url: str) -> Iterator[Any]:
    """:func:`open_storage`, closed (:func:`close_storage`) on leaving the block."""
    store = open_storage(url)
    try:
        yield store
    finally:
        close_storage(store)


def write_ahead(engine: Any) -> None:
    """Give every SQLite connection of ``engine`` a write-ahead log with
    ``synchronous = NORMAL``: a commit appends to the log without waiting for the disk.

    Optuna commits once per reported epoch; with SQLite's default (a rollback journal,
    ``synchronous = FULL``) each commit waits for two fsyncs, which made the trials of a
    small model spend more time waiting for the disk than training. A killed process
    (Ctrl-C, kill -9) loses nothing committed: the log is in the operating system's
    cache; only a power cut may lose the last commits, never corrupt the study
    (https://www.sqlite.org/wal.html). The connections opened so far are closed, so all
    later ones get the settings.
    """
    from sqlalchemy import event

    def configure(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    event.listen(engine, "connect", configure)
    engine.dispose()


def with_driver(url: str) -> str:
    """``url`` with an installed PostgreSQL driver named when it names none.

    SQLAlchemy reads a bare ``postgresql://`` as psycopg2 up to 2.0 and as psycopg (3)
    from 2.1; either driver works, so the one installed is chosen (psycopg first).

    Example:
        >>> with_driver("sqlite:///x.db")
        'sqlite:///x.db'
    """
    if not url.startswith("postgresql://"):
        return url
    for module, dialect in (("psycopg", "psycopg"), ("psycopg2", "psycopg2")):
        if importlib.util.find_spec(module) is not None:
            return f"postgresql+{dialect}://{url[len('postgresql://'):]}"
    raise StorageError(f"--storage {masked(url)}: no PostgreSQL driver is installed; "
                       "pip install psycopg2-binary (or lstmkit[sweep])")


def _engine_kwargs(url: str) -> dict[str, Any]:
    """Fail fast on an unreachable server instead of hanging."""
    if url.startswith("postgresql"):
        return {"connect_args": {"connect_timeout": 10}}
    if url.startswith("mysql"):
        return {"connect_args": {"connect_timeout": 10}}
    return {}


def worker_id() -> str:
    """``HOST/PID``: which process ran a trial (its ``worker`` user attribute)."""
    return f"{socket.gethostname()}/{os.getpid()}"


def finished(study: Any) -> int:
    """Trials that count towards ``--trials``: complete or pruned."""
    from optuna.trial import TrialState

    return len(study.get_trials(deepcopy=False,
                                states=(TrialState.COMPLETE, TrialState.PRUNED)))


def live(study: Any) -> int:
    """Trials that count towards ``--trials`` or are being run (one storage read)."""
    from optuna.trial import TrialState

    return len(study.get_trials(deepcopy=False, states=(
        TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)))


def requeue_interrupted(study: Any) -> list[int]:
    """Mark RUNNING trials (left by a killed process) failed and enqueue the parameters
    of those and of trials stopped by Ctrl-C again, once each; returns their numbers.

    Only for a study no other worker is running (``--resume``).
    """
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    retried = {t.user_attrs.get(RETRY_OF) for t in trials}
    again = []
    for t in trials:
        if t.state == TrialState.RUNNING:
            study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        elif not (t.state == TrialState.FAIL and t.user_attrs.get(INTERRUPTED)):
            continue
        if t.number not in retried and t.params:
            study.enqueue_trial(t.params, user_attrs={RETRY_OF: t.number})
            again.append(t.number)
    return again

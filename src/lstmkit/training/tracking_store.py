"""Opening an MLflow store safely: the URI checked before MLflow touches it, and runs
left RUNNING by a process that died marked KILLED.

MLflow given an unreachable server retries for minutes without a word, and given an
unknown scheme fails deep inside its registry; :func:`check_tracking_uri` answers in
one line within :data:`CONNECT_TIMEOUT` seconds. A run records the process that runs
it (:data:`PID_TAG`, :data:`HOST_TAG`); :func:`mark_killed_runs` ends, as KILLED, every
RUNNING run of this host whose process is gone (killed, or the machine restarted).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError, LstmkitError

CONNECT_TIMEOUT = 3.0  # seconds
SCHEMES = ("sqlite", "file", "http", "https", "postgresql", "mysql", "mssql", "databricks",
           "databricks-uc", "uc")
PID_TAG, HOST_TAG = "lstmkit.pid", "lstmkit.host"
STALE_SEARCH_LIMIT = 1000  # RUNNING runs looked at per opening


class TrackingError(LstmkitError):
    """The tracking store cannot be reached or opened."""


def check_tracking_uri(uri: str) -> None:
    """Refuse a tracking URI MLflow cannot use, before MLflow is imported for it.

    A local path (no scheme) and every scheme of :data:`SCHEMES` pass; an ``http(s)``
    server must accept a connection within :data:`CONNECT_TIMEOUT` seconds; a SQLite
    file's directory is created if needed.

    Raises:
        ConfigError: for an unknown scheme, a URI without a host or path, or a SQLite
            file whose directory cannot be created.
        TrackingError: for a server that does not answer.
    """
    parts = urlsplit(uri)
    scheme = parts.scheme.lower().split("+")[0]  # postgresql+psycopg2 -> postgresql
    if len(scheme) <= 1:  # a plain path (or a Windows drive letter)
        return
    if scheme not in SCHEMES:
        raise ConfigError(f"tracking URI {uri!r}: unknown scheme {parts.scheme!r}; use "
                          "sqlite:///PATH, http(s)://HOST:PORT or one of " + ", ".join(SCHEMES))
    if scheme in ("http", "https"):
        _check_server(uri, parts, 443 if scheme == "https" else 80)
    elif scheme == "sqlite":
        _prepare_sqlite(uri)


def _check_server(uri: str, parts: Any, default_port: int) -> None:
    try:
        host, port = parts.hostname, parts.port or default_port
    except ValueError as exc:  # a port that is not a number
        raise ConfigError(f"tracking URI {uri!r}: {exc}") from None
    if not host:
        raise ConfigError(f"tracking URI {uri!r}: no host (expected http(s)://HOST:PORT)")
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as exc:
        reason = (f"no answer within {CONNECT_TIMEOUT:g} s" if isinstance(exc, TimeoutError)
                  else exc.strerror or str(exc))
        raise TrackingError(f"tracking URI {uri}: cannot connect to {host}:{port} ({reason}); "
                            "start the server, give another --tracking-uri, or use "
                            "--no-tracking") from None


def _prepare_sqlite(uri: str) -> None:
    if not uri.startswith("sqlite:///"):
        raise ConfigError(f"tracking URI {uri!r}: expected sqlite:///PATH (three slashes, "
                          "four for an absolute path)")
    path = Path(uri[len("sqlite:///"):])
    if path.is_dir():
        raise ConfigError(f"tracking URI {uri!r}: {path} is a directory, not a database file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"tracking URI {uri!r}: cannot create the directory "
                          f"{path.parent} ({exc.strerror or exc})") from None


def process_tags() -> dict[str, str]:
    """The tags that name the process running a run."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def process_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine (another user's counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def mark_killed_runs(client: Any, experiment_ids: list[str] | None = None) -> list[str]:
    """End as KILLED the RUNNING runs started on this host by a process that is gone.

    Args:
        client: an ``mlflow.MlflowClient``.
        experiment_ids: where to look (default: every experiment).

    Returns:
        The ids of the runs marked.
    """
    if experiment_ids is None:
        experiment_ids = [e.experiment_id for e in client.search_experiments()]
    if not experiment_ids:
        return []
    host = socket.gethostname().replace("'", "")
    running = client.search_runs(
        experiment_ids, filter_string=f"attributes.status = 'RUNNING' and "
        f"tags.`{HOST_TAG}` = '{host}'", max_results=STALE_SEARCH_LIMIT)
    marked = []
    for run in running:
        pid = run.data.tags.get(PID_TAG, "")
        if pid.isdigit() and not process_alive(int(pid)):
            client.set_terminated(run.info.run_id, status="KILLED")
            marked.append(run.info.run_id)
    return marked

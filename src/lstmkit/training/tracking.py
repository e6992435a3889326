"""Run tracking: MLflow by default, in a local SQLite store that needs nothing running.

``MlflowTracker`` records a run's resolved config (params), per-epoch metrics, system
info (tags), artifacts and datasets (name, digest, schema, row count through MLflow's
dataset tracking). The store is ``--tracking-uri``, else ``MLFLOW_TRACKING_URI``, else
``sqlite:///<cwd>/lstmkit-runs/mlflow.db`` with artifacts in ``lstmkit-runs/artifacts``.
``NullTracker`` does nothing (``--no-tracking``). MLflow is imported only when a run
starts, so importing lstmkit stays fast. The URI is checked before MLflow opens it, and
runs a killed process left RUNNING are marked KILLED whenever the store is opened (see
:mod:`lstmkit.training.tracking_store`).
"""

from __future__ import annotations

import json
import logging
import os
import platform
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from .._version import __version__
from .callbacks import Callback
from .tracking_store import TrackingError, check_tracking_uri, mark_killed_runs, process_tags

if TYPE_CHECKING:
    from ..data.registry import DatasetRef
    from .trainer import Trainer

LOCAL_STORE = Path("lstmkit-runs")


def default_tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else the local SQLite store under the cwd."""
    return os.environ.get("MLFLOW_TRACKING_URI") or (
        f"sqlite:///{(LOCAL_STORE / 'mlflow.db').resolve()}")


def artifact_root(uri: str) -> str | None:
    """Where a new experiment keeps artifacts: beside a SQLite file, else the server's."""
    if not uri.startswith("sqlite:///"):
        return None
    return (Path(uri[len("sqlite:///"):]).parent / "artifacts").resolve().as_uri()


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"train": {"lr": 0.1}}`` -> ``{"train.lr": "0.1"}``."""
    flat: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = json.dumps(value) if isinstance(value, (list, tuple)) \
                else str(value)
    return flat


def system_info() -> dict[str, str]:
    """Versions and machine facts recorded with every run (as ``sys.*`` tags)."""
    return {"sys.python": platform.python_version(), "sys.torch": torch.__version__,
            "sys.lstmkit": __version__, "sys.platform": platform.platform(),
            "sys.cpu_count": str(os.cpu_count()), "sys.torch_threads":
            str(torch.get_num_threads()), "sys.argv": " ".join(sys.argv)[:5000]}


class NullTracker:
    """A tracker that records nothing (``--no-tracking``); same methods as MlflowTracker."""

    run_id: str | None = None

    def __enter__(self) -> NullTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def log_params(self, params: dict[str, Any]) -> None:
        """Record nothing."""

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        """Record nothing."""

    def log_artifact(self, path: str | os.PathLike, artifact_path: str | None = None) -> None:
        """Record nothing."""

    def log_dataset(self, ref: DatasetRef, context: str = "training") -> None:
        """Record nothing."""


class MlflowTracker(NullTracker):
    """One MLflow run, as a context manager: started on enter, ended on exit.

    Args:
        uri: tracking URI; default :func:`default_tracking_uri`.
        experiment: MLflow experiment name (created if missing).
        run_name: the run's display name.
        run_id: reopen this run instead of starting one (resuming a training); a new
            run is started if the store does not have it.

    Attributes:
        run_id: the MLflow run id once entered.

    Example:
        >>> with MlflowTracker("sqlite:///runs.db", run_name="try") as run:  # doctest: +SKIP
        ...     run.log_params({"train": {"lr": 0.01}})
        ...     run.log_metrics({"val_loss": 0.5}, step=1)
    """

    def __init__(self, uri: str | None = None, *, experiment: str = "lstmkit",
                 run_name: str | None = None, run_id: str | None = None) -> None:
        self.uri = uri or default_tracking_uri()
        self.experiment, self.run_name, self.run_id = experiment, run_name, run_id
        self.client: Any = None

    def __enter__(self) -> MlflowTracker:
        self.client = open_store(self.uri)
        if self.run_id and self._reopen(self.run_id):
            return self
        found = self.client.get_experiment_by_name(self.experiment)
        experiment_id = found.experiment_id if found else self.client.create_experiment(
            self.experiment, artifact_location=artifact_root(self.uri))
        run = self.client.create_run(experiment_id, run_name=self.run_name,
                                     tags={**system_info(), **process_tags()})
        self.run_id = run.info.run_id
        return self

    def _reopen(self, run_id: str) -> bool:
        """Mark an existing run as running again; False if this store does not have it."""
        from mlflow.exceptions import MlflowException

        try:
            self.client.update_run(run_id, status="RUNNING")
        except MlflowException:
            return False
        for key, value in process_tags().items():  # this process runs it now
            self.client.set_tag(run_id, key, value)
        return True

    def __exit__(self, exc_type: type | None, exc: object, tb: object) -> None:
        status = "FINISHED" if exc_type is None else (
            "KILLED" if exc_type is KeyboardInterrupt or getattr(exc, "exit_code", 0) == 130
            else "FAILED")
        self.client.set_terminated(self.run_id, status=status)

    def log_params(self, params: dict[str, Any]) -> None:
        """Log a (nested) config as dotted params, e.g. ``train.lr``."""
        from mlflow.entities import Param

        items = [Param(k, v) for k, v in flatten(params).items()]
        for i in range(0, len(items), 100):
            self.client.log_batch(self.run_id, params=items[i:i + 100])

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        """Log numeric metrics at ``step`` (the epoch, for per-epoch metrics)."""
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        self.client.log_batch(self.run_id, metrics=[
            Metric(k, float(v), now, step) for k, v in metrics.items()])

    def log_artifact(self, path: str | os.PathLike, artifact_path: str | None = None) -> None:
        """Upload a file, or a directory's content under ``artifact_path``."""
        if Path(path).is_dir():
            self.client.log_artifacts(self.run_id, str(path), artifact_path)
        else:
            self.client.log_artifact(self.run_id, str(path), artifact_path)

    def log_dataset(self, ref: DatasetRef, context: str = "training") -> None:
        """Record a dataset version as an MLflow dataset input of the run."""
        from mlflow.entities import Dataset, DatasetInput, InputTag

        schema = {"mlflow_colspec": [{"name": c, "type": "string"} for c in ref.columns]}
        dataset = Dataset(name=ref.name, digest=ref.digest[:32], source_type="local",
                          source=json.dumps({"uri": ref.source}), schema=json.dumps(schema),
                          profile=json.dumps({"num_rows": ref.rows, "format": ref.format}))
        self.client.log_inputs(self.run_id, [DatasetInput(
            dataset, [InputTag("mlflow.data.context", context)])])
        self.client.set_tag(self.run_id, f"data.{context}.sha256", ref.digest)


def open_store(uri: str) -> Any:
    """An ``MlflowClient`` on ``uri`` (checked first, see
    :func:`~lstmkit.training.tracking_store.check_tracking_uri`), with the runs killed
    processes left RUNNING marked KILLED.

    Raises:
        ConfigError: for a malformed URI.
        TrackingError: for a store that cannot be reached or opened.
    """
    check_tracking_uri(uri)
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException
    from sqlalchemy.exc import SQLAlchemyError

    if "MLFLOW_LOGGING_LEVEL" not in os.environ:  # MLflow's INFO lines drown our output
        logging.getLogger("mlflow").setLevel(logging.WARNING)
    try:
        client = MlflowClient(tracking_uri=uri)
        mark_killed_runs(client)
    except (MlflowException, SQLAlchemyError) as exc:
        cause = getattr(exc, "orig", None) or exc  # SQLAlchemy: the database's own error
        message = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        raise TrackingError(f"tracking URI {uri}: {message}") from None
    return client


def make_tracker(enabled: bool = True, uri: str | None = None, *, experiment: str = "lstmkit",
                 run_name: str | None = None, run_id: str | None = None,
                 ) -> MlflowTracker | NullTracker:
    """An :class:`MlflowTracker`, or a :class:`NullTracker` when ``enabled`` is False."""
    if not enabled:
        return NullTracker()
    return MlflowTracker(uri, experiment=experiment, run_name=run_name, run_id=run_id)


class TrackingCallback(Callback):
    """Logs each epoch's metrics and keeps the run id in the checkpoints (for resume)."""

    def __init__(self, tracker: NullTracker) -> None:
        self.tracker = tracker

    def on_fit_start(self, trainer: Trainer) -> None:
        """Store the run id in ``trainer.extra`` so a resumed run continues this one."""
        if self.tracker.run_id:
            trainer.extra["tracking_run_id"] = self.tracker.run_id

    def on_epoch_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        """Log the epoch's metrics at step = epoch."""
        self.tracker.log_metrics({k: v for k, v in metrics.items() if k != "epoch"},
                                 step=int(metrics["epoch"]))


@dataclass(frozen=True)
class RunSummary:
    """One tracked run, as ``lstmkit runs`` shows it."""

    run_id: str
    name: str
    status: str
    started: datetime
    task: str
    metrics: dict[str, float]
    data_digest: str


def store_exists(uri: str) -> bool:
    """False for a SQLite store whose file does not exist yet (nothing tracked)."""
    return not uri.startswith("sqlite:///") or Path(uri[len("sqlite:///"):]).exists()


def recent_runs(uri: str | None = None, limit: int = 10,
                experiment: str | None = None) -> list[RunSummary]:
    """The ``limit`` most recent runs, newest first, of one or every experiment."""
    uri = uri or default_tracking_uri()
    if not store_exists(uri):
        return []
    client = open_store(uri)
    found = [client.get_experiment_by_name(experiment)] if experiment else \
        client.search_experiments()
    ids = [e.experiment_id for e in found if e is not None]
    runs = client.search_runs(ids, max_results=limit, order_by=["attributes.start_time DESC"]) \
        if ids else []
    return [RunSummary(
        run_id=r.info.run_id, name=r.info.run_name or "", status=r.info.status,
        started=datetime.fromtimestamp(r.info.start_time / 1000),
        task=r.data.params.get("experiment.task", ""), metrics=dict(r.data.metrics),
        data_digest=next((v for k, v in r.data.tags.items() if k.startswith("data.")), ""))
        for r in runs]

"""Tracking into a temporary SQLite store, read back with the MLflow client."""

from __future__ import annotations

import pytest
import torch
from torch.nn.functional import mse_loss

from lstmkit.data.registry import resolve
from lstmkit.training import TrainConfig, Trainer, supervised_step
from lstmkit.training.tracking import (
    MlflowTracker,
    NullTracker,
    TrackingCallback,
    default_tracking_uri,
    make_tracker,
    recent_runs,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One SQLite store for the module (creating its tables takes seconds)."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


def test_tracking_records_params_metrics_dataset_and_artifacts(store, tmp_path):
    from mlflow import MlflowClient

    (tmp_path / "config.json").write_text("{}")
    nile = resolve("nile")
    with MlflowTracker(store, experiment="tests", run_name="tracked") as tracker:
        tracker.log_params({"train": {"lr": 0.01, "epochs": 2}, "task": {"cell": "lstm"}})
        trainer = Trainer(torch.nn.Linear(2, 1), supervised_step(mse_loss),
                          TrainConfig(epochs=2), callbacks=[TrackingCallback(tracker)],
                          progress=False)
        trainer.fit([(torch.randn(4, 2), torch.randn(4, 1))])
        tracker.log_dataset(nile)
        tracker.log_artifact(tmp_path / "config.json")
    client = MlflowClient(tracking_uri=store)
    run = client.get_run(tracker.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {"train.lr": "0.01", "train.epochs": "2", "task.cell": "lstm"}
    history = client.get_metric_history(tracker.run_id, "train_loss")
    assert [m.step for m in history] == [1, 2]
    assert history[-1].value == pytest.approx(trainer.history_[-1]["train_loss"])
    assert run.data.tags["sys.torch"] == torch.__version__
    dataset = run.inputs.dataset_inputs[0].dataset
    assert (dataset.name, dataset.digest) == ("nile", nile.digest[:32])
    assert '"num_rows": 100' in dataset.profile and '"year"' in dataset.schema
    assert run.data.tags["data.training.sha256"] == nile.digest
    assert [a.path for a in client.list_artifacts(tracker.run_id)] == ["config.json"]
    assert trainer.extra["tracking_run_id"] == tracker.run_id


def test_tracking_failed_run_is_marked_failed_and_listed(store):
    with pytest.raises(ValueError), MlflowTracker(store, experiment="tests",
                                                  run_name="broken") as tracker:
        raise ValueError("boom")
    listed = {r.run_id: r for r in recent_runs(store, limit=5)}
    assert listed[tracker.run_id].status == "FAILED"
    assert listed[tracker.run_id].name == "broken"


def test_tracking_default_store_is_sqlite_under_cwd(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_tracking_uri() == f"sqlite:///{tmp_path}/lstmkit-runs/mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://team:5000")
    assert default_tracking_uri() == "http://team:5000"


def test_tracking_disabled_is_a_null_tracker_and_lists_nothing(tmp_path):
    with make_tracker(False) as tracker:
        tracker.log_params({"a": 1})
    assert isinstance(tracker, NullTracker) and tracker.run_id is None
    assert recent_runs(f"sqlite:///{tmp_path}/none.db") == []
    assert not (tmp_path / "none.db").exists()


def test_tracking_resume_reopens_the_run_or_starts_one_if_unknown(store):
    with MlflowTracker(store, experiment="tests", run_name="first") as first:
        pass
    with MlflowTracker(store, experiment="tests", run_id=first.run_id) as again:
        assert again.run_id == first.run_id
    with MlflowTracker(store, experiment="tests", run_id="0" * 32) as fresh:
        assert fresh.run_id != "0" * 32


def _run_left_running(store: str, name: str) -> str:
    """A run whose process 'died': entered, never exited (status RUNNING)."""
    tracker = MlflowTracker(store, experiment="tests", run_name=name).__enter__()
    return tracker.run_id


def test_tracking_run_records_its_process(store):
    import os
    import socket

    from mlflow import MlflowClient

    with MlflowTracker(store, experiment="tests", run_name="pid") as tracker:
        pass
    tags = MlflowClient(tracking_uri=store).get_run(tracker.run_id).data.tags
    assert tags["lstmkit.pid"] == str(os.getpid())
    assert tags["lstmkit.host"] == socket.gethostname()


def test_tracking_run_of_a_dead_process_is_marked_killed_on_open(store):
    import subprocess
    import sys

    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=store)
    dead = _run_left_running(store, "killed")
    alive = _run_left_running(store, "alive")  # this process: still running
    other_host = _run_left_running(store, "elsewhere")
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # its pid is now free: a process that is gone
    client.set_tag(dead, "lstmkit.pid", str(child.pid))
    client.set_tag(other_host, "lstmkit.pid", str(child.pid))
    client.set_tag(other_host, "lstmkit.host", "another-machine")
    assert client.get_run(dead).info.status == "RUNNING"
    with MlflowTracker(store, experiment="tests", run_name="next"):
        pass
    assert client.get_run(dead).info.status == "KILLED"
    assert client.get_run(dead).info.end_time is not None
    assert client.get_run(alive).info.status == "RUNNING"
    assert client.get_run(other_host).info.status == "RUNNING"  # not ours to judge
    client.set_terminated(alive)
    client.set_terminated(other_host)


def test_tracking_runs_listing_marks_killed_runs(store):
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=store)
    dead = _run_left_running(store, "killed-listed")
    client.set_tag(dead, "lstmkit.pid", "999999999")
    listed = {r.run_id: r.status for r in recent_runs(store, limit=50)}
    assert listed[dead] == "KILLED"


def test_tracking_killed_subprocess_leaves_a_run_marked_killed_later(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from mlflow import MlflowClient

    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    script = ("import sys, time\n"
              "from lstmkit.training.tracking import MlflowTracker\n"
              f"t = MlflowTracker({store!r}, experiment='tests').__enter__()\n"
              "print(t.run_id, flush=True)\n"
              "time.sleep(600)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                             text=True, env=env)
    run_id = child.stdout.readline().strip()
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    client = MlflowClient(tracking_uri=store)
    assert client.get_run(run_id).info.status == "RUNNING"
    assert [r.status for r in recent_runs(store) if r.run_id == run_id] == ["KILLED"]


@pytest.mark.parametrize(("uri", "fragment"), [
    ("nope://x", "unknown scheme 'nope'"),
    ("http://", "no host"),
    ("http://127.0.0.1:abc", "Port could not be cast"),
    ("sqlite://relative.db", "expected sqlite:///PATH"),
])
def test_tracking_malformed_uri_is_a_config_error(uri, fragment):
    from lstmkit.errors import ConfigError

    with pytest.raises(ConfigError, match=fragment):
        MlflowTracker(uri).__enter__()


def test_tracking_unreachable_server_fails_fast_naming_the_uri(monkeypatch):
    import socket

    from lstmkit.training import tracking_store

    seen = {}

    def connect(address, timeout):
        seen["timeout"] = timeout
        raise TimeoutError("timed out")

    monkeypatch.setattr(socket, "create_connection", connect)
    with pytest.raises(tracking_store.TrackingError,
                       match=r"http://127\.0\.0\.1:5000: cannot connect to 127\.0\.0\.1:5000 "
                             r"\(no answer within 3 s\)"):
        MlflowTracker("http://127.0.0.1:5000").__enter__()
    assert seen["timeout"] == tracking_store.CONNECT_TIMEOUT


def test_tracking_refused_connection_is_one_error(tmp_path):
    import socket

    from lstmkit.training.tracking_store import TrackingError

    with socket.socket() as probe:  # a free loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TrackingError, match=f"cannot connect to 127.0.0.1:{port}"):
        recent_runs(f"http://127.0.0.1:{port}")


def test_tracking_sqlite_under_a_file_is_a_config_error(tmp_path):
    from lstmkit.errors import ConfigError

    (tmp_path / "afile").write_text("x")
    with pytest.raises(ConfigError, match="cannot create the directory"):
        MlflowTracker(f"sqlite:///{tmp_path / 'afile' / 'sub' / 'm.db'}").__enter__()


def test_tracking_store_that_is_not_a_database_is_one_error(tmp_path):
    from lstmkit.training.tracking_store import TrackingError

    (tmp_path / "junk.db").write_text("not a database")
    with pytest.raises(TrackingError, match="file is not a database"):
        recent_runs(f"sqlite:///{tmp_path / 'junk.db'}")

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

"""``lstmkit train``, ``data`` and ``runs``: one line per user error, exit codes, tracking."""

from __future__ import annotations

import pytest

from lstmkit.cli.main import main
from lstmkit.errors import ConfigError

EXPERIMENT = """
[experiment]
task = "adding"
name = "tiny"
output_dir = "out"

[train]
epochs = 2
lr = 1e-2

[task]
seq_len = 8
n_train = 96
n_test = 32
hidden_size = 4
batch_size = 32
"""


@pytest.fixture
def experiment(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTMKIT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)  # output_dir is relative to the working directory
    path = tmp_path / "tiny.toml"
    path.write_text(EXPERIMENT)
    return path


def test_cli_train_no_tracking_saves_model_and_resolved_config(run, experiment, tmp_path, capsys):
    assert run(["train", str(experiment), "--no-tracking", "--train.epochs=1"]) == 0
    assert "test_mse" in capsys.readouterr().out
    run_dir = tmp_path / "out" / "tiny"
    assert (run_dir / "model" / "model.safetensors").exists()
    assert '"epochs": 1' in (run_dir / "config.json").read_text()
    assert not (tmp_path / "lstmkit-runs").exists()


def test_cli_train_tracks_run_with_dataset_digest(run, experiment, tmp_path, capsys):
    from mlflow import MlflowClient

    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert run(["train", str(experiment), "--tracking-uri", store]) == 0
    client = MlflowClient(tracking_uri=store)
    (found,) = client.search_runs([client.get_experiment_by_name("lstmkit").experiment_id])
    assert found.data.params["train.lr"] == "0.01"
    assert found.data.params["task.seq_len"] == "8"
    assert {"val_loss", "train_loss", "test_mse"} <= set(found.data.metrics)
    dataset = found.inputs.dataset_inputs[0].dataset
    assert dataset.name == "adding_problem(T=8)" and len(dataset.digest) == 32
    artifacts = {a.path for a in client.list_artifacts(found.info.run_id)}
    assert {"config.json", "loss_curve.png", "model"} <= artifacts
    capsys.readouterr()
    assert run(["runs", "--tracking-uri", store]) == 0
    assert "tiny" in capsys.readouterr().out


def test_cli_train_resume_continues_to_the_same_end(run, experiment, tmp_path):
    assert run(["train", str(experiment), "--no-tracking", "--train.epochs=2"]) == 0
    assert run(["train", str(experiment), "--no-tracking", "--train.epochs=2",
                "--resume"]) == 0


def test_cli_unknown_key_prints_one_line_and_exits_2(run, experiment, capsys):
    assert run(["train", str(experiment), "--train.lrr=3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown key in [train]: lrr; valid keys: epochs, lr,")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_cli_missing_file_and_unknown_task_are_one_line_errors(run, experiment, tmp_path, capsys):
    assert run(["train", str(tmp_path / "none.toml")]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'none.toml'}: no such experiment file\n"
    assert run(["train", str(experiment), "--experiment.task=nope"]) == 2
    assert "unknown task 'nope' in [experiment] task; known tasks: adding" in \
        capsys.readouterr().err


def test_cli_data_for_a_task_without_data_is_refused(run, experiment, capsys):
    assert run(["train", str(experiment), "--data", "nile", "--no-tracking"]) == 2
    assert "task 'adding' makes its own data" in capsys.readouterr().err


def test_cli_debug_shows_the_traceback(run, experiment):
    with pytest.raises(ConfigError):
        main(["--debug", "train", str(experiment), "--train.lrr=3"])
    assert run(["train", str(experiment), "--train.lrr=3"]) == 2  # --debug does not stick


def test_cli_data_add_list_info(run, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LSTMKIT_HOME", str(tmp_path / "home"))
    (tmp_path / "s.csv").write_text("t,v\n1,2\n")
    assert run(["data", "add", str(tmp_path / "s.csv"), "--name", "sales"]) == 0
    assert "registered sales" in capsys.readouterr().out
    assert run(["data", "list"]) == 0
    listing = capsys.readouterr().out
    assert "nile" in listing and "sales" in listing
    assert run(["data", "info", "sales"]) == 0
    assert "version" in capsys.readouterr().out
    assert run(["data", "info", "nope"]) == 1
    assert capsys.readouterr().err.startswith("error: dataset 'nope' not found")

"""``lstmkit sweep`` end to end on a tiny adding task: the table of trials, the best
settings scored on test, and a best.yaml that ``lstmkit train`` runs."""

from __future__ import annotations

import pytest

pytest.importorskip("optuna")

EXPERIMENT = """[experiment]
task = "adding"
name = "tiny"
[train]
epochs = 2
[task]
seq_len = 5
n_train = 96
n_test = 32
hidden_size = 4
batch_size = 32
[sweep]
startup_trials = 1
[sweep.train]
lr = { type = "log-float", low = 1e-3, high = 3e-2 }
[sweep.task]
cell = { type = "categorical", choices = ["lstm", "gru"] }
"""


def test_sweep_cli_prints_the_trials_and_writes_a_runnable_best_file(
        run, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "exp.toml").write_text(EXPERIMENT)
    assert run(["sweep", "exp.toml", "--trials", "2", "--no-tracking"]) == 0
    out = capsys.readouterr().out
    assert "best trials by val_loss (minimize)" in out and "train.lr" in out
    assert "best settings on test (scored once): test_mse" in out
    folder = tmp_path / "lstmkit-runs" / "outputs" / "tiny-sweep"
    assert (folder / "best" / "model").is_dir() and (folder / "trials.csv").is_file()
    assert run(["train", str(folder / "best.yaml"), "--no-tracking"]) == 0
    assert (tmp_path / "lstmkit-runs" / "outputs" / "tiny-best" / "model").is_dir()


def test_sweep_cli_resume_after_the_end_adds_trials_up_to_the_total(
        run, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exp.toml").write_text(EXPERIMENT)
    assert run(["sweep", "exp.toml", "--trials", "1", "--no-tracking"]) == 0
    assert run(["sweep", "exp.toml", "--trials", "2", "--no-tracking", "--resume"]) == 0
    csv = (tmp_path / "lstmkit-runs/outputs/tiny-sweep/trials.csv").read_text()
    assert len(csv.strip().splitlines()) == 1 + 2

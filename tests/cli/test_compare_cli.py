"""``lstmkit compare``: settings that differ, metrics side by side, one-line errors."""

from __future__ import annotations

EXPERIMENT = """[experiment]
task = "adding"
name = "a"
[train]
epochs = 1
[task]
seq_len = 5
n_train = 64
n_test = 16
hidden_size = 4
"""


def test_compare_shows_the_settings_that_differ_and_the_metrics(run, tmp_path, monkeypatch,
                                                                capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "exp.toml").write_text(EXPERIMENT)
    assert run(["train", "exp.toml", "--no-tracking"]) == 0
    assert run(["train", "exp.toml", "--no-tracking", "--experiment.name=b",
                "--train.lr=0.01"]) == 0
    capsys.readouterr()
    runs = ["lstmkit-runs/outputs/a", "lstmkit-runs/outputs/b"]
    assert run(["compare", *runs]) == 0
    out = capsys.readouterr().out
    assert "2 runs: 2 settings differ" in out
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if "│" in line}
    assert [c.strip() for c in lines["train.lr"].split("│")[2:4]] == ["0.001", "0.01"]
    assert "experiment.name" in lines and "task.seq_len" not in lines
    assert {"val_loss", "train_loss", "best", "epochs"} <= set(lines)
    assert run(["compare", "--all", *runs]) == 0
    assert "task.seq_len" in capsys.readouterr().out


def test_compare_of_a_directory_that_is_not_a_run_is_one_line(run, tmp_path, capsys):
    assert run(["compare", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {tmp_path}: not a run directory (no config.json); give " \
        "directories that lstmkit train or lstmkit sweep wrote\n"

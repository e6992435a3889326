"""``lstmkit compare``: settings that differ, metrics side by side, one-line errors."""

from __future__ import annotations

import pytest

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


def test_compare_cells_trains_every_cell_and_seed_and_summarises_them(run, tmp_path,
                                                                      monkeypatch, capsys):
    import pandas as pd

    from lstmkit.cli.compare import run_metrics

    monkeypatch.chdir(tmp_path)
    (tmp_path / "exp.toml").write_text(EXPERIMENT.replace("epochs = 1", "epochs = 2"))
    assert run(["compare", "exp.toml", "--cells", "lstm, gru,rnn", "--seeds", "2",
                "--no-tracking"]) == 0
    out = capsys.readouterr().out
    assert "3 cells x 2 seeds: mean ± sd" in out
    folder = tmp_path / "lstmkit-runs" / "outputs" / "a-compare"
    runs = pd.read_csv(folder / "runs.csv")
    assert sorted(zip(runs.cell, runs.seed, strict=True)) == [
        (c, s) for c in ("gru", "lstm", "rnn") for s in (0, 1)]
    for row in runs.itertuples():  # each run is an ordinary run directory
        assert run_metrics(folder / f"{row.cell}-s{row.seed}")["best"] == \
            pytest.approx(row.best)
    assert not (folder / ".warm-up").exists()
    params = runs.groupby("cell").params.first()
    assert params["lstm"] > params["gru"] > params["rnn"]  # 4, 3 and 1 gate blocks
    summary = pd.read_csv(folder / "summary.csv").set_index("cell")
    for cell, mine in runs.groupby("cell"):
        assert summary.loc[cell, "best_val_loss_mean"] == pytest.approx(mine.best.mean())
        assert summary.loc[cell, "best_val_loss_sd"] == pytest.approx(mine.best.std())
        assert summary.loc[cell, "test_mse_mean"] == pytest.approx(mine.test_mse.mean())
        assert mine.best.nunique() == 2  # the seeds differ
    assert (folder / "compare.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_cells_progress_has_one_bar_per_cell_and_none_off_a_terminal():
    from lstmkit.experiment_compare import CellProgress

    bars = CellProgress(["lstm", "gru"], 3)
    assert [t.description for t in bars.progress.tasks] == ["lstm", "gru"]
    assert bars.progress.disable  # pytest captures stderr: not a terminal
    with bars:
        bars.advance("gru", 0.5, "val_loss")
        bars.advance("gru", 0.25, "val_loss")
    gru = bars.progress.tasks[1]
    assert (gru.completed, gru.total, gru.fields["best"]) == (
        2, 3, "val_loss 0.375 (mean so far)")

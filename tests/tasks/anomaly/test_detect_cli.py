"""``lstmkit detect`` and ``lstmkit detect predict`` end to end, on a tiny run."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from lstmkit.cli.main import main
from lstmkit.tasks.anomaly.datasets import synthetic_anomalies

TINY = ["--epochs", "1", "--hidden-size", "4", "--window", "16", "--no-tracking"]


def _run(argv, capsys) -> tuple[int, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().out


def test_detect_run_writes_every_file_and_predict_scores_new_data(tmp_path, monkeypatch,
                                                                  capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    frame = synthetic_anomalies(2, 800, seed=3)
    frame.to_csv("data.csv", index=False)
    code, out = _run(["detect", "--data", "data.csv", "--label-col", "label", "--id-col",
                      "series", "--out", "run", *TINY], capsys)
    assert code == 0, out
    assert "LSTM" in out and "random" in out and "IForest" in out and "warning" in out
    scores = pd.read_csv(tmp_path / "run" / "scores.csv")
    assert len(scores) == len(frame) and scores["row"].tolist() == list(range(len(frame)))
    assert {"series", "time", "score", "flag", "label", "score_value"} <= set(scores.columns)
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert {"model", "random", "pca"} <= set(metrics)
    events = pd.read_csv(tmp_path / "run" / "events.csv")
    assert list(events.columns[:3]) == ["series", "start", "end"]
    assert (tmp_path / "run" / "anomalies.png").stat().st_size > 0
    assert len(list((tmp_path / "run" / "events").glob("*.png"))) == min(len(events), 50)
    frame.drop(columns="label").to_csv("new.csv", index=False)
    code, out = _run(["detect", "predict", "run", "--data", "new.csv", "--out", "watch"],
                     capsys)
    assert code == 0, out
    watched = pd.read_csv(tmp_path / "watch" / "scores.csv")
    assert len(watched) == len(frame) and "label" not in watched
    assert "no label column" in json.loads((tmp_path / "watch" / "metrics.json").read_text(
    ))["note"]
    code, out = _run(["anomaly", "score", "run", "--data", "new.csv", "--out", "again"],
                     capsys)  # the names for the same commands
    assert code == 0, out
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again" / "scores.csv"), watched)


def test_detect_help_shows_examples_and_the_settings(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out = _run(["detect", "--help"], capsys)
    assert code == 0
    for text in ("--label-col", "--id-col", "--detector", "--threshold", "--train-part",
                 "Examples", "synthetic-anomalies"):
        assert text in out


def test_detect_reads_an_aeon_series_once_as_csv_with_its_roles(tmp_path, monkeypatch):
    pytest.importorskip("aeon")
    from lstmkit.cli.detect import _materialise

    monkeypatch.setenv("LSTMKIT_HOME", str(tmp_path / "home"))
    values = {"task__label_col": None, "task__train_part": 500.0}
    path = _materialise("ucr-internal-bleeding16", values)
    frame = pd.read_csv(path)
    assert list(frame.columns) == ["value", "is_anomaly"] and len(frame) == 7501
    assert values["task__label_col"] == "is_anomaly" and values["task__columns"] == ["value"]
    assert values["task__train_part"] == 500.0  # given options win
    assert _materialise("data.csv", {}) == "data.csv"

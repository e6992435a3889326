"""Event post-processing: merging flagged runs, dropping short events, and its use by the
detector, the metrics, the baselines and events.csv."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lstmkit.cli.main import main
from lstmkit.tasks.anomaly import AnomalyDetector
from lstmkit.tasks.anomaly.datasets import synthetic_anomalies
from lstmkit.tasks.anomaly.detection import events_flags
from lstmkit.tasks.anomaly.metrics import event_prf
from lstmkit.tasks.anomaly.postprocess import drop_short, merge_gaps, merged_runs, postprocess
from lstmkit.tasks.anomaly.settings import AnomalySettings
from lstmkit.tasks.anomaly.thresholds import runs
from lstmkit.training import TrainConfig

TINY = {"window": 16, "hidden_size": 8, "train": TrainConfig(epochs=2, lr=1e-2)}


def _flags(text: str) -> np.ndarray:
    return np.array([c == "1" for c in text], dtype=bool)


def _text(flags: np.ndarray) -> str:
    return "".join("1" if f else "0" for f in flags)


@pytest.mark.parametrize(("flags", "gap", "expected"), [
    ("1001000100", 2, "1111000100"),    # a gap of 2 merges, a gap of 3 does not
    ("1001000100", 3, "1111111100"),
    ("1001000100", 0, "1001000100"),    # 0: no merging
    ("0011000000", 5, "0011000000"),    # one run: nothing to merge
    ("0001000100", 9, "0001111100"),    # leading and trailing gaps stay unflagged
    ("0000000000", 3, "0000000000"),    # nothing flagged
    ("1111111111", 3, "1111111111"),    # everything flagged
    ("1010101", 1, "1111111"),          # a chain merges into one event
    ("", 4, ""),                        # empty
])
def test_merge_gaps_fills_gaps_up_to_the_gap_between_runs_only(flags, gap, expected):
    assert _text(merge_gaps(_flags(flags), gap)) == expected


@pytest.mark.parametrize(("flags", "length", "expected"), [
    ("1011011100", 2, "0011011100"),
    ("1011011100", 3, "0000011100"),
    ("1011011100", 1, "1011011100"),    # 1 keeps every event
    ("1011011100", 4, "0000000000"),
    ("1111", 4, "1111"),                # a run of exactly the minimum length stays
    ("1", 2, "0"),                      # a one-step series
])
def test_drop_short_drops_runs_shorter_than_the_minimum(flags, length, expected):
    assert _text(drop_short(_flags(flags), length)) == expected


def test_postprocess_merges_before_dropping_short_events():
    flags = _flags("1010000010")
    # merged first: 101 -> 111 (3 steps) survives a minimum of 3; the lone 1 does not
    assert _text(postprocess(flags, 1, 3)) == "1110000000"
    assert _text(drop_short(merge_gaps(flags, 1), 3)) == _text(postprocess(flags, 1, 3))
    assert _text(merge_gaps(drop_short(flags, 3), 1)) == "0000000000"  # the other order


def test_postprocess_does_not_change_its_input():
    flags = _flags("1010")
    postprocess(flags, 2, 3)
    assert _text(flags) == "1010"


def test_merged_runs_counts_the_raw_runs_inside_each_event():
    raw = _flags("1010001000011")
    events = runs(postprocess(raw, 1, 1))
    assert events == [(0, 3), (6, 7), (11, 13)]
    assert merged_runs(raw, events) == [2, 1, 1]


def test_merging_raises_event_precision_of_a_split_detection():
    labels = _flags("0001111111100000")
    flags = _flags("0001010101000100")
    assert event_prf(labels, flags)[0] == pytest.approx(4 / 5)
    merged = postprocess(flags, 1, 1)
    assert event_prf(labels, merged)[0] == pytest.approx(1 / 2)
    assert event_prf(labels, postprocess(flags, 1, 2)) == (1.0, 1.0, 1.0)


def test_events_flags_leave_the_training_part_unflagged():
    settings = AnomalySettings(merge_gap=3, min_event_length=1)
    raw = _flags("0000001010")
    out = events_flags(settings, raw, start=5)
    assert _text(out) == "0000001110"
    raw = _flags("1100000000")
    assert not events_flags(settings, raw, start=2).any()  # nothing before the start


def test_settings_refuse_a_negative_gap_and_a_zero_minimum():
    with pytest.raises(ValueError, match="merge_gap"):
        AnomalySettings(merge_gap=-1)
    with pytest.raises(ValueError, match="min_event_length"):
        AnomalySettings(min_event_length=0)


@pytest.fixture(scope="module")
def frame():
    return synthetic_anomalies(2, 800, seed=1)


@pytest.fixture(scope="module")
def raw_model(frame):
    return AnomalyDetector(label_col="label", id_col="series", merge_gap=0,
                           min_event_length=1, **TINY).fit(frame)


def test_detector_flags_and_events_follow_the_post_processing(raw_model, frame):
    raw = raw_model.score(frame)
    processed = raw_model.set_params(merge_gap=20, min_event_length=8)
    try:
        table = processed.score(frame)
        events = processed.events(frame, test_only=True)
    finally:
        raw_model.set_params(merge_gap=0, min_event_length=1)
    np.testing.assert_allclose(table["score"], raw["score"])  # scores do not change
    for name in ("s0", "s1"):
        before = raw.loc[raw.series == name, "flag"].to_numpy().astype(bool)
        after = table.loc[table.series == name, "flag"].to_numpy().astype(bool)
        assert _text(after) == _text(postprocess(before, 20, 8))
        mine = events[events.series == name]
        assert [(s, e + 1) for s, e in zip(mine.start, mine.end, strict=True)] == runs(after)
    assert (events["length"] == events["end"] - events["start"] + 1).all()
    assert (events["length"] >= 8).all() and (events["merged"] >= 1).all()


def test_detector_evaluate_scores_post_processed_flags_for_model_and_baselines(raw_model):
    before = raw_model.evaluate()
    raw_model.set_params(merge_gap=50, min_event_length=1)
    try:
        after = raw_model.evaluate()
    finally:
        raw_model.set_params(merge_gap=0, min_event_length=1)
    assert after["model"]["vus_pr"] == pytest.approx(before["model"]["vus_pr"])
    for name in ("model", "pca", "isolation_forest"):  # merging never adds events
        assert after[name]["flagged_share"] >= before[name]["flagged_share"]
        assert after[name]["event_recall"] >= before[name]["event_recall"]


def test_events_csv_round_trips_the_post_processed_events(tmp_path, monkeypatch, frame):
    monkeypatch.chdir(tmp_path)
    frame.to_csv("data.csv", index=False)
    argv = ["detect", "--data", "data.csv", "--label-col", "label", "--id-col", "series",
            "--merge-gap", "10", "--min-event-length", "4", "--epochs", "1",
            "--hidden-size", "4", "--window", "16", "--no-tracking", "--out", "run"]
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code == 0
    events = pd.read_csv(tmp_path / "run" / "events.csv")
    scores = pd.read_csv(tmp_path / "run" / "scores.csv")
    assert list(events.columns) == ["series", "start", "end", "start_time", "end_time",
                                    "length", "merged", "peak_at", "peak_score", "channels"]
    for name, group in scores.groupby("series"):
        flags = group.sort_values("time")["flag"].to_numpy().astype(bool)
        mine = events[events.series == name]
        assert runs(flags) == [(s, e + 1) for s, e in zip(mine.start, mine.end, strict=True)]
    assert (events["length"] >= 4).all()
    config = json.loads((tmp_path / "run" / "model" / "config.json").read_text())
    assert "merge_gap" in json.dumps(config) and "min_event_length" in json.dumps(config)

"""The ``detect`` task: ``lstmkit detect`` and ``lstmkit train`` with ``task = "detect"``.

Fits an :class:`AnomalyDetector` on the training part of every series, flags the test
part, and writes into the run directory:

* ``scores.csv``: one row per input row, in input order: ``row, series, time, part``
  (train/test), ``score``, ``flag`` (0/1, test part only), ``score_<channel>`` and
  ``label`` when the data has labels;
* ``events.csv``: one row per flagged event after event post-processing (series,
  start, end, their times, length, the threshold's runs merged into it, the peak and
  its score, the channels involved);
* ``metrics.json``: with labels, the detector, the random detector and every baseline
  (:mod:`~lstmkit.tasks.anomaly.evaluation`); without, :data:`NO_LABELS`;
* ``anomalies.png`` (overview) and ``events/event_<k>.png`` (one per flagged event);
* ``model/``: the saved detector.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ...data.export import spreadsheet_safe
from ...errors import DatasetError
from ...io import atomic_write
from ..registry import TaskResult, TaskRun, estimator_from_settings, register_task
from . import detection
from .estimator import AnomalyDetector
from .plots import plot_events, plot_overview
from .series import AnomalyData
from .settings import AnomalySettings

NO_LABELS = {"note": "no label column: nothing was evaluated (name it with --label-col)"}


def run_detect(run: TaskRun) -> TaskResult:
    """Fit, flag the test part, evaluate when there are labels, save; see the module
    docstring."""
    source = run.data.name if run.data.kind == "bundled" else str(run.data.path)
    model = estimator_from_settings(AnomalyDetector, run).fit(
        source, callbacks=run.callbacks, checkpoint_dir=run.checkpoint_dir, resume=run.resume,
        run_config=run.run_config)
    metrics = write_outputs(model, model.data_, run.run_dir, test_only=True,
                            title=run.data.name)
    model.save(run.model_dir)
    flat = {f"{name}.{key}": value for name, scores in metrics.items()
            if isinstance(scores, dict) for key, value in scores.items()
            if isinstance(value, float)}
    return TaskResult(metrics=flat, model_dir=run.model_dir, history=model.history_)


def write_outputs(model: AnomalyDetector, data: AnomalyData, out: Path, *, test_only: bool,
                  title: str = "") -> dict[str, Any]:
    """Write scores.csv, events.csv, metrics.json and the pictures into ``out``; return
    the metrics."""
    results = detection.detect(model, data, test_only=test_only)
    scores = detection.scores_frame(data, results)
    events = detection.events_frame(detection.events(model, data, results), data,
                                    detection.merged_counts(results))
    has_anomaly = data.labels is not None and any(
        data.labels[i][r.start:].any() for i, r in enumerate(results))
    metrics = model.evaluate(data) if has_anomaly else dict(NO_LABELS)
    spreadsheet_safe(scores).to_csv(out / "scores.csv", index=False)
    spreadsheet_safe(events).to_csv(out / "events.csv", index=False)
    atomic_write(out / "metrics.json", json.dumps(metrics, indent=2).encode())
    table = plot_table(data, results)
    plot_overview(table, data.channels, events, model.threshold_, out / "anomalies.png",
                  title=title)
    plot_events(table, data.channels, events, model.threshold_, out / "events")
    return metrics


def plot_table(data: AnomalyData, results: list[detection.SeriesResult]) -> pd.DataFrame:
    """Rows ``series, step, score, v0, v1, ...`` (and ``label``) for the pictures."""
    frames = []
    for i, r in enumerate(results):
        frame = pd.DataFrame({"series": r.name, "step": range(len(r.scores)),
                              "score": r.scores})
        for k in range(len(data.channels)):
            frame[f"v{k}"] = data.values[i][:, k]
        if data.labels is not None:
            frame["label"] = data.labels[i]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def score_with_model(model: AnomalyDetector, source: Any, out: Path) -> dict[str, Any]:
    """``lstmkit detect predict``: flag every step of ``source`` with a saved detector
    and write the same files as a run (metrics when it has labels)."""
    data = model.read(source, labels_optional=True)
    if any(len(v) <= model.settings.window for v in data.values):
        raise DatasetError(f"{data.where}: every series needs more than window="
                           f"{model.settings.window} rows to be scored")
    return write_outputs(model, data, out, test_only=False)


register_task("detect", run_detect, options=AnomalySettings, estimator=AnomalyDetector,
              uses_data=True,
              description="Detect anomalies in time series (LSTM, beside baselines)")

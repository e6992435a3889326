"""The ``classify`` task: ``lstmkit classify`` and ``lstmkit train`` with
``task = "classify"``.

Reads and splits the data (:mod:`~lstmkit.tasks.classification.dataset`) before any
training, fits a :class:`SequenceClassifier` once per seed (validation carved from the
training part), scores the test part once per seed at the end, fits the baselines on
the same split, and writes into the run directory:

* ``metrics.json``: ``{"model": {accuracy, accuracy_sd, ..., per_seed}, "1nn_dtw":
  {...}, ..., "split": {...}}`` (``*_sd``: standard deviation over the seeds);
* ``predictions.csv``: per test sequence, its id, label, prediction and class
  probabilities (the first seed's model);
* ``confusion_matrix.png`` and ``model/`` (the first seed's model).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...data.export import spreadsheet_safe
from ...data.text import read_lines
from ...errors import DatasetError
from ...io import atomic_write
from ...settings import Count, Flag, Fraction, NonNegativeInt
from ..registry import TaskResult, TaskRun, register_task
from .baselines import baseline_scores
from .dataset import ClassifyData, load_classify_data, sequences_of
from .estimator import SequenceClassifier
from .plots import plot_confusion
from .settings import ClassifierSettings

SCORES = ("accuracy", "balanced_accuracy", "macro_f1", "log_loss")


@dataclass(frozen=True)
class ClassifyTaskSettings(ClassifierSettings):
    """The ``[task]`` table of the classify task: the estimator's settings, and:

    Attributes:
        split_col: the column saying which rows are ``train`` and which ``test`` (used
            when present).
        test_fraction: without a split column: the share of sequences held out
            (stratified) for the test part.
        data_seed: seed of that split.
        seeds: models trained with seeds seed, seed+1, ...; scores are mean and sd.
        baselines: also score the baselines (1-NN Euclidean/DTW and MiniRocket for
            series, TF-IDF + logistic regression for text) on the same split.
        unlabelled: text input: a UTF-8 file of unlabelled texts, one per line, whose
            words join the vocabulary and whose word vectors start the token embedding
            (``SequenceClassifier.fit(..., unlabelled=...)``).
    """

    split_col: str = "split"
    test_fraction: Fraction = 0.25
    data_seed: NonNegativeInt = 0
    seeds: Count = 1
    baselines: Flag = True
    unlabelled: str | None = None


def run_classify(run: TaskRun) -> TaskResult:
    """Split, fit per seed, score the test part once per seed, baselines, write outputs."""
    s: ClassifyTaskSettings = run.options
    data = load_classify_data(run.data, s)
    extra = read_unlabelled(s, data.kind)
    models, scores = [], []
    for k in range(s.seeds):
        model = _estimator(run, k).fit(
            data.train, callbacks=run.callbacks if k == 0 else (),
            checkpoint_dir=run.checkpoint_dir if k == 0 else None,
            resume=run.resume and k == 0, run_config=run.run_config, **extra)
        scores.append(model.evaluate(data.test))  # the test part's one use per model
        models.append(model)
    metrics = {"model": summarise(scores)}
    if s.baselines:
        train, test = sequences_of(data.train, s), sequences_of(data.test, s)
        metrics.update(baseline_scores(train, train.labels, test, test.labels,
                                       seed=run.train.seed))
    metrics["split"] = {"train": len(sequences_of(data.train, s).items),
                        "test": scores[0]["n"], "val_fraction": s.val_fraction,
                        "seeds": s.seeds}
    write_outputs(models[0], data, metrics, run.run_dir)
    models[0].save(run.model_dir)
    flat = {f"{name}.{key}": value for name, part in metrics.items()
            for key, value in part.items() if isinstance(value, (int, float))}
    return TaskResult(flat, run.model_dir, models[0].history_)


def read_unlabelled(settings: ClassifyTaskSettings, kind: str) -> dict[str, list[str]]:
    """``{"unlabelled": texts}`` read from the ``unlabelled`` file (a text per line), or
    ``{}`` without one.

    Raises:
        DatasetError: the file cannot be read, or the data are series, not text.
    """
    if settings.unlabelled is None:
        return {}
    if kind != "text":
        raise DatasetError(f"unlabelled: {settings.unlabelled} gives unlabelled text, but "
                           "the data are series; it needs a text column")
    return {"unlabelled": read_lines(settings.unlabelled)}


def _estimator(run: TaskRun, k: int) -> SequenceClassifier:
    names = [f.name for f in dataclasses.fields(ClassifierSettings)]
    train = dataclasses.replace(run.train, seed=run.train.seed + k)
    return SequenceClassifier(**{n: getattr(run.options, n) for n in names}, train=train,
                              progress=run.progress)


def summarise(scores: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and standard deviation (ddof 1; 0 for one seed) of each score over seeds."""
    out: dict[str, Any] = {}
    for key in SCORES:
        values = np.array([s[key] for s in scores if key in s], dtype=float)
        if len(values):
            out[key] = float(values.mean())
            out[f"{key}_sd"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    out["per_seed"] = [{k: s[k] for k in SCORES if k in s} for s in scores]
    out["confusion_matrix"] = scores[0]["confusion_matrix"]
    return out


def write_outputs(model: SequenceClassifier, data: ClassifyData, metrics: dict,
                  out) -> None:
    """predictions.csv, metrics.json and confusion_matrix.png into ``out``."""
    test = sequences_of(data.test, model.settings)
    proba = model.predict_proba(data.test)
    table = pd.DataFrame({"id": test.ids, "label": test.labels,
                          "predicted": model.classes_[proba.argmax(1)]})
    for c, name in enumerate(model.classes_):
        table[f"p_{name}"] = proba[:, c]
    atomic_write(out / "predictions.csv",
                 spreadsheet_safe(table).to_csv(index=False).encode("utf-8"))
    atomic_write(out / "metrics.json", json.dumps(metrics, indent=2).encode())
    plot_confusion(metrics["model"]["confusion_matrix"], [str(c) for c in model.classes_],
                   out / "confusion_matrix.png", title=f"{data.name}: test part")


register_task("classify", run_classify, options=ClassifyTaskSettings,
              estimator=SequenceClassifier, uses_data=True,
              description="Classify sequences (series or text) with baselines")

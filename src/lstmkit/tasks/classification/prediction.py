"""Predictions of a saved classifier for a data file (``lstmkit classify predict``)."""

from __future__ import annotations

import pandas as pd

from ...data.registry import DatasetRef
from .dataset import read_table, sequences_of
from .estimator import SequenceClassifier


def prediction_table(model: SequenceClassifier, ref: DatasetRef) -> pd.DataFrame:
    """``id, [label,] predicted, p_<class>...`` for every sequence of the file ``ref``.

    A ``split`` column of ``train``/``test`` values (the bundled layout) is ignored; the
    label column, when present, is copied beside the prediction.
    """
    frame = read_table(ref)
    if "split" in frame.columns and set(frame["split"].astype(str)) <= {"train", "test"}:
        frame = frame.drop(columns="split")
    data = sequences_of(frame, model.settings)
    proba = model.predict_proba(frame)
    table = pd.DataFrame({"id": data.ids})
    if data.labels is not None:
        table["label"] = data.labels
    table["predicted"] = model.classes_[proba.argmax(1)]
    for c, name in enumerate(model.classes_):
        table[f"p_{name}"] = proba[:, c]
    return table

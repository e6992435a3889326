"""The strong simple baselines printed beside every classification score, fitted on the
same training part and scored once on the same test part.

Series: 1-NN with Euclidean distance and 1-NN with (full-window) DTW, and MiniRocket with
a ridge classifier (Dempster et al. 2021), all from aeon (the optional ``classify``
extra; without aeon they are reported as unavailable, never silently dropped). Text:
TF-IDF (word 1-2-grams, sublinear tf) and logistic regression from scikit-learn.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .inputs import Sequences, pad

SERIES_BASELINES = ("1nn_euclidean", "1nn_dtw", "minirocket")
TEXT_BASELINES = ("tfidf_logreg",)


def baseline_scores(train: Sequences, y_train: np.ndarray, test: Sequences,
                    y_test: np.ndarray, *, seed: int = 0) -> dict[str, dict[str, Any]]:
    """``{name: {"accuracy": ...}}`` of each baseline, or ``{"note": why not}``."""
    names = TEXT_BASELINES if train.kind == "text" else SERIES_BASELINES
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        with warnings.catch_warnings():  # numba's cast notes from aeon's distances
            warnings.simplefilter("ignore")
            try:
                predict = _BUILDERS[name](train, y_train, seed)
            except _Unavailable as exc:
                out[name] = {"note": str(exc)}
                continue
            out[name] = {"accuracy": float(np.mean(predict(test) == y_test))}
    return out


class _Unavailable(Exception):
    """A baseline that cannot run here (a missing package, unequal lengths)."""


def _panel(data: Sequences) -> np.ndarray:
    """Equal-length series as aeon's (N, I, T) panel."""
    lengths = {len(v) for v in data.items}
    if len(lengths) != 1:
        raise _Unavailable("needs series of equal length")
    x, _ = pad(data.items)
    return x.transpose(0, 2, 1).astype(np.float64)  # (N, T, I) -> (N, I, T)


def _aeon() -> Any:
    try:
        import aeon.classification as classification
    except ImportError:
        raise _Unavailable("aeon is not installed (pip install 'lstmkit[classify]')") from None
    return classification


def _nearest(distance: str) -> Callable:
    def build(train: Sequences, y: np.ndarray, seed: int) -> Callable:
        _aeon()
        from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier

        model = KNeighborsTimeSeriesClassifier(distance=distance, n_neighbors=1)
        model.fit(_panel(train), y)
        return lambda test: model.predict(_panel(test))

    return build


def _minirocket(train: Sequences, y: np.ndarray, seed: int) -> Callable:
    _aeon()
    from aeon.classification.convolution_based import MiniRocketClassifier

    panel = _panel(train)
    if panel.shape[2] < 9:
        raise _Unavailable("MiniRocket needs series of at least 9 steps")
    model = MiniRocketClassifier(random_state=seed).fit(panel, y)
    return lambda test: model.predict(_panel(test))


def _tfidf(train: Sequences, y: np.ndarray, seed: int) -> Callable:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                          LogisticRegression(max_iter=1000))
    model.fit(train.items, y)
    return lambda test: model.predict(test.items)


_BUILDERS = {"1nn_euclidean": _nearest("euclidean"), "1nn_dtw": _nearest("dtw"),
             "minirocket": _minirocket, "tfidf_logreg": _tfidf}

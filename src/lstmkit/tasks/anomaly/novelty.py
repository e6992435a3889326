"""State novelty: how far the prediction detector's LSTM state is from the states it was
in on normal training data — a score term for sustained anomalies.

A one-step predictor is surprised at the onset of a level shift or an out-of-range
stretch, then often predicts the new level (or its slow decay) well, so its error falls
back while the anomaly lasts. The LSTM's state, though, stays in a region the training
data never took it to for as long as the input is unusual. The novelty of a step is the
distance of the encoder's output after reading it (the state its next prediction is
made from; :func:`~.errors_per_step.prediction_outputs`) to the nearest of
:data:`CENTERS` k-means centres of the states of the training part (scikit-learn's
KMeans: a nearest-centre distance costs C x H per step, cheap enough for the batch
throughput and for streaming, where a nearest-neighbour search over every training
state would not be). It is smoothed with the errors' EWMA and standardised per series
with the validation part's statistics, exactly as the errors are
(:class:`~.scoring.ErrorStats` on one "channel").

``scoring`` combines the two standardised scores of a step: ``"error"`` (the error
alone, the detector of Hundman et al. 2018), ``"state"`` (the novelty alone), ``"max"``
(the larger) or ``"mean"`` (their mean).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.cluster import KMeans

CENTERS = 32
MAX_STATES = 20_000  # training states the centres are fitted on (a seeded subsample)
SCORINGS = ("error", "state", "max", "mean")
SMALL = 16  # states at most: distances without a matrix product


@dataclass
class StateNovelty:
    """The k-means centres of the training states.

    Attributes:
        centers: (K, H).
    """

    centers: np.ndarray

    def __post_init__(self) -> None:
        self._norms = (self.centers ** 2).sum(axis=1)  # (K,), once: streaming calls often

    @classmethod
    def fit(cls, states: np.ndarray, seed: int = 0) -> StateNovelty:
        """Centres of ``states`` (N, H) (a seeded subsample of :data:`MAX_STATES`)."""
        rng = np.random.default_rng(seed)
        if len(states) > MAX_STATES:
            states = states[rng.choice(len(states), MAX_STATES, replace=False)]
        k = min(CENTERS, len(np.unique(states, axis=0)))
        kmeans = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(states)
        return cls(kmeans.cluster_centers_.astype(np.float64))

    def distances(self, states: np.ndarray) -> np.ndarray:
        """(T, H) -> (T, 1): the distance of each state to its nearest centre.

        Many states: the nearest centre from the expanded square ``|c|^2 - 2 s.c`` in
        one matrix product, then the distance to it measured exactly (no cancellation
        error near a centre). A few states (streaming): the differences directly, with
        no BLAS call (a threaded BLAS call costs more than the arithmetic on a busy
        machine). Both give the same distance (to float rounding).
        """
        if len(states) <= SMALL:
            gaps = states[:, None, :] - self.centers[None]  # (T, K, H)
            return np.sqrt((gaps * gaps).sum(axis=2).min(axis=1, keepdims=True))
        nearest = self._norms - 2 * states @ self.centers.T  # (T, K)
        gap = states - self.centers[nearest.argmin(axis=1)]
        return np.sqrt((gap * gap).sum(axis=1, keepdims=True))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able state."""
        return {"centers": self.centers.tolist()}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> StateNovelty:
        """The centres saved by :meth:`to_dict`; ValueError when they are not finite."""
        centers = np.asarray(state["centers"], dtype=np.float64)
        if centers.ndim != 2 or not len(centers) or not np.isfinite(centers).all():
            raise ValueError("novelty centers must be a non-empty finite (K, H) array")
        return cls(centers)


def uses_state(scoring: str) -> bool:
    """Whether ``scoring`` needs the state novelty."""
    return scoring != "error"


def combine(error: np.ndarray, state: np.ndarray | None, scoring: str) -> np.ndarray:
    """A step's score (T,) from its standardised error score (T,) and state novelty
    score (T,) (None with ``scoring="error"``)."""
    if state is None or scoring == "error":
        return error
    if scoring == "state":
        return state
    if scoring == "max":
        return np.maximum(error, state)
    return (error + state) / 2.0

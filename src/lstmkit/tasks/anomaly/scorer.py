"""A fitted detector's step scores from scaled values: the smoothed errors (and, when
its ``scoring`` uses it, the smoothed state novelty of :mod:`.novelty`), standardised
by the validation statistics and combined; and fitting those statistics.

Batch scoring (:mod:`.detection`), the statistics of ``fit`` and the streaming scorer
(:mod:`.stream_scoring`) all go through :func:`combined_scores`, so the three agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors_per_step import step_outputs
from .novelty import StateNovelty, combine, uses_state
from .scoring import ErrorStats, ewma, step_scores

Terms = tuple[np.ndarray, "np.ndarray | None"]


def smoothed_terms(model: Any, scaled: np.ndarray) -> Terms:
    """(smoothed errors (T, C), smoothed novelty (T, 1) or None) of a scaled series."""
    s = model.settings
    errors, states = step_outputs(model.network_, scaled, s.window, s.detector,
                                  states=model.novelty_ is not None)
    novelty = None if states is None else ewma(model.novelty_.distances(states),
                                               s.smoothing)
    return ewma(errors, s.smoothing), novelty


def combined_scores(model: Any, name: str, terms: Terms, calibration: Terms | None = None,
                    scoring: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(scores (T,), channel error scores (T, C)) of series ``name`` from its smoothed
    ``terms``; ``calibration``: the terms of its training part, which standardise a
    series unknown to the model (as the scaler does); ``scoring``: the model's
    ``score_terms`` (given by the stream, which calls this for every new row)."""
    errors, novelty = terms
    calibration = calibration or (None, None)
    channel = model.stats_.channel_scores(name, errors, calibration[0])
    state = None
    if novelty is not None:
        state = model.novelty_stats_.channel_scores(name, novelty, calibration[1])[:, 0]
    scoring = scoring or model.settings.score_terms
    return combine(step_scores(channel), state, scoring), channel


def fit_scoring(model: Any, ids: list[str], scaled: list[np.ndarray],
                cuts: list[tuple[int, int]]) -> None:
    """Set ``model.novelty_`` (the state centres, from the rows the network learned
    from), ``stats_`` and ``novelty_stats_`` (from the validation rows) and the
    quantile threshold ``threshold_`` (of the validation scores)."""
    s = model.settings
    model.novelty_ = model.novelty_stats_ = None
    if uses_state(s.score_terms):
        states = [step_outputs(model.network_, v[:f], s.window, s.detector, states=True)[1]
                  for v, (f, _) in zip(scaled, cuts, strict=True)]
        model.novelty_ = StateNovelty.fit(np.concatenate(states))
    terms = [_validation(smoothed_terms(model, v[:n]), f, n)
             for v, (f, n) in zip(scaled, cuts, strict=True)]
    model.stats_ = ErrorStats.fit(ids, [e for e, _ in terms])
    if model.novelty_ is not None:
        model.novelty_stats_ = ErrorStats.fit(ids, [z for _, z in terms])
    val_scores = np.concatenate([combined_scores(model, i, t)[0]
                                 for i, t in zip(ids, terms, strict=True)])
    model.threshold_ = {"dynamic": None, "fixed": s.fixed_threshold,
                        "quantile": float(np.quantile(val_scores, 1 - s.contamination))
                        }[s.threshold]


def _validation(terms: Terms, first: int, end: int) -> Terms:
    """The validation rows ``first:end`` of ``terms`` (all rows when fewer than 2)."""
    cut = slice(first, end) if end - first >= 2 else slice(0, end)
    return terms[0][cut], None if terms[1] is None else terms[1][cut]

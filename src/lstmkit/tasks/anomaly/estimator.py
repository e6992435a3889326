"""``AnomalyDetector``: LSTM anomaly detection in time series, in the scikit-learn style.

``fit`` learns from the start of each series (``train_part``, assumed mostly normal):
the per-series scaler and the network from its first part, the error statistics that
normalise the scores (and the quantile threshold) from its last ``val_fraction``.
``score`` gives a score per step, ``predict`` adds the flags, ``events`` the flagged
stretches, ``evaluate`` scores the test part beside a random detector and baselines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from ...data.scaling import SeriesScaler
from ...errors import DatasetError
from ...models.anomaly_nets import NextStepNet, WindowAutoencoder
from ...threads import torch_threads
from ...training import TensorBatches, TrainConfig, supervised_step
from ..base import ContractExample, Estimator, FitContext
from . import detection
from .errors_per_step import training_windows
from .novelty import StateNovelty
from .scorer import fit_scoring
from .scoring import ErrorStats
from .series import (
    AnomalyData,
    check_label_sanity,
    check_lengths,
    check_not_constant,
    fit_cuts,
    read_anomaly_data,
)
from .settings import AnomalyFitted, AnomalySettings


class AnomalyDetector(Estimator):
    """Find anomalies in one or many series, uni- or multivariate, with an LSTM.

    ``fit(data)`` takes a path, a dataset name, a DataFrame, a Series or an array (no
    ``y``: labels, if any, are the ``label_col`` column and are only read by
    ``evaluate``). Two detectors share one scorer and threshold pipeline:
    ``detector="prediction"`` (Hundman et al. 2018, LSTM-DT: one-step-ahead prediction
    errors, EWMA-smoothed) and ``detector="reconstruction"`` (Malhotra et al. 2016,
    EncDec-AD: window reconstruction errors). Scores are the errors in standard
    deviations of the validation errors of their series and channel, so they compare
    across series; the prediction detector combines them with the standardised
    novelty of its LSTM state (``scoring``, default the larger of the two; novelty.py).

    Args:
        columns, label_col, ..., batch_size: the fields of :class:`AnomalySettings`.
        train: the training settings (default :meth:`default_train_config`).
        progress: show a progress bar while training.

    Attributes:
        network_: the trained network. scaler_: per-series scalers (training part).
        stats_: the validation error statistics. novelty_, novelty_stats_: the
            training states' centres and the validation novelty statistics (None
            with ``scoring="error"``). threshold_: the quantile or fixed
            threshold (None for the dynamic one). channels_: the value columns.
        data_: the series given to fit. history_: the trainer's per-epoch metrics.

    Example:
        >>> from lstmkit.tasks.anomaly.datasets import synthetic_anomalies
        >>> frame = synthetic_anomalies(1, 600)
        >>> model = AnomalyDetector(label_col="label", id_col="series", window=16,
        ...                         hidden_size=8, train=TrainConfig(epochs=1)).fit(frame)
        >>> len(model.score(frame)) == len(frame)
        True
    """

    task = "detect"
    settings_class = AnomalySettings
    fitted_class = AnomalyFitted

    @classmethod
    def default_train_config(cls) -> TrainConfig:
        """AdamW at 3e-3 for up to 40 epochs, early stopping after 8 without progress."""
        return TrainConfig(epochs=40, lr=3e-3, weight_decay=1e-4, early_stopping=8,
                           grad_clip=1.0)

    # -- fit -------------------------------------------------------------------------------
    def read(self, data: Any, *, labels_optional: bool = False) -> AnomalyData:
        """Read and check ``data`` with this detector's column roles (and, after fit, the
        value columns it was trained on); with ``labels_optional``, data without the
        label column is read without labels."""
        data = read_anomaly_data(data, self.settings, labels_optional=labels_optional)
        if "channels_" in vars(self) and data.channels != self.channels_:
            raise DatasetError(f"{data.where}: expected the value columns "
                               f"{', '.join(self.channels_)} the detector was trained on, "
                               f"got {', '.join(data.channels)}")
        return data

    def check(self, data: Any) -> AnomalyData:
        """Read and check ``data`` as ``fit`` would, without training."""
        s = self.settings
        data = read_anomaly_data(data, s)
        check_lengths(data, data.train_part, s.window, s.val_fraction)
        check_not_constant(data, data.train_part)
        return data

    def _fit(self, X: Any, y: Any, context: FitContext) -> None:
        s = context.settings
        data = self.check(X)
        check_label_sanity(data, data.train_part, s.max_density)
        self.data_, self.channels_ = data, list(data.channels)
        self.streams_, self.history_data_ = {}, None  # update() restarts after fit
        cuts = [fit_cuts(len(v), data.train_part, s.val_fraction) for v in data.values]
        self.scaler_ = SeriesScaler().fit(data.ids, [v[:n] for v, (_, n) in
                                                      zip(data.values, cuts, strict=True)])
        scaled = [self.scaler_.transform(n, v) for n, v in zip(data.ids, data.values,
                                                                 strict=True)]
        self.network_ = self._build(len(self.channels_))
        self.history_ = self._train_network(scaled, cuts, context)
        self.network_.eval()
        self._fit_statistics(data.ids, scaled, cuts)

    def _train_network(self, scaled: list[np.ndarray], cuts: list[tuple[int, int]],
                       context: FitContext) -> list[dict]:
        s = context.settings
        span = s.window + 1 if s.detector == "prediction" else s.window
        stride = max(s.window // 4, 1)
        fit = np.concatenate([training_windows(v[:f], span, stride) for v, (f, _) in
                              zip(scaled, cuts, strict=True)])
        val = [v[max(f - span // 2, 0):n] for v, (f, n) in zip(scaled, cuts, strict=True)]
        val = [training_windows(v, span, stride) for v in val if len(v) >= span]
        batches = [self._pairs(w) for w in (fit, np.concatenate(val) if val else None)]
        train = TensorBatches(*batches[0], batch_size=s.batch_size)
        held = TensorBatches(*batches[1], batch_size=512, shuffle=False) if val else None
        return self._train(self.network_, supervised_step(F.mse_loss), train, held,
                           context).history_

    def _pairs(self, windows: np.ndarray | None) -> tuple[torch.Tensor, torch.Tensor] | None:
        if windows is None:
            return None
        w = torch.as_tensor(windows, dtype=torch.float32)
        return (w[:, :-1], w[:, 1:]) if self.settings.detector == "prediction" else (w, w)

    def _fit_statistics(self, ids: list[str], scaled: list[np.ndarray],
                        cuts: list[tuple[int, int]]) -> None:
        """State centres, error statistics and the quantile threshold (scorer.py)."""
        fit_scoring(self, ids, scaled, cuts)

    def _build(self, channels: int) -> torch.nn.Module:
        s = self.settings
        if s.detector == "prediction":
            return NextStepNet(channels, s.hidden_size, num_layers=s.num_layers, cell=s.cell,
                               dropout=s.dropout, relative=s.relative)
        return WindowAutoencoder(channels, s.hidden_size, num_layers=s.num_layers,
                                 cell=s.cell, bidirectional=s.bidirectional,
                                 dropout=s.dropout)

    # -- use -------------------------------------------------------------------------------
    def _series(self, data: Any) -> AnomalyData:
        self._check_fitted()
        if data is None:
            if "data_" not in vars(self):
                raise DatasetError("AnomalyDetector: this detector was loaded from disk; "
                                   "pass the data to score")
            return self.data_
        return data if isinstance(data, AnomalyData) else self.read(
            data, labels_optional=True)

    def score(self, data: Any = None) -> pd.DataFrame:
        """Scores of every step of ``data`` (default: the data given to fit): one row per
        input row, in input order, with ``row, series, time, part, score, flag`` (flags
        of the test part only), ``score_<channel>`` and ``label`` if there are labels."""
        series = self._series(data)
        return detection.scores_frame(series, detection.detect(self, series,
                                                                 test_only=True))

    def predict(self, data: Any = None) -> pd.DataFrame:
        """Like :meth:`score`, but every step of ``data`` is flagged, not only the test
        part: the data is taken as new data to watch."""
        series = self._series(data)
        return detection.scores_frame(series, detection.detect(self, series,
                                                                 test_only=False))

    def events(self, data: Any = None, *, test_only: bool = False) -> pd.DataFrame:
        """The flagged events of ``data`` after event post-processing (``merge_gap``,
        ``min_event_length``): series, start, end, length, runs merged, peak, channels
        involved."""
        series = self._series(data)
        results = detection.detect(self, series, test_only=test_only)
        return detection.events_frame(detection.events(self, series, results), series,
                                      detection.merged_counts(results))

    def evaluate(self, data: Any = None) -> dict[str, Any]:
        """Metrics on the test part of ``data`` (default: the data given to fit), beside
        the random detector and the baselines (see :mod:`.evaluation`)."""
        from .evaluation import evaluate_detector

        return evaluate_detector(self, self._series(data))

    # -- streaming -------------------------------------------------------------------------
    def update(self, new_rows: Any) -> pd.DataFrame:
        """Score rows that arrive after the data seen so far, carrying each series'
        state (no history is read again): ``series, step, score, flag,
        score_<channel>...``, one row per step that became final.

        With the prediction detector every new row is scored at once, with the scores
        of a batch run on the concatenated series (to float rounding). With the
        reconstruction detector a step is scored once every window holding it is
        complete (fewer than ``window`` steps later), again with the batch
        run's score. A series continues the data given to fit (or to
        :meth:`reset_stream`); a new series starts from its first row. See
        :mod:`.stream_scoring` for the flags of the dynamic threshold.

        Args:
            new_rows: a DataFrame with the value columns (and the id column), or for a
                single-channel detector an array of values.
        """
        from .stream_scoring import SeriesStream, read_rows

        self._check_fitted()
        streams = vars(self).setdefault("streams_", {})
        frames = []
        for name, values in read_rows(self, new_rows):
            if name not in streams:
                streams[name] = SeriesStream(self, name, self._history(name))
            with torch_threads(1):  # steps of a few rows: more threads only wait
                first, scores, channel = streams[name].push(values)
            columns = {"series": np.full(len(scores), name, dtype=object),
                       "step": np.arange(first, first + len(scores)), "score": scores,
                       "flag": streams[name].flags(scores).astype(np.int64)}
            columns.update({f"score_{c}": channel[:, k] for k, c in enumerate(self.channels_)})
            frames.append(pd.DataFrame(columns, copy=False))
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)

    def reset_stream(self, history: Any = None) -> AnomalyDetector:
        """Make :meth:`update` continue after ``history`` (data as for :meth:`score`;
        default: the data given to fit, if any); returns the detector."""
        self._check_fitted()
        self.history_data_ = None if history is None else self._series(history)
        self.streams_ = {}
        return self

    def _history(self, name: str) -> np.ndarray | None:
        """The values of series ``name`` that a new stream continues, or None."""
        data = vars(self).get("history_data_") or vars(self).get("data_")
        if data is None or name not in data.ids:
            return None
        return data.values[data.ids.index(name)]

    # -- persistence -----------------------------------------------------------------------
    @classmethod
    def _upgrade_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """A detector saved before ``scoring`` existed scored its errors only."""
        settings = config.get("settings")
        if isinstance(settings, dict) and "scoring" not in settings:
            config = {**config, "settings": {**settings, "scoring": "error"}}
        return config

    def _fitted_config(self) -> AnomalyFitted:
        return AnomalyFitted(tuple(self.channels_), self.threshold_)

    def _transforms(self) -> dict[str, dict[str, Any]]:
        out = {"scaler": self.scaler_.to_dict(), "error_stats": self.stats_.to_dict()}
        if self.novelty_ is not None:
            out["novelty"] = {**self.novelty_.to_dict(),
                              "stats": self.novelty_stats_.to_dict()}
        return out

    def _restore(self, fitted: AnomalyFitted, transforms: dict[str, dict[str, Any]],
                 where: Path) -> None:
        channels = list(fitted.channels)
        self.channels_, self.threshold_ = channels, fitted.threshold
        self.scaler_ = SeriesScaler.from_dict(transforms["scaler"], columns=len(channels),
                                              where="scaler")
        self.stats_ = ErrorStats.from_dict(transforms["error_stats"], len(channels))
        self.novelty_ = self.novelty_stats_ = None
        if self.settings.score_terms != "error":
            self.novelty_ = StateNovelty.from_dict(transforms["novelty"])
            self.novelty_stats_ = ErrorStats.from_dict(transforms["novelty"]["stats"], 1)
        self.network_ = self._build(len(channels))

    @classmethod
    def contract_example(cls) -> ContractExample:
        """A tiny detector of one short synthetic series (4 units, 1 epoch)."""
        from .datasets import synthetic_anomalies

        frame = synthetic_anomalies(1, 400)[["value"]]
        model = cls(window=8, hidden_size=4, train=TrainConfig(epochs=1))
        return ContractExample(model, frame, output=lambda est: est.score(frame)["score"])

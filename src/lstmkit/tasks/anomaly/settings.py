"""``AnomalySettings``: the data roles, detector, threshold and network of an
:class:`~lstmkit.tasks.anomaly.AnomalyDetector`; its constructor arguments, the
``[task]`` table of the ``detect`` task and the ``settings`` of a saved detector."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from ...errors import ConfigError
from ...limits import MAX_BATCH, MAX_FEATURES, MAX_HIDDEN_SIZE, MAX_LOOKBACK, MAX_NUM_LAYERS
from ...settings import CellName, DropProbability, Flag, Fraction, Settings, count

#: A share of the points: 0 < share < 0.5.
Share = Annotated[float, Field(gt=0, lt=0.5, allow_inf_nan=False)]
#: The prediction detector's scoring when ``scoring`` is None (label-free tuning).
DEFAULT_SCORING = "max"
#: A finite float.
Real = Annotated[float, Field(allow_inf_nan=False)]


@dataclass(frozen=True)
class AnomalySettings(Settings):
    """Data roles, detector, threshold and network of an :class:`AnomalyDetector`.

    Attributes:
        columns: the value columns (channels); default: every numeric column but the
            label, id and time columns.
        label_col: the 0/1 column marking anomalies (used by evaluate, never by fit).
        time_col: the time stamp column (default: guessed; none = positions 0, 1, ...).
        id_col: the column naming each series, for many series in one table.
        freq: the frequency, if not inferred (``"MS"``, ``"h"``, ...).
        fill: None (missing time stamps and NaNs are errors), ``"ffill"`` or ``"linear"``.
        train_part: the start of each series the detector learns from, assumed normal:
            a share of the rows when below 1, a number of rows from 1 on (default: the
            dataset's own split for a named dataset, else 0.3). The rest is the test
            part that evaluate scores.
        val_fraction: share of the training part, at its end, held out for early
            stopping and for the error statistics that normalise the scores.
        detector: ``"prediction"`` (forecast the next step, EWMA-smoothed error; LSTM-DT)
            or ``"reconstruction"`` (encoder-decoder reconstructs windows; EncDec-AD).
        window: steps per training window (and the context of every scored step).
        smoothing: span of the EWMA that smooths the errors (1: none).
        scoring: how a step's score is made (prediction detector): ``"error"`` (the
            standardised prediction error alone), ``"state"`` (the standardised distance
            of the LSTM's state to the training states alone), ``"max"`` or ``"mean"``
            of the two (see novelty.py). Default (None): the detector's own default,
            chosen by the label-free tuning for the prediction detector; ``"error"``
            for the reconstruction detector, the only one it supports.
        relative: prediction detector: the network reads and predicts every window
            relative to the window's first step, so a series that drifts or trends
            beyond its training range is not an error by its level alone (its changes
            are); the default (off) reads the scaled values themselves.
        threshold: ``"quantile"`` (the 1 - contamination quantile of the validation
            scores), ``"dynamic"`` (Hundman et al.'s non-parametric threshold with
            pruning) or ``"fixed"`` (fixed_threshold). The defaults (quantile at
            contamination 0.002, smoothing 16, window 32, prediction, merge_gap 50,
            min_event_length 5, scoring max) were chosen without test labels, by
            ``benchmarks/anomaly_tuning.py`` (anomalies injected into training parts;
            window 32 since session 10's protocol 2, 64 before).
        contamination: expected share of anomalous points, for the quantile threshold.
        fixed_threshold: the score above which a step is anomalous, for the fixed
            threshold (scores are standard deviations of the validation errors).
        merge_gap: event post-processing (see postprocess.py): flagged runs at most
            this many unflagged steps apart become one event, the steps between flagged
            too (0: no merging).
        min_event_length: events (after merging) shorter than this many steps are
            dropped (1: every event is kept).
        prune: the minimum relative drop between successive peak scores that keeps an
            event, in the dynamic threshold's pruning (Hundman et al.'s p).
        max_density: a label density (share of anomalous points) above which the labels
            are called suspicious with a warning.
        season: the seasonal period of the seasonal-naive baseline (default: none, the
            naive residual).
        cell: the recurrent cell: ``lstm``, ``peephole``, ``multiplicative``,
            ``layernorm``, ``gru`` or ``rnn``.
        hidden_size, num_layers, dropout: the encoder, as ``torch.nn.LSTM``.
        bidirectional: a bidirectional encoder (reconstruction detector only; the
            prediction detector is causal).
        batch_size: windows per training step.
    """

    label: ClassVar[str] = "AnomalyDetector:"

    columns: tuple[str, ...] = ()
    label_col: str | None = None
    time_col: str | None = None
    id_col: str | None = None
    freq: str | None = None
    fill: Literal["ffill", "linear"] | None = None
    train_part: Annotated[float, Field(gt=0, le=MAX_LOOKBACK, allow_inf_nan=False)] | None = None
    val_fraction: Fraction = 0.25
    detector: Literal["prediction", "reconstruction"] = "prediction"
    window: count(100_000, 4) = 32
    smoothing: count(100_000) = 16
    scoring: Literal["error", "state", "max", "mean"] | None = None
    relative: Flag = False
    threshold: Literal["dynamic", "quantile", "fixed"] = "quantile"
    contamination: Share = 0.002
    fixed_threshold: Real = 4.0
    merge_gap: count(MAX_LOOKBACK, 0) = 50
    min_event_length: count(MAX_LOOKBACK) = 5
    prune: DropProbability = 0.13
    max_density: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.2
    season: count(MAX_LOOKBACK) | None = None
    cell: CellName = "lstm"
    hidden_size: count(MAX_HIDDEN_SIZE) = 32
    num_layers: count(MAX_NUM_LAYERS) = 1
    dropout: DropProbability = 0.0
    bidirectional: Flag = False
    batch_size: count(MAX_BATCH) = 64

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.detector == "reconstruction" and self.relative:
            raise ConfigError("AnomalySettings: relative=True needs detector='prediction' "
                              "(the reconstruction detector reads whole windows as they are)")
        if self.detector == "reconstruction" and self.scoring not in (None, "error"):
            raise ConfigError(  # build_settings puts the owner in front
                f"scoring={self.scoring!r} needs detector='prediction' (the state "
                "novelty is the next-step predictor's); the reconstruction detector "
                "scores its errors only (scoring='error')")

    @property
    def score_terms(self) -> str:
        """The scoring in effect: ``scoring``, or the detector's default for None."""
        if self.scoring is not None:
            return self.scoring
        return DEFAULT_SCORING if self.detector == "prediction" else "error"


@dataclass(frozen=True)
class AnomalyFitted(Settings):
    """What ``AnomalyDetector.fit`` learns besides the weights, scaler and error statistics.

    Attributes:
        channels: the columns scored, in order.
        threshold: the score threshold fitted on the training part (None for the
            dynamic threshold, which is set per series when scoring).
    """

    channels: Annotated[tuple[str, ...], Field(min_length=1, max_length=MAX_FEATURES)]
    threshold: float | None

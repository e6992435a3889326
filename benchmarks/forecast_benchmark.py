"""lstmkit's forecaster against the statistical gold standard, M4-style.

    python benchmarks/forecast_benchmark.py [--quick] [--series us_employment,airline]
        [--seeds 3] [--first-seed 0] [--validation] [--option model=lstm ...] [--json out.json]
    python benchmarks/forecast_benchmark.py --from-json part1.json part2.json ...

The collection (``benchmarks/data/PROVENANCE.md``): fpp3's us_employment (148 monthly
series), aus_arrivals, aus_accommodation (takings), canadian_gas, souvenirs; R's
UKDriverDeaths, USAccDeaths, JohnsonJohnson; lstmkit's bundled airline and electricity.
M4 conventions: horizon 18 monthly, 8 quarterly, 48 hourly; the last horizon of every
series is held out (the test part) and forecast once from its origin.

* lstmkit: ``lstmkit.Forecaster`` with default settings (``--option key=value`` to try
  others), one model per file (all its series at once), fitted on everything before the
  test part (its own validation part for early stopping is inside that), ``--seeds``
  seeds, reported as mean ± sd over seeds.
* Baselines, fitted per series on the same history: statsforecast's AutoETS, AutoARIMA,
  AutoTheta and seasonal naive, and M4's Naive2 (cached in ``--cache``, they are
  deterministic).
* Scores: MASE (in-sample seasonal-naive scale), sMAPE, OWA against Naive2 (M4: the
  mean of sMAPE and MASE, each relative to Naive2's, over the collection), coverage of
  the 80% interval, MSIS (95%), seconds per series; mean and median over series;
  wins/losses of lstmkit per series (MASE, mean over seeds) against each baseline.

``--validation`` drops the test part first and holds out the horizon before it instead:
every design choice is made on that, the test table is read once.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from lstmkit.errors import LstmkitError
from lstmkit.tasks.forecasting.metrics import mase_scale

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forecast_collection import (
    FILES,
    SeriesFile,
    collection,
    scores,
    statistical_forecasts,
)
from overrides import setting

BASELINES = ("AutoETS", "AutoARIMA", "AutoTheta", "seasonal_naive", "Naive2")
MODEL = "lstmkit"


def baseline_rows(f: SeriesFile, cache: Path, tag: str) -> list[dict]:
    """Scores of every baseline on every series of ``f`` (computed once, then cached)."""
    path = cache / f"{tag}-{f.name}.json"
    done = json.loads(path.read_text()) if path.exists() else {}
    rows, h = [], f.horizon
    for name, y in f.series().items():
        if name not in done:
            forecasts = statistical_forecasts(y[:-h], h, f.season)
            scale = mase_scale(y[:-h], f.season)
            done[name] = {m: {**scores(y[-h:], r["mean"], scale, r["intervals"]),
                              "seconds": r["seconds"]} for m, r in forecasts.items()}
        rows += [{"file": f.name, "series": name, "method": m, "seed": 0, **s}
                 for m, s in done[name].items()]
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(done))
    return rows


def model_rows(f: SeriesFile, seed: int, options: dict) -> list[dict]:
    """Scores of one lstmkit model (``seed``) fitted on all series of ``f`` at once."""
    from lstmkit import Forecaster
    from lstmkit.training import TrainConfig

    h = f.horizon
    train = TrainConfig(**{**Forecaster.default_train_config().__dict__, "seed": seed})
    start = time.perf_counter()
    model = Forecaster(target="value", time_col="time", id_col="series", freq=f.freq,
                       season=f.season, test_size=h, level=(0.8, 0.95), train=train,
                       progress=False, **{"horizon": h, **options}).fit(f.frame)
    forecast = model.predict(f.without_last(h).frame, steps=h)
    seconds = (time.perf_counter() - start) / f.frame["series"].nunique()
    rows = []
    for name, y in f.series().items():
        part = forecast[forecast["series"] == name]
        intervals = {lv: (part[f"lower_{lv}"].to_numpy(), part[f"upper_{lv}"].to_numpy())
                     for lv in (80, 95)}
        s = scores(y[-h:], part["forecast"].to_numpy(), mase_scale(y[:-h], f.season),
                   intervals)
        rows.append({"file": f.name, "series": name, "method": MODEL, "seed": seed,
                     **s, "seconds": seconds})
    return rows


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per method and seed: mean/median MASE and sMAPE, OWA, coverage, MSIS, seconds."""
    agg = rows.groupby(["method", "seed"]).agg(
        MASE=("MASE", "mean"), MASE_median=("MASE", "median"), sMAPE=("sMAPE", "mean"),
        sMAPE_median=("sMAPE", "median"), coverage_80=("coverage_80", "mean"),
        MSIS=("MSIS", "mean"), seconds=("seconds", "mean")).reset_index()
    naive2 = agg[agg["method"] == "Naive2"].iloc[0]
    agg["OWA"] = 0.5 * (agg["sMAPE"] / naive2["sMAPE"] + agg["MASE"] / naive2["MASE"])
    return agg


def spread(values: pd.Series, digits: int) -> str:
    """``mean ± sd`` over seeds (just the value for one seed)."""
    if len(values) == 1 or values.isna().all():
        return f"{values.iloc[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def wins(rows: pd.DataFrame, baseline: str) -> str:
    """``wins/losses`` of lstmkit's seed-mean MASE against ``baseline``, per series."""
    model = rows[rows["method"] == MODEL].groupby(["file", "series"])["MASE"].mean()
    other = rows[rows["method"] == baseline].set_index(["file", "series"])["MASE"]
    diff = (model - other.reindex(model.index)).dropna()
    return f"{int((diff < 0).sum())}/{int((diff > 0).sum())}"


def print_tables(rows: pd.DataFrame, console: Console, title: str) -> None:
    """The summary table (one row per method) and the per-file mean MASE."""
    agg = summary(rows)
    table = Table(title=title)
    columns = ("MASE", "MASE_median", "sMAPE", "sMAPE_median", "OWA", "coverage_80", "MSIS",
               "seconds")
    for c in ("method", *columns, "lstmkit wins/losses"):
        table.add_column(c, justify="left" if c == "method" else "right")
    for method in (MODEL, *BASELINES):
        part = agg[agg["method"] == method]
        if part.empty:
            continue
        table.add_row(method, *(spread(part[c], 3 if c != "seconds" else 2) for c in columns),
                      "" if method == MODEL or MODEL not in set(agg["method"])
                      else wins(rows, method))
    console.print(table)
    by_file = rows.groupby(["file", "method"])["MASE"].mean().unstack()
    console.print(by_file[[m for m in (MODEL, *BASELINES) if m in by_file]].round(3)
                  .to_string())


def mean_mase(rows: list[dict]) -> str:
    """Each method's mean MASE over the series scored so far (printed as a run goes)."""
    frame = pd.DataFrame(rows)
    means = frame[frame["series"].isin(frame[frame["method"] == MODEL]["series"])] \
        .groupby("method")["MASE"].mean()
    return ", ".join(f"{m} {v:.3f}" for m, v in means.items())


def restrict(frame: pd.DataFrame) -> pd.DataFrame:
    """Only the series lstmkit forecast (all of them when it did not run)."""
    if MODEL not in set(frame["method"]):
        return frame
    done = frame.loc[frame["method"] == MODEL, ["file", "series"]].drop_duplicates()
    return frame.merge(done, on=["file", "series"])


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", help=f"comma-separated files of {', '.join(FILES)}")
    parser.add_argument("--quick", action="store_true",
                        help="20 us_employment series (fixed sample) and every other file")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="run seeds first-seed, ..., first-seed + seeds - 1")
    parser.add_argument("--from-json", nargs="+", type=Path, metavar="JSON",
                        help="print the tables of earlier runs' --json files (pieces of "
                             "one run: other files or seeds) instead of running")
    parser.add_argument("--validation", action="store_true",
                        help="hold out the horizon before the test part instead")
    parser.add_argument("--option", action="append", default=[], type=setting,
                        help="a Forecaster setting key=value (repeatable)")
    parser.add_argument("--skip-model", action="store_true", help="baselines only")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/lstmkit-forecast-benchmark"))
    parser.add_argument("--json", type=Path, help="write every per-series score here")
    args = parser.parse_args(argv)
    console = Console(width=170)
    if args.from_json:
        frame = pd.concat([pd.read_json(p) for p in args.from_json]).drop_duplicates(
            ["file", "series", "method", "seed"])
        seeds = frame.loc[frame["method"] == MODEL, "seed"].nunique()
        print_tables(restrict(frame), console, f"{', '.join(map(str, args.from_json))}: "
                     f"{frame[['file', 'series']].drop_duplicates().shape[0]} series, "
                     f"{seeds} seed(s)")
        return
    files = collection(args.series.split(",") if args.series else None, quick=args.quick)
    tag = "validation" if args.validation else "test"
    if args.validation:
        files = [f.without_last(f.horizon) for f in files]
    rows = []
    for f in files:
        start = time.perf_counter()
        rows += baseline_rows(f, args.cache, tag)
        console.print(f"{f.name}: baselines {time.perf_counter() - start:.1f} s")
        for seed in range(args.first_seed, args.first_seed + (0 if args.skip_model
                                                              else args.seeds)):
            start = time.perf_counter()
            try:
                rows += model_rows(f, seed, dict(args.option))
            except LstmkitError as error:  # reported, and the file left out of the means
                console.print(f"{f.name}: lstmkit skipped: {error}")
                break
            console.print(f"{f.name}: lstmkit seed {seed} {time.perf_counter() - start:.1f} s; "
                          f"mean MASE so far: {mean_mase(rows)}")
    frame = restrict(pd.DataFrame(rows))
    n = frame[["file", "series"]].drop_duplicates().shape[0]
    options = " ".join(f"{k}={v}" for k, v in args.option) or "default settings"
    print_tables(frame, console, f"{tag} part: {n} series, {args.seeds} seed(s), lstmkit "
                 f"{options}; lower is better (coverage_80 near 0.80)")
    if args.json:
        frame.to_json(args.json, orient="records", indent=1)


if __name__ == "__main__":
    main()

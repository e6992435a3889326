"""Forecast quality and speed of lstmkit's default ``Forecaster`` on the bundled series.

    python benchmarks/forecast_quality.py [--seeds 5] [--skip-cli] [--datasets airline,msft]

1. Airline passengers, last 36 months held out, default settings: the model's MAPE
   (mean and spread over seeds) beside seasonal naive, drift and Holt-Winters
   (statsmodels). Target: MAPE <= 8%.
2. Every bundled series (airline, msft, electricity), default settings: the model's MASE
   beside seasonal naive's. Target: below it on every series.
3. Speed: the default ``lstmkit forecast`` on airline end to end (a fresh process, fit
   included; target <= 15 s on 2 cores, issue #14) and one ``predict`` call (<= 5 ms).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from lstmkit.data.registry import resolve
from lstmkit.tasks.forecasting import Forecaster
from lstmkit.training import TrainConfig

DATASETS = ("airline", "msft", "electricity")


def fit(name: str, seed: int, **options) -> Forecaster:
    """A default forecaster (with ``seed``) fitted on a bundled dataset."""
    train = TrainConfig(**{**Forecaster.default_train_config().__dict__, "seed": seed})
    return Forecaster(train=train, **options).fit(name)


def airline(seeds: int, console: Console) -> tuple[Forecaster, dict]:
    """MAPE over seeds, last 36 months held out, beside the baselines; returns the seed-0
    model and metrics (the default test part of airline is these 36 months too)."""
    runs, first = [], None
    for seed in range(seeds):
        start = time.perf_counter()
        model = fit("airline", seed, test_size=36)
        metrics = model.evaluate()[1]
        runs.append(metrics)
        first = first or (model, metrics)
        console.print(f"airline seed {seed}: MAPE {metrics['model']['MAPE']:.2f}% "
                      f"({time.perf_counter() - start:.0f} s)")
    table = Table(title=f"Airline passengers, last 36 months held out ({seeds} seeds)")
    for column in ("forecaster", "MAPE % mean", "spread (sd)", "min", "max", "MASE",
                   "coverage 80%"):
        table.add_column(column, justify="left" if column == "forecaster" else "right",
                         no_wrap=column == "forecaster")
    for name in runs[0]:
        mapes = [r[name]["MAPE"] for r in runs]
        sd = statistics.stdev(mapes) if len(mapes) > 1 else 0.0
        coverage = runs[0][name]["coverage_80"]
        table.add_row(name, f"{statistics.mean(mapes):.2f}", f"{sd:.2f}", f"{min(mapes):.2f}",
                      f"{max(mapes):.2f}", f"{statistics.mean(r[name]['MASE'] for r in runs):.3f}",
                      "-" if coverage is None else
                      f"{100 * statistics.mean(r[name]['coverage_80'] for r in runs):.0f}")
    console.print(table)
    return first


def every_dataset(console: Console, done: dict[str, tuple[Forecaster, dict]],
                  names: tuple[str, ...] = DATASETS) -> None:
    """MASE of the default model beside seasonal naive's, seed 0 (``done``: already fitted)."""
    table = Table(title="Every bundled series, default settings (seed 0): MASE, lower is better")
    for column in ("dataset", "test rows", "horizon", "model", "seasonal naive", "naive",
                   "AutoETS", "AutoARIMA", "model beats seasonal naive"):
        table.add_column(column, justify="left" if column == "dataset" else "right")
    for name in names:
        start = time.perf_counter()
        model, metrics = done[name] if name in done else (fit(name, 0), None)
        metrics = metrics or model.evaluate()[1]
        console.print(f"{name}: {time.perf_counter() - start:.0f} s")
        mase = {k: v["MASE"] for k, v in metrics.items()}
        ets = mase.get("AutoETS", mase.get("exponential_smoothing"))  # Holt-Winters without
        arima = mase.get("AutoARIMA")  # statsforecast
        table.add_row(name, str(model.resolved_.test_size), str(model.resolved_.horizon),
                      f"{mase['model']:.3f}", f"{mase['seasonal_naive']:.3f}",
                      f"{mase['naive']:.3f}", *("-" if v is None else f"{v:.3f}"
                                                for v in (ets, arima)),
                      "yes" if mase["model"] < mase["seasonal_naive"] else "NO")
    console.print(table)


def reference_loop() -> float:
    """Seconds of a fixed pure-Python loop: how fast the machine runs at the moment."""
    start = time.perf_counter()
    total = 0
    for i in range(20_000):
        total += i
    return time.perf_counter() - start


def speed(console: Console) -> None:
    """Wall time of the default command, and of one predict call."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from lstmkit.cli.main import main; main()",
                        "forecast", "--out",
                        str(Path(tmp) / "out"), "--no-tracking"], check=True,
                       capture_output=True)
        command = time.perf_counter() - start
        model = Forecaster.load(Path(tmp) / "out" / "model")
    frame = pd.read_csv(resolve("airline").path)
    for what, data in (("the bundled file by name (read each call)", "airline"),
                       ("an already-read 144-row frame", frame)):
        model.predict(data)  # warm-up
        times, cpu, machine = [], [], []
        for _ in range(200):
            start, start_cpu = time.perf_counter(), time.process_time()
            model.predict(data)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            machine.append(reference_loop())
        console.print(f"one predict call on {what}: median {1000 * statistics.median(times):.1f}"
                      f" ms wall (target <= 5 ms), fastest {1000 * min(times):.1f} ms, median "
                      f"{1000 * statistics.median(cpu):.1f} ms CPU; a fixed pure-Python loop "
                      f"between the calls took {statistics.median(machine) / min(machine):.2f}"
                      " times its fastest run (this machine's own slowdown at the time)")
    console.print(f"lstmkit forecast (airline, defaults, fit included): {command:.1f} s "
                  "(target <= 15 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--skip-cli", action="store_true", help="Skip the speed part.")
    parser.add_argument("--datasets", default=",".join(DATASETS),
                        help="comma-separated bundled series of part 2 (electricity spends "
                             "about 2 min in its AutoARIMA baseline)")
    args = parser.parse_args()
    console = Console()
    first = airline(args.seeds, console)
    every_dataset(console, {"airline": first}, tuple(args.datasets.split(",")))
    if not args.skip_cli:
        speed(console)


if __name__ == "__main__":
    main()

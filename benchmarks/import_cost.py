"""What ``import lstmkit`` costs over ``import torch``: time and memory, each measured
in fresh processes in this run, interleaved so that the machine's state affects both.

    python benchmarks/import_cost.py [--repeats 15]

Targets (the task-framework issue): ``import lstmkit`` within torch's own import time
+ 0.15 s and torch's peak RSS + 40 MB; and no task dependency (pandas, MLflow,
matplotlib, statsmodels, rich, scikit-learn, pydantic) loaded by it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PROBE = """
import resource, sys, time
start = time.perf_counter()
import {module}
seconds = time.perf_counter() - start
heavy = sorted(m for m in ("pandas", "mlflow", "matplotlib", "statsmodels", "rich",
                           "sklearn", "pydantic", "typer", "yaml") if m in sys.modules)
print({{"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
       / 1024, "heavy": heavy}})
"""


def probe(module: str) -> dict:
    """One fresh interpreter importing ``module``: seconds, peak RSS (MB), heavy modules."""
    out = subprocess.run([sys.executable, "-c", PROBE.format(module=module)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1].replace("'", '"'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    runs: dict[str, list[dict]] = {"torch": [], "lstmkit": []}
    for _ in range(args.repeats):
        for module in runs:  # interleaved
            runs[module].append(probe(module))
    med = {m: {k: statistics.median(r[k] for r in rs) for k in ("seconds", "rss_mb")}
           for m, rs in runs.items()}
    extra_s = med["lstmkit"]["seconds"] - med["torch"]["seconds"]
    extra_mb = med["lstmkit"]["rss_mb"] - med["torch"]["rss_mb"]
    heavy = sorted({h for r in runs["lstmkit"] for h in r["heavy"]})
    print(f"median of {args.repeats} fresh processes each, interleaved")
    print(f"{'':10} {'seconds':>9} {'peak RSS MB':>12}")
    for m in runs:
        print(f"{m:10} {med[m]['seconds']:9.3f} {med[m]['rss_mb']:12.1f}")
    print(f"lstmkit / torch: time {med['lstmkit']['seconds'] / med['torch']['seconds']:.3f}x,"
          f" memory {med['lstmkit']['rss_mb'] / med['torch']['rss_mb']:.3f}x")
    print(f"lstmkit - torch: {extra_s:+.3f} s (target <= +0.15: "
          f"{'met' if extra_s <= 0.15 else 'MISSED'}), {extra_mb:+.1f} MB (target <= +40: "
          f"{'met' if extra_mb <= 40 else 'MISSED'})")
    print(f"task dependencies loaded by import lstmkit: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()

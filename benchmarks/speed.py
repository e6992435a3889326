"""Speed of lstmkit's layers against torch.nn's on the CPU, in one process.

    python benchmarks/speed.py [--sizes S1,S2,S3,S4] [--repeats 5] [--quick] [--threads N]

Same as ``lstmkit bench``. Sizes (T, B, I, H): S1 (100, 32, 32, 128), S2 (100, 64, 128,
256), S3 (50, 256, 256, 512), S4 (1000, 16, 8, 64). Prints forward+backward time ratios
to torch (below 1: lstmkit is faster), inference ratios, the classic LSTM's GFLOP/s
against a GEMM peak measured in the same run, one streaming step at B=1, and the peak
training memory at S4. Never compare absolute times across runs or machines.
"""

from __future__ import annotations

import argparse

from lstmkit.speed import SIZES, report


def main() -> None:
    """Parse the arguments and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(SIZES),
                        help="comma-separated sizes, from " + ", ".join(SIZES))
    parser.add_argument("--repeats", type=int, default=5, help="timed runs (median)")
    parser.add_argument("--quick", action="store_true", help="T / 10 and 3 repeats")
    parser.add_argument("--threads", type=int, default=None,
                        help="intra-op threads of both libraries (default: torch's)")
    args = parser.parse_args()
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown sizes {unknown}; choose from {list(SIZES)}")
    report(sizes, repeats=3 if args.quick else max(args.repeats, 5), quick=args.quick,
           threads=args.threads)


if __name__ == "__main__":
    main()

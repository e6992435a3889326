"""``lstmkit bench``: speed of lstmkit's layers against torch's on this machine."""

from __future__ import annotations

import typer

from ..speed import SIZES, report


def bench(
    sizes: str = typer.Option(",".join(SIZES), "--sizes",
                              help="Comma-separated sizes: " + ", ".join(
                                  f"{k} (T, B, I, H) = {v}" for k, v in SIZES.items())),
    repeats: int = typer.Option(5, "--repeats", min=5, help="Timed runs; the median counts."),
    quick: bool = typer.Option(False, "--quick", help="T / 10 and 3 repeats (not the targets)."),
    threads: int = typer.Option(0, "--threads", min=0,
                                help="Intra-op threads of both libraries (0: torch's default)."),
) -> None:
    """Time lstmkit against torch.nn.LSTM / GRU in one process and print the ratios.

    Forward+backward of every LSTM cell and of GRU, inference, GFLOP/s against a GEMM
    peak measured here, one streaming step at B=1, and peak training memory at S4.
    """
    names = [s.strip().upper() for s in sizes.split(",") if s.strip()]
    unknown = [s for s in names if s not in SIZES]
    if unknown:
        raise typer.BadParameter(f"unknown sizes {unknown}; choose from {list(SIZES)}",
                                 param_hint="--sizes")
    report(names, repeats=3 if quick else repeats, quick=quick, threads=threads or None)

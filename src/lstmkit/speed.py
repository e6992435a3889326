"""Speed of lstmkit's layers against torch's, in one process (``lstmkit bench``).

Each measurement is the median of ``repeats`` timed runs after warm-up runs. Ratios are
lstmkit's time over torch's on the same sizes (below 1: lstmkit is faster); GFLOP/s of
the classic LSTM count 3x the forward GEMM FLOPs over the forward+backward time, against
a GEMM peak measured here. Peak memory of training is the growth of the resident set
(``VmHWM`` after resetting it, minus ``VmRSS`` before) in a fresh process per model, so
that allocations of earlier runs do not hide it.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

import lstmkit

SIZES = {  # name: (T, B, I, H)
    "S1": (100, 32, 32, 128),
    "S2": (100, 64, 128, 256),
    "S3": (50, 256, 256, 512),
    "S4": (1000, 16, 8, 64),
}
LSTM_CELLS = ("lstm", "peephole", "layernorm", "multiplicative")


@dataclass
class Row:
    """Times (ms) and ratios of one size."""

    size: str
    torch_lstm_ms: float
    ratios: dict[str, float]
    gflops: float


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeats`` runs after ``warmup``."""
    return median_times({"fn": fn}, repeats, warmup)["fn"]


def median_times(fns: dict[str, Callable[[], object]], repeats: int,
                 warmup: int = 2) -> dict[str, float]:
    """Median wall time (s) of each function, timed in turns (one run of each per round)
    so that all of them see the same load on a shared machine."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def gemm_peak(repeats: int = 5) -> float:
    """GFLOP/s of the best float32 square matrix product over a few sizes."""
    best = 0.0
    for n in (512, 1024, 2048):
        a, b = torch.randn(n, n), torch.randn(n, n)
        best = max(best, 2 * n**3 / median_time(lambda a=a, b=b: a @ b, repeats) / 1e9)
    return best


def _train_step(model: torch.nn.Module, x: torch.Tensor) -> Callable[[], None]:
    def step() -> None:
        model.zero_grad(set_to_none=True)
        model(x)[0].sum().backward()

    return step


def _infer(model: torch.nn.Module, x: torch.Tensor) -> Callable[[], None]:
    def run() -> None:
        with torch.no_grad():
            model(x)

    return run


def bench_size(name: str, dims: tuple[int, int, int, int], repeats: int) -> Row:
    """Every ratio of one size: training of each LSTM cell and GRU, LSTM inference."""
    steps, batch, inputs, hidden = dims
    torch.manual_seed(0)
    x = torch.randn(steps, batch, inputs)
    ref, ours = torch.nn.LSTM(inputs, hidden), lstmkit.LSTM(inputs, hidden)
    train = {"torch": _train_step(ref, x), "lstm": _train_step(ours, x)}
    for cell in LSTM_CELLS[1:]:
        train[cell] = _train_step(lstmkit.LSTM(inputs, hidden, cell=cell), x)
    train["torch_gru"] = _train_step(torch.nn.GRU(inputs, hidden), x)
    train["gru"] = _train_step(lstmkit.GRU(inputs, hidden), x)
    t = median_times(train, repeats)
    infer = median_times({"torch": _infer(ref, x), "lstm": _infer(ours, x)}, repeats)
    ratios = {cell: t[cell] / t["torch"] for cell in LSTM_CELLS}
    ratios.update(gru=t["gru"] / t["torch_gru"], gru_torch_ms=t["torch_gru"] * 1e3,
                  inference=infer["lstm"] / infer["torch"])
    flops = 3 * 2 * steps * batch * 4 * hidden * (inputs + hidden)
    return Row(name, t["torch"] * 1e3, ratios, flops / t["lstm"] / 1e9)


def bench_streaming(hidden: int = 128, calls: int = 2000, repeats: int = 5) -> tuple[float, float]:
    """Microseconds of one B=1 step: ``lstmkit.LSTM.step`` and a ``torch.nn.LSTMCell`` call."""
    torch.manual_seed(0)
    ours, ref = lstmkit.LSTM(hidden, hidden), torch.nn.LSTMCell(hidden, hidden)
    x = torch.randn(1, hidden)
    state = (torch.zeros(1, 1, hidden), torch.zeros(1, 1, hidden))
    cell_state = (torch.zeros(1, hidden), torch.zeros(1, hidden))

    def loop(fn, s):
        def run():
            with torch.no_grad():
                for _ in range(calls):
                    fn(x, s)
        return run

    t = median_times({"ours": loop(ours.step, state), "torch": loop(ref, cell_state)},
                     repeats)
    return t["ours"] / calls * 1e6, t["torch"] / calls * 1e6


def memory_probe(kind: str, steps: int, batch: int, inputs: int, hidden: int) -> None:
    """In a fresh process: print the peak resident growth (MB) of one training step."""
    torch.manual_seed(0)
    x = torch.randn(steps, batch, inputs)
    layer = torch.nn.LSTM if kind == "torch" else lstmkit.LSTM
    model = layer(inputs, hidden)
    if kind != "torch":
        lstmkit.kernels.available()
    _train_step(model, torch.randn(2, batch, inputs))()  # load libraries, not the size
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current resident set
    before = _status_kb("VmRSS")
    _train_step(model, x)()
    print((_status_kb("VmHWM") - before) / 1024)


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1])


def peak_memory(dims: tuple[int, int, int, int]) -> tuple[float, float] | None:
    """Peak training memory growth (MB) of lstmkit and torch at ``dims``; None off Linux."""
    results = []
    for kind in ("lstmkit", "torch"):
        code = ("import lstmkit.speed as b; "
                f"b.memory_probe({kind!r}, *{tuple(dims)!r})")
        try:
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True, timeout=600)
        except (subprocess.SubprocessError, OSError):
            return None
        results.append(float(out.stdout.split()[-1]))
    return results[0], results[1]


TARGETS = {"lstm": 1.0, "peephole": 1.3, "layernorm": 1.3, "multiplicative": 1.5, "gru": 1.0,
           "inference": 1.1}


def _dims(name: str, quick: bool) -> tuple[int, int, int, int]:
    steps, batch, inputs, hidden = SIZES[name]
    return (max(steps // 10, 2) if quick else steps, batch, inputs, hidden)


def _ratio(value: float, target: float) -> str:
    style = "green" if value <= target else "red"
    return f"[{style}]{value:.2f}[/]"


def report(sizes: list[str], repeats: int = 5, quick: bool = False, threads: int | None = None,
           console=None) -> None:
    """Run every measurement and print the tables (``quick``: T / 10, fewer repeats;
    ``threads``: torch's intra-op threads for both libraries, default torch's)."""
    from rich.console import Console
    from rich.table import Table

    if threads:
        torch.set_num_threads(threads)

    console = console or Console(width=None if sys.stdout.isatty() else 110)
    kernels = lstmkit.kernels.available()
    peak = gemm_peak(repeats)
    console.print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, fused kernels "
                  f"{'on' if kernels else '[red]OFF (reference path)[/]'}; float32 GEMM peak "
                  f"{peak:.1f} GFLOP/s; median of {repeats} runs after warm-up"
                  + (" [yellow](quick: T / 10, not the targets)[/]" if quick else ""))
    table = Table(title="forward+backward time / torch.nn.LSTM's (GRU: / torch.nn.GRU's)")
    for column in ("size", "torch ms", "lstm", "peephole", "layernorm", "mult.",
                   "GRU (torch ms)", "infer.", "GFLOP/s (peak)"):
        table.add_column(column, justify="right")
    table.add_row("target", "", "<=1.0", "<=1.3", "<=1.3", "<=1.5", "<=1.0, S4 <=0.5",
                  "<=1.1", "S3 >=80%", style="dim")
    for name in sizes:
        row = bench_size(name, _dims(name, quick), repeats)
        r = row.ratios
        gru_target = 0.5 if name == "S4" else TARGETS["gru"]
        table.add_row(name, f"{row.torch_lstm_ms:.1f}",
                      *(_ratio(r[c], TARGETS[c]) for c in LSTM_CELLS),
                      f"{_ratio(r['gru'], gru_target)} ({r['gru_torch_ms']:.0f})",
                      _ratio(r["inference"], TARGETS["inference"]),
                      f"{row.gflops:.1f} ({100 * row.gflops / peak:.0f}%)")
    table.caption = "sizes (T, B, I, H): " + ", ".join(f"{n} {_dims(n, quick)}" for n in sizes)
    console.print(table)
    ours_us, ref_us = bench_streaming(calls=300 if quick else 2000, repeats=repeats)
    console.print(f"streaming step, B=1, H=128: lstmkit.LSTM.step {ours_us:.1f} us, "
                  f"torch.nn.LSTMCell {ref_us:.1f} us, ratio {_ratio(ours_us / ref_us, 1.0)}")
    if not quick and "S4" in sizes:
        memory = peak_memory(SIZES["S4"])
        if memory is None:
            console.print("peak memory: not measured (needs Linux /proc)")
        else:
            console.print(f"peak training memory at S4 (resident growth): lstmkit "
                          f"{memory[0]:.1f} MB, torch {memory[1]:.1f} MB, ratio "
                          f"{_ratio(memory[0] / memory[1], 1.2)}")

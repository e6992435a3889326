"""Latency of exported models: onnxruntime against eager PyTorch, batch size 1.

    python benchmarks/export_speed.py [--repeats 300] [--threads 1]

1. One forecast: a two-member ``ForecastEnsemble`` (LSTM, hidden 64, lookback 48,
   horizon 12, known features 4), the whole window in, the forecast out.
2. One generation step: a two-layer ``LanguageModel`` (vocabulary 96, hidden 256), one
   token and the state in, the logits and the state out; for the classic LSTM (eager:
   the fused ``lstm_step`` kernel) and the layer-norm LSTM (eager: the cells' step).

Each row prints the median latency of eager PyTorch (lstmkit's fused kernels, no grad)
and of the onnxruntime session of ``lstmkit.export.to_onnx`` (the recurrence as an ONNX
Scan), measured in this run on the same inputs, and their ratio (> 1: ONNX is faster).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from lstmkit.export import graph_for, to_onnx
from lstmkit.models.forecast_net import ForecastEnsemble, ForecastNet
from lstmkit.models.language_model import LanguageModel


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn()`` in milliseconds, after a warm-up."""
    for _ in range(max(10, repeats // 10)):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def compare(name: str, module: torch.nn.Module, folder: Path, repeats: int, threads: int,
            *, step: bool = False, steps: int = 48) -> None:
    """Print eager and onnxruntime latency of ``module`` at B = 1, and the ratio."""
    module.eval()
    graph = graph_for(module, step=step, batch=1, steps=steps)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    path = to_onnx(module, folder / f"{name}.onnx", step=step)
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feeds = {n: a.numpy() for n, a in zip(graph.input_names, graph.args, strict=True)}
    with torch.no_grad():
        expected = graph.module(*graph.args)
        eager = median_ms(lambda: graph.module(*graph.args), repeats)
    actual = session.run(None, feeds)
    expected = expected if isinstance(expected, tuple) else (expected,)
    error = max(float(np.abs(a - e.numpy()).max()) for a, e in zip(actual, expected,
                                                                   strict=True))
    onnx = median_ms(lambda: session.run(None, feeds), repeats)
    print(f"{name:<28} eager {eager:8.3f} ms   onnxruntime {onnx:8.3f} ms   "
          f"eager/onnx {eager / onnx:5.2f}x   max |diff| {error:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, onnxruntime {ort.__version__}, "
          f"{args.threads} thread(s), B = 1, median of {args.repeats}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        nets = [ForecastNet(input_size=5, n_targets=1, n_known=4, horizon=12, hidden_size=64)
                for _ in range(2)]
        compare("forecast (48 steps)", ForecastEnsemble(nets), folder, args.repeats,
                args.threads)
        for cell in ("lstm", "layernorm"):
            model = LanguageModel(96, embedding_size=64, hidden_size=256, num_layers=2,
                                  cell=cell)
            compare(f"generation step ({cell})", model, folder, args.repeats, args.threads,
                    step=True)


if __name__ == "__main__":
    main()

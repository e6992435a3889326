"""Largest differences between lstmkit's layers and torch.nn's, over many configurations.

    python benchmarks/parity.py [--dtype float32|float64] [--steps T]

For LSTM (with and without projection), GRU and RNN over 1-3 layers, both directions and
both layouts, loads torch's state dict into lstmkit's layer, runs both on the same input
and initial state, and prints the largest absolute difference of outputs and final states, and the
largest difference of parameter gradients relative to the gradient's largest entry.
"""

from __future__ import annotations

import argparse
import itertools
import warnings

import torch
from rich.console import Console
from rich.table import Table

import lstmkit

KINDS = [("LSTM", {}), ("LSTM", {"proj_size": 8}), ("GRU", {}), ("RNN", {}),
         ("RNN", {"nonlinearity": "relu"})]


def _flat(state):
    return state if isinstance(state, tuple) else (state,)


def max_differences(kind: str, extra: dict, dtype: torch.dtype, steps: int) -> tuple[float, ...]:
    """Largest |Δ output|, |Δ state| and relative |Δ gradient| (to the gradient's largest
    entry) over all configurations of a kind."""
    worst = [0.0, 0.0, 0.0]
    for layers, bidir, batch_first in itertools.product([1, 2, 3], [False, True],
                                                        [False, True]):
        theirs = getattr(torch.nn, kind)(16, 32, layers, batch_first=batch_first,
                                         bidirectional=bidir, dtype=dtype, **extra)
        ours = getattr(lstmkit, kind)(16, 32, layers, batch_first=batch_first,
                                      bidirectional=bidir, dtype=dtype, **extra)
        ours.load_state_dict(theirs.state_dict())
        x = torch.randn((8, steps, 16) if batch_first else (steps, 8, 16), dtype=dtype)
        out_t, st_t = theirs(x)
        out_o, st_o = ours(x)
        worst[0] = max(worst[0], (out_t - out_o).abs().max().item())
        worst[1] = max(worst[1], max((a - b).abs().max().item()
                                     for a, b in zip(_flat(st_t), _flat(st_o), strict=True)))
        (out_t.square().sum() + sum(s.sum() for s in _flat(st_t))).backward()
        (out_o.square().sum() + sum(s.sum() for s in _flat(st_o))).backward()
        for name, p in theirs.named_parameters():
            diff = (p.grad - getattr(ours, name).grad).abs().max() / p.grad.abs().max()
            worst[2] = max(worst[2], diff.item())
    return tuple(worst)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--steps", type=int, default=50, help="sequence length T")
    args = parser.parse_args()
    torch.manual_seed(0)
    warnings.filterwarnings("ignore", message="LSTM with projections")  # torch's oneDNN note
    dtype = getattr(torch, args.dtype)
    table = Table(title=f"lstmkit vs torch.nn, {args.dtype}, T={args.steps}, B=8, I=16, H=32, "
                        "1-3 layers x both directions x both layouts")
    for column in ("layer", "max |Δ output|", "max |Δ state|", "max rel. |Δ gradient|"):
        table.add_column(column, justify="right")
    for kind, extra in KINDS:
        label = kind + "".join(f" {k}={v}" for k, v in extra.items())
        table.add_row(label, *(f"{d:.2e}" for d in max_differences(kind, extra, dtype,
                                                                   args.steps)))
    Console().print(table)


if __name__ == "__main__":
    main()

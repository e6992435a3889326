"""What can be exported, and the error that names what cannot."""

from __future__ import annotations

from torch import nn

from ..errors import LstmkitError
from ..kernels import build
from ..layers import Recurrent
from ..layers.fused import _CELLS


class UnsupportedExport(LstmkitError):
    """The module holds something the exporters cannot express; the message names it."""


def check_exportable(module: nn.Module, what: str = "export") -> None:
    """Raise :class:`UnsupportedExport` naming the first part of ``module`` the traced
    graph cannot hold: a cell without a fused kernel (a custom cell class, an output
    projection ``proj_size``), a language model's neural cache, or missing kernels.

    Every recurrent layer must run through the kernels' op route, which keeps the time
    loop a loop (the reference path unrolls it at the traced length).
    """
    for name, sub in module.named_modules():
        where = f"{type(module).__name__}.{name}" if name else type(module).__name__
        if getattr(sub, "cache", None) is not None:
            raise UnsupportedExport(f"{what}: {where} has a neural cache (fit_cache), which "
                                    "is not supported; export the model without it "
                                    "(model.cache = None)")
        if not isinstance(sub, Recurrent):
            continue
        for cell in sub.cells:
            if type(cell) not in _CELLS:
                raise UnsupportedExport(f"{what}: {where} uses the cell class "
                                        f"{type(cell).__name__}, which has no fused kernel; "
                                        f"supported: {', '.join(c.__name__ for c in _CELLS)}")
            if getattr(cell, "proj_size", 0):
                raise UnsupportedExport(f"{what}: {where} has proj_size={cell.proj_size}, "
                                        "which is not supported (no fused kernel)")
        if not build.load():
            raise UnsupportedExport(f"{what}: the fused kernels are off or could not be "
                                    "built (LSTMKIT_KERNELS=0 or no C++ compiler), and the "
                                    "exported time loop needs their op route")

"""Exporting lstmkit models: ``torch.export`` programs and ONNX files, dynamic in batch
and time, with the recurrent state as explicit inputs and outputs (see docs/export.md).

``torch.compile`` needs nothing from here: the fused kernels are ``torch.library`` custom
ops with fake implementations and autograd formulas (:mod:`lstmkit.kernels.ops`).
"""

from .graphs import Graph, graph_for
from .onnx_file import to_onnx
from .program import export_program
from .support import UnsupportedExport, check_exportable

__all__ = ["Graph", "UnsupportedExport", "check_exportable", "export_program", "graph_for",
           "to_onnx"]

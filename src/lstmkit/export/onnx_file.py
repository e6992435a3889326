"""ONNX files of lstmkit models, through torch's dynamo exporter (``onnxscript``).

Every recurrent layer is traced as plain torch operations with the time loop in torch's
``scan`` (:mod:`lstmkit.kernels.portable`), which the exporter writes as an ONNX ``Scan``
over the cell's step: the same graph for every cell, the number of steps and the batch
dynamic. ONNX's own ``LSTM``/``GRU``/``RNN`` operators are not used: they cover only the
classic cells, and one construction for all keeps one path to test.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch
from torch import nn

from ..errors import LstmkitError
from ..io import atomic_file
from ..kernels.portable import portable_ops
from .graphs import graph_for
from .program import nested_shapes
from .support import check_exportable

OPSET = 18


def to_onnx(module: nn.Module, path: str | os.PathLike, *, step: bool = False,
            lengths: bool = False) -> Path:
    """Write ``module`` as an ONNX file for inference, batch and time dynamic.

    Args:
        module: an lstmkit layer (``LSTM``, ``GRU``, ``RNN``, ``Recurrent``), a
            ``ForecastNet``/``ForecastEnsemble`` or a ``LanguageModel``; exported in eval
            mode (its own mode is restored).
        path: the ``.onnx`` file to write (atomically: never half-written).
        step: export one streaming step instead of a sequence: the state goes in and
            comes out, so a server keeps it between requests.
        lengths: (layers only) add a ``lengths`` (B,) int64 input for padded batches.

    Returns:
        ``Path(path)``. Input and output names are those of :mod:`lstmkit.export.graphs`
        (``input``, ``h0``, ``c0``, ``lengths`` -> ``output``, ``hn``, ``cn`` for a
        layer; ``tokens``/``token`` -> ``logits`` for a language model; ``window``,
        ``future`` -> ``forecast`` for a forecaster).

    Raises:
        UnsupportedExport: naming what the module holds that cannot be exported.
        LstmkitError: when onnx or onnxscript are not installed (the ``[export]`` extra).
    """
    _require("onnx", "onnxscript")
    check_exportable(module, "ONNX export")
    graph = graph_for(module, step=step, lengths=lengths)
    was_training = graph.module.training
    graph.module.eval()
    try:
        with torch.no_grad(), portable_ops(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes on torchvision etc.
            program = torch.onnx.export(
                graph.module, graph.args, dynamo=True, dynamic_shapes=nested_shapes(graph),
                input_names=graph.input_names, output_names=graph.output_names,
                opset_version=OPSET, verbose=False)
    finally:
        graph.module.train(was_training)
    path = Path(path)
    with atomic_file(path) as part:
        program.save(part)
    return path


def _require(*names: str) -> None:
    import importlib.util

    missing = [n for n in names if importlib.util.find_spec(n) is None]
    if missing:
        raise LstmkitError(f"ONNX export needs {', '.join(missing)}: install the export "
                           "extra (pip install 'lstmkit[export]')")

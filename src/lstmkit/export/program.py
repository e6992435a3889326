"""``torch.export`` of lstmkit modules for inference, dynamic in batch and time."""

from __future__ import annotations

import contextlib

import torch
from torch import nn

from ..kernels.portable import portable_ops
from .graphs import Graph, graph_for
from .support import check_exportable


def export_program(module: nn.Module, *, step: bool = False, lengths: bool = False,
                   portable: bool = False) -> torch.export.ExportedProgram:
    """Export ``module`` (a layer, ``ForecastNet``/``ForecastEnsemble`` or
    ``LanguageModel``) for inference with ``torch.export``, batch and time dynamic.

    Args:
        module: the module; exported in eval mode (its own mode is restored).
        step: export one streaming step (state in, state out) instead of a sequence.
        lengths: (layers only) take a ``lengths`` (B,) input for padded batches.
        portable: trace the recurrences as plain torch operations (a ``scan`` over the
            steps) instead of the fused kernels' custom ops ``lstmkit::recurrence``;
            the program then runs without lstmkit (slower: no fused kernel).

    Returns:
        The ``ExportedProgram``; its inputs and outputs are those of
        :mod:`lstmkit.export.graphs`, in order. ``program.module()(*inputs)`` runs it.

    Raises:
        UnsupportedExport: naming the part of ``module`` that cannot be exported.

    Example:
        >>> import lstmkit
        >>> program = export_program(lstmkit.LSTM(3, 5).eval())
        >>> out, h, c = program.module()(torch.zeros(7, 4, 3), torch.zeros(1, 4, 5),
        ...                              torch.zeros(1, 4, 5))
        >>> tuple(out.shape)
        (7, 4, 5)
    """
    check_exportable(module, "torch.export")
    graph = graph_for(module, step=step, lengths=lengths)
    return trace(graph, portable)


def nested_shapes(graph: Graph) -> tuple:
    """The dynamic shapes in the structure export sees: ``forward(first, *rest)``."""
    rest = tuple(graph.dynamic_shapes[1:])
    return (graph.dynamic_shapes[0], rest) if rest else (graph.dynamic_shapes[0],)


def trace(graph: Graph, portable: bool) -> torch.export.ExportedProgram:
    """``torch.export.export`` of ``graph`` in eval mode without gradients."""
    was_training = graph.module.training
    graph.module.eval()
    try:
        with torch.no_grad(), portable_ops() if portable else contextlib.nullcontext():
            return torch.export.export(graph.module, graph.args,
                                       dynamic_shapes=nested_shapes(graph))
    finally:
        graph.module.train(was_training)

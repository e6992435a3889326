"""Flat-tensor wrappers of lstmkit modules: what an exported graph takes and returns.

A graph has named tensor inputs and outputs only (no tuples, no None, no keywords), and
dynamic ``batch`` and ``steps`` dimensions. The state is always explicit: an input that
starts the sequence (zeros for a fresh one) and an output that carries on, so a server can
keep it between requests. Names: ``input``, ``h0``/``c0`` in, ``output``, ``hn``/``cn``
out for a layer; see each wrapper.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.export import Dim

from ..layers import Recurrent
from ..models.forecast_net import ForecastEnsemble, ForecastNet
from ..models.language_model import LanguageModel
from .support import UnsupportedExport

BATCH, STEPS = Dim("batch", min=1), Dim("steps", min=1)


@dataclass
class Graph:
    """A wrapper module, example inputs and what to tell the exporter about them."""

    module: nn.Module
    args: tuple[Tensor, ...]
    dynamic_shapes: tuple[dict[int, Any], ...]
    input_names: list[str]
    output_names: list[str]


def _state_names(layer: Recurrent) -> list[str]:
    return ["h", "c"][: layer.cells[0].state_size]


class LayerGraph(nn.Module):
    """A layer over a sequence: ``input`` (T, B, I) or (B, T, I) with ``batch_first``,
    the state ``h0`` [``c0``] (L*D, B, H), and with ``lengths`` a (B,) int64 input;
    returns ``output`` and ``hn`` [``cn``]."""

    def __init__(self, layer: Recurrent, with_lengths: bool = False) -> None:
        super().__init__()
        self.layer, self.with_lengths = layer, with_lengths

    def forward(self, x: Tensor, *rest: Tensor) -> tuple[Tensor, ...]:
        state, lengths = (rest[:-1], rest[-1]) if self.with_lengths else (rest, None)
        output, final = self.layer(x, state if len(state) > 1 else state[0], lengths=lengths)
        return (output, *(final if isinstance(final, tuple) else (final,)))


class LayerStepGraph(nn.Module):
    """One streaming step of a unidirectional layer: ``input`` (B, I) and the state in,
    ``output`` (B, H) and the new state out."""

    def __init__(self, layer: Recurrent) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, x: Tensor, *state: Tensor) -> tuple[Tensor, ...]:
        output, final = self.layer.step(x, state if len(state) > 1 else state[0])
        return (output, *(final if isinstance(final, tuple) else (final,)))


class ForecastGraph(nn.Module):
    """A forecasting network: ``window`` (B, L, I) [and ``future`` (B, K, F)] in,
    ``forecast`` (B, K, C, Q) out (scaled values; the model directory's transforms turn
    them into the data's units)."""

    def __init__(self, net: nn.Module, n_known: int, horizon: int) -> None:
        super().__init__()
        self.net, self.n_known, self.horizon = net, n_known, horizon

    def forward(self, window: Tensor, *future: Tensor) -> Tensor:
        if not future:  # no known features: an empty (B, K, 0) block
            future = (window.new_zeros(window.shape[0], self.horizon, 0),)
        return self.net(window, future[0])


class LanguageModelGraph(nn.Module):
    """A language model over a sequence: ``tokens`` (B, T) int64 and the state in,
    ``logits`` (B, T, V) and the new state out."""

    def __init__(self, model: LanguageModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, tokens: Tensor, *state: Tensor) -> tuple[Tensor, ...]:
        logits, final = self.model(tokens, state if len(state) > 1 else state[0])
        return (logits, *(final if isinstance(final, tuple) else (final,)))


class LanguageModelStepGraph(LanguageModelGraph):
    """One generation step: ``token`` (B,) int64 and the state in, ``logits`` (B, V) and
    the new state out."""

    def forward(self, token: Tensor, *state: Tensor) -> tuple[Tensor, ...]:
        logits, final = self.model.step(token, state if len(state) > 1 else state[0])
        return (logits, *(final if isinstance(final, tuple) else (final,)))


def graph_for(module: nn.Module, *, step: bool = False, lengths: bool = False,
              batch: int = 2, steps: int = 3) -> Graph:
    """The graph of ``module`` (a :class:`~lstmkit.layers.Recurrent` layer, a
    ``ForecastNet``/``ForecastEnsemble`` or a ``LanguageModel``): the sequence, or with
    ``step`` one streaming step; example inputs of ``batch`` rows and ``steps`` steps."""
    if isinstance(module, Recurrent):
        return _layer_graph(module, step, lengths, batch, steps)
    if isinstance(module, LanguageModel):
        return _language_graph(module, step, batch, steps)
    if isinstance(module, (ForecastNet, ForecastEnsemble)):
        if step:
            raise UnsupportedExport(f"export: {type(module).__name__} has no streaming step; "
                                    "export the whole window")
        return _forecast_graph(module, batch, steps)
    raise UnsupportedExport(f"export: {type(module).__name__} is not supported; supported: "
                            "lstmkit layers (LSTM, GRU, RNN, Recurrent), ForecastNet, "
                            "ForecastEnsemble, LanguageModel")


def _layer_state(layer: Recurrent, batch: int, dtype) -> list[Tensor]:
    rows = layer.num_layers * layer.num_directions
    return [torch.randn(rows, batch, size, dtype=dtype)
            for size in layer.cells[0].state_sizes()]


def _layer_graph(layer: Recurrent, step: bool, lengths: bool, batch: int, steps: int
                 ) -> Graph:
    dtype = next(layer.parameters()).dtype
    names = _state_names(layer)
    state = _layer_state(layer, batch, dtype)
    state_dims = tuple({1: BATCH} for _ in state)
    if step:
        if layer.bidirectional:
            raise UnsupportedExport(f"export: {type(layer).__name__} is bidirectional; a "
                                    "streaming step needs a unidirectional layer (the "
                                    "reverse direction reads the future)")
        x = torch.randn(batch, layer.input_size, dtype=dtype)
        return Graph(LayerStepGraph(layer), (x, *state), ({0: BATCH}, *state_dims),
                     ["input", *(f"{n}0" for n in names)],
                     ["output", *(f"{n}n" for n in names)])
    x = torch.randn(steps, batch, layer.input_size, dtype=dtype)  # (T, B, I)
    x_dims = {0: STEPS, 1: BATCH}
    if layer.batch_first:
        x, x_dims = x.transpose(0, 1).contiguous(), {0: BATCH, 1: STEPS}  # (B, T, I)
    args, dims = (x, *state), (x_dims, *state_dims)
    inputs = ["input", *(f"{n}0" for n in names)]
    if lengths:
        lens = torch.arange(steps, steps - batch, -1).clamp_min(1)  # (B,), distinct
        args, dims, inputs = (*args, lens), (*dims, {0: BATCH}), [*inputs, "lengths"]
    return Graph(LayerGraph(layer, lengths), args, dims, inputs,
                 ["output", *(f"{n}n" for n in names)])


def _language_graph(model: LanguageModel, step: bool, batch: int, steps: int) -> Graph:
    layer = model.rnn
    names = _state_names(layer)
    state = _layer_state(layer, batch, next(layer.parameters()).dtype)
    state_dims = tuple({1: BATCH} for _ in state)
    outputs = ["logits", *(f"{n}n" for n in names)]
    if step:
        token = torch.randint(model.vocab_size, (batch,))
        return Graph(LanguageModelStepGraph(model), (token, *state), ({0: BATCH}, *state_dims),
                     ["token", *(f"{n}0" for n in names)], outputs)
    tokens = torch.randint(model.vocab_size, (batch, steps))
    return Graph(LanguageModelGraph(model), (tokens, *state),
                 ({0: BATCH, 1: STEPS}, *state_dims), ["tokens", *(f"{n}0" for n in names)],
                 outputs)


def _forecast_graph(net: nn.Module, batch: int, steps: int) -> Graph:
    first = net.members[0] if isinstance(net, ForecastEnsemble) else net
    if first.series_embedding is not None:
        raise UnsupportedExport("export: a ForecastNet with an id embedding (id_embedding "
                                "> 0) is not supported; export takes windows only")
    encoder = first.encoder
    dtype = next(encoder.parameters()).dtype
    time_dim = {1: STEPS}
    if first.season:  # the seasonal decomposition is laid out for one window length
        steps, time_dim = first.window or 3 * first.season, {}
    window = torch.randn(batch, steps, encoder.input_size, dtype=dtype)  # (B, L, I)
    args, dims, names = (window,), ({0: BATCH, **time_dim},), ["window"]
    if first.n_known:
        future = torch.randn(batch, first.horizon, first.n_known, dtype=dtype)  # (B, K, F)
        args, dims, names = (window, future), (*dims, {0: BATCH}), ["window", "future"]
    return Graph(ForecastGraph(net, first.n_known, first.horizon), args, dims, names,
                 ["forecast"])

"""The generic recurrent layer: any cell, stacked and bidirectional, with lengths,
state, regularisers and gate introspection, under torch's parameter names."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from ..cells.autocast import autocast_device, run_in_float32
from ..cells.base import RecurrentCell
from ..cells.registry import get_cell
from ..validation import check_positive_int, check_probability
from .direction import DirectionResult, run_direction
from .fused import fused_run_direction, fused_step
from .inputs import PreparedInput, prepare_input, prepare_state
from .introspection import RecurrentTrace
from .names import TorchParameterNames
from .regularizers import drop_weights, locked_dropout

CellSpec = str | type[RecurrentCell] | Callable[..., RecurrentCell]


class Recurrent(TorchParameterNames, nn.Module):
    """Any cell over time: stacked, bidirectional, with lengths, state and regularisers.

    Args:
        input_size: features ``I`` of the input.
        hidden_size: features ``H`` of each cell.
        num_layers: stacked layers ``L``; layer k > 0 reads layer k-1's output.
        bias: if False, the cells have no biases.
        batch_first: input and output are (B, T, ·) instead of (T, B, ·).
        dropout: dropout on the outputs of every layer but the last (as torch).
        bidirectional: run a second cell over the reversed sequence (``D = 2``).
        cell: a registered cell name (see :func:`lstmkit.cells.cell_names`), a
            :class:`~lstmkit.cells.RecurrentCell` subclass, or a factory
            ``(input_size, hidden_size, bias, *, device, dtype, **cell_options)``.
        input_dropout: variational (locked) dropout of the input, one mask per sequence.
        output_dropout: variational (locked) dropout of the last layer's output.
        weight_dropout: DropConnect on the recurrent weights, one mask per forward call.
        zoneout: probability that a state unit keeps its previous value; a float for all
            state tensors or a tuple with one rate per state tensor (``(h, c)``).
        **cell_options: passed to every cell (``proj_size``, ``forget_bias``, ...).

    All regularisers are off in ``eval()``. Under ``torch.autocast`` a float32 layer
    computes in float32 and returns torch's dtypes (see :mod:`lstmkit.cells.autocast`).
    An empty batch (B = 0) gives empty outputs; an empty sequence (T = 0) is an error,
    as in torch.

    Shape:
        - input: (T, B, I), (B, T, I) with ``batch_first``, (T, I) unbatched, or a
          ``PackedSequence``. ``lengths`` (B,): valid steps of each padded sequence.
        - hx: a tensor (L*D, B, H) for one-tensor states (GRU, RNN), a tuple
          ``(h_0, c_0)`` of (L*D, B, P) and (L*D, B, H) for LSTMs; None for zeros.
        - output: (T, B, D*P) (or ``batch_first``, or packed like the input), and the
          final state in the layout of ``hx``. With ``return_gates=True`` a third value,
          a :class:`~lstmkit.layers.RecurrentTrace`.

    The layer owns the parameters, under torch's names and in torch's order
    (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``, ``weight_hr_l0``,
    then ``..._l0_reverse``, ``..._l1``; a cell's own extras follow under the same scheme,
    e.g. ``weight_ch_l0``), so ``named_parameters()``, ``state_dict()``, optimizer state,
    ``all_weights`` and ``torch.nn.utils.parametrize`` work as on torch's modules. The
    cells are ``self.cells[k * D + d]``; they read their parameters from the layer.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, *, cell: CellSpec, input_dropout: float = 0.0,
                 output_dropout: float = 0.0, weight_dropout: float = 0.0,
                 zoneout: float | tuple[float, ...] = 0.0, device=None, dtype=None,
                 **cell_options) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = check_positive_int(name, "input_size", input_size)
        self.hidden_size = check_positive_int(name, "hidden_size", hidden_size)
        self.num_layers = check_positive_int(name, "num_layers", num_layers)
        self.bias, self.batch_first, self.bidirectional = bias, batch_first, bidirectional
        self.dropout = check_probability(name, "dropout", dropout)
        self.input_dropout = check_probability(name, "input_dropout", input_dropout)
        self.output_dropout = check_probability(name, "output_dropout", output_dropout)
        self.weight_dropout = check_probability(name, "weight_dropout", weight_dropout)
        factory = self._cell_factory(cell)
        self.cells = nn.ModuleList()
        self._all_weights: list[list[str]] = []  # torch's names, per layer and direction
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            for _ in range(self.num_directions):
                size = input_size if layer == 0 else self.num_directions * self.output_size
                cell = factory(size, hidden_size, bias, device=device, dtype=dtype,
                               **cell_options)
                self._adopt(cell, len(self.cells))
                self.cells.append(cell)
        self.zoneout = self._zoneout_rates(zoneout)
        self._register_old_key_hook()

    # -- construction helpers -------------------------------------------------------------
    _cell_names: tuple[str, ...] | None = None  # the names this class accepts; None: all

    def _cell_factory(self, cell: CellSpec) -> Callable[..., RecurrentCell]:
        if isinstance(cell, str):
            return get_cell(cell, owner=type(self).__name__, allowed=self._cell_names)
        if callable(cell):
            return cell
        raise TypeError(f"{type(self).__name__}: expected cell as a name, a RecurrentCell "
                        f"subclass or a factory, got {type(cell).__name__}")

    def _zoneout_rates(self, zoneout) -> tuple[float, ...] | None:
        n = self.cells[0].state_size
        rates = (zoneout,) * n if isinstance(zoneout, (int, float)) else tuple(zoneout)
        if len(rates) != n:
            raise ValueError(f"{type(self).__name__}: expected zoneout as one rate or {n} "
                             f"rates (one per state tensor), got {len(rates)}")
        for r in rates:
            check_probability(type(self).__name__, "zoneout", r)
        return rates if any(rates) else None

    @property
    def num_directions(self) -> int:
        """``D``: 2 if bidirectional else 1."""
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        """Features of each direction's output (``proj_size`` if set, else ``hidden_size``)."""
        return self.cells[0].output_size if len(self.cells) else self.hidden_size

    def flatten_parameters(self) -> None:
        """No-op, for code written for ``torch.nn.LSTM``."""

    def _cell_index(self, layer: int, reverse: bool) -> int:
        return layer * self.num_directions + int(reverse)

    # -- forward ---------------------------------------------------------------------------
    def forward(self, input: Tensor | PackedSequence, hx=None, *, lengths=None,
                return_gates: bool = False):
        """Run the layer; see the class docstring for shapes."""
        device = autocast_device(input, self)
        if device is not None:
            cell = self.cells[0]
            lower = (cell.autocast_lowers_packed if isinstance(input, PackedSequence)
                     else cell.autocast_lowers_layer)
            return run_in_float32(self._forward, input, hx, lengths, return_gates,
                                  device=device, lower_output=lower)
        return self._forward(input, hx, lengths, return_gates)

    def _forward(self, input: Tensor | PackedSequence, hx, lengths, return_gates: bool):
        name = type(self).__name__
        dtype = self.cells[0]._reference().dtype
        prepared = prepare_input(name, input, input_size=self.input_size,
                                 batch_first=self.batch_first, dtype=dtype, lengths=lengths)
        x, lens = prepared.x, prepared.lengths
        state = prepare_state(name, hx, state_sizes=self.cells[0].state_sizes(),
                              num_states=len(self.cells), batch=x.shape[1],
                              unbatched=prepared.unbatched, dtype=dtype)
        x = locked_dropout(x, self.input_dropout, self.training)
        results = []
        for layer in range(self.num_layers):
            layer_results = [self._run_cell(self._cell_index(layer, bool(d)), x, state, lens,
                                            return_gates) for d in range(self.num_directions)]
            results += layer_results
            x = torch.cat([r.output for r in layer_results], dim=-1)  # D x (T, B, P) -> (T, B, D*P)
            if layer < self.num_layers - 1 and self.dropout:
                x = F.dropout(x, self.dropout, self.training)
        x = locked_dropout(x, self.output_dropout, self.training)
        final = tuple(torch.stack(parts) for parts in zip(*(r.state for r in results),
                                                          strict=True))  # (L*D, B, S)
        output, final = self._restore_layout(prepared, x, final)
        hx_out = final if len(final) > 1 else final[0]
        if return_gates:
            return output, hx_out, self._trace(results, prepared)
        return output, hx_out

    def _run_cell(self, index: int, x: Tensor, state: list[Tensor] | None,
                  lengths: Tensor | None, trace: bool) -> DirectionResult:
        """Run cell ``index`` (layer k, direction d at k * D + d) over time-major ``x``."""
        cell = self.cells[index]
        s0 = (tuple(s[index] for s in state) if state is not None
              else cell.init_state(x.shape[1], dtype=x.dtype, device=x.device))
        weights = drop_weights(cell.weights(), cell.recurrent_weight_names,
                               self.weight_dropout, self.training)
        options = {"lengths": lengths, "reverse": index % self.num_directions == 1,
                   "zoneout_rates": self.zoneout, "training": self.training, "trace": trace}
        fused = fused_run_direction(cell, x, s0, weights, **options)
        return fused if fused is not None else run_direction(cell, x, s0, weights, **options)

    def step(self, input: Tensor, hx=None):
        """One time step for streaming: input (B, I) or (I,) and a state in, output and
        state out; the same as the whole sequence run step by step."""
        if self.bidirectional:
            raise ValueError(f"{type(self).__name__}: step() needs a unidirectional layer; "
                             "the reverse direction reads the future")
        device = autocast_device(input, self)
        if device is not None:
            return run_in_float32(self._step, input, hx, device=device,
                                  lower_output=self.cells[0].autocast_lowers_layer)
        return self._step(input, hx)

    def _step(self, input: Tensor, hx):
        fast = fused_step(self, input, hx)  # streaming inference: one kernel call
        if fast is not None:
            return fast
        time_dim = 1 if self.batch_first and input.dim() == 2 else 0
        output, state = self.forward(input.unsqueeze(time_dim), hx)  # (B, I) -> one step
        return output.squeeze(time_dim), state

    def _restore_layout(self, prepared: PreparedInput, x: Tensor, final: tuple[Tensor, ...]):
        if prepared.packed is not None:
            return _repack(x, prepared.lengths, prepared.packed), final
        if prepared.unbatched:
            return x.squeeze(1), tuple(s.squeeze(1) for s in final)  # (T, 1, ·) -> (T, ·)
        return (x.transpose(0, 1) if self.batch_first else x), final  # (T, B, ·) -> (B, T, ·)

    def _trace(self, results, prepared: PreparedInput) -> RecurrentTrace:
        def gather(key: str) -> dict[str, Tensor]:
            names = getattr(results[0], key).keys()
            out = {}
            for n in names:  # L*D x (T, B, H) -> (L, D, T, B, H)
                t = torch.stack([getattr(r, key)[n] for r in results])
                t = t.view(self.num_layers, self.num_directions, *t.shape[1:])
                if prepared.unbatched:
                    t = t.squeeze(3)
                elif self.batch_first:
                    t = t.transpose(2, 3)  # (L, D, T, B, H) -> (L, D, B, T, H)
                out[n] = t
            return out
        return RecurrentTrace(gates=gather("gates"), states=gather("states"))

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
        for flag in ("batch_first", "bidirectional"):
            if getattr(self, flag):
                s += f", {flag}=True"
        for rate in ("dropout", "input_dropout", "output_dropout", "weight_dropout"):
            if getattr(self, rate):
                s += f", {rate}={getattr(self, rate)}"
        if self.zoneout:
            s += f", zoneout={self.zoneout}"
        return s


def _repack(x: Tensor, lengths: Tensor, like: PackedSequence) -> PackedSequence:
    """Pack time-major ``x`` (original batch order) exactly like the input ``like``."""
    order = like.sorted_indices
    if order is not None:
        x, lengths = x.index_select(1, order), lengths[order.cpu()]
    data = pack_padded_sequence(x, lengths, enforce_sorted=True).data
    return PackedSequence(data, like.batch_sizes, like.sorted_indices, like.unsorted_indices)

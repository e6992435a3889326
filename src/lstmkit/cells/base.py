"""The cell contract every recurrent cell follows, so that every layer runs every cell.

How to add a cell
-----------------
Subclass :class:`RecurrentCell` and define:

1. ``__init__(input_size, hidden_size, bias=True, *, device=None, dtype=None, **options)``
   creating ``nn.Parameter`` attributes (use torch's names where they mean the same:
   ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``), then ``reset_parameters()``.
2. ``state_size`` (how many state tensors: 1 for GRU-like, 2 for LSTM-like) and, when the
   state tensors are not all ``hidden_size`` wide, ``state_sizes()``. The first state
   tensor is the cell's output ``h``.
3. ``project_input(x, weights)``: everything that depends on the input only, for all time
   steps at once: ``(..., I) -> (..., G)``. The layer calls it once per sequence.
4. ``step(xp, state, weights)``: one time step from the projection ``xp`` (B, G) and the
   previous state, returning ``(new_state, gates)`` where ``gates`` maps gate names to
   (B, H) activations (an empty dict is fine). Put the math in plain torch ops.
5. Optionally ``gate_names`` (for introspection) and ``recurrent_weight_names`` (the
   hidden-to-hidden weights that weight drop acts on), and the dtypes returned under
   autocast (``autocast_lowers_step``, ``autocast_lowers_layer``,
   ``autocast_lowers_packed``; see :mod:`lstmkit.cells.autocast`).

``weights`` is a ``dict`` of this cell's parameters by name (``self.weights()``); layers
may hand in transformed copies (for example DropConnect-ed or parametrized recurrent
weights), so read parameters from it, never from ``self``, inside ``project_input`` and
``step``. A layer owns its cells' parameters under torch's names (``weight_hh_l0``, ...):
when it is built it takes them from each cell (see :meth:`RecurrentCell.bind`); the cell
then reads them from the layer, so ``cell.weights()`` and ``cell.weight_hh`` still work. Register
the class with :func:`lstmkit.cells.register_cell` to use it by name, or pass the class
itself as ``cell=`` to :class:`lstmkit.Recurrent`.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import Tensor, nn

from ..validation import check_positive_int, check_shape, check_tensor
from .autocast import autocast_device, run_in_float32

State = tuple[Tensor, ...]


class RecurrentCell(nn.Module):
    """Base class of all cells: one time step of a recurrence, torch style.

    Args:
        input_size: the number of features ``I`` of the input ``x_t``.
        hidden_size: the number of features ``H`` of the hidden state.

    Calling a cell runs one step, like ``torch.nn.LSTMCell``: ``cell(input, hx)`` with
    input (B, I) or (I,) returns the new state; a tuple ``(h, c)`` for two-tensor states,
    the tensor ``h`` otherwise.
    """

    state_size: ClassVar[int] = 1
    gate_names: ClassVar[tuple[str, ...]] = ()
    recurrent_weight_names: ClassVar[tuple[str, ...]] = ("weight_hh",)
    # under autocast, a step returns the lower precision (as nn.RNNCell) or float32 (as
    # nn.LSTMCell, nn.GRUCell); so does a layer over this cell, on a padded batch
    # (nn.LSTM, nn.RNN: lower; nn.GRU: float32) and on a PackedSequence (nn.RNN: lower;
    # nn.LSTM, nn.GRU: float32). Either way the cell computes in float32.
    autocast_lowers_step: ClassVar[bool] = False
    autocast_lowers_layer: ClassVar[bool] = True
    autocast_lowers_packed: ClassVar[bool] = False

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = check_positive_int(name, "input_size", input_size)
        self.hidden_size = check_positive_int(name, "hidden_size", hidden_size)

    # -- shape of the state -------------------------------------------------------------
    @property
    def output_size(self) -> int:
        """Width of the output ``h`` (the first state tensor)."""
        return self.state_sizes()[0]

    def state_sizes(self) -> tuple[int, ...]:
        """Feature width of each state tensor; ``hidden_size`` for all by default."""
        return (self.hidden_size,) * self.state_size

    def init_state(
        self, batch_size: int, *, dtype: torch.dtype | None = None, device=None
    ) -> State:
        """The zero initial state: one (B, width) tensor per state tensor."""
        if dtype is None or device is None:
            ref = self._reference()
            dtype, device = dtype or ref.dtype, device or ref.device
        return tuple(torch.zeros(batch_size, s, dtype=dtype, device=device)
                     for s in self.state_sizes())

    # -- parameters ---------------------------------------------------------------------
    def weights(self) -> dict[str, Tensor]:
        """This cell's parameters by name; layers may replace entries before a run.

        For a cell inside a layer these are the layer's tensors (``weight_hh_l0``, ...),
        read through any parametrization registered on the layer.
        """
        owner = self.__dict__.get("_owner")
        if owner is None:
            return dict(self.named_parameters(recurse=False))
        suffix, params = self.__dict__["_suffix"], owner._parameters
        # a plain parameter straight from the dict (streaming calls this every step);
        # a parametrized one through the layer's attribute, which computes it
        return {name: params[name + suffix] if name + suffix in params
                else getattr(owner, name + suffix) for name in self.__dict__["_names"]}

    def bind(self, owner: nn.Module, suffix: str) -> dict[str, nn.Parameter]:
        """Give this cell's own parameters to ``owner`` (a layer), which registers each as
        ``name + suffix`` (torch's ``weight_ih_l0``, ...); returns them by their cell name.

        From then on the cell holds no parameters (its submodules' stay) and reads them
        from ``owner``: :meth:`weights`, attribute access (``cell.weight_hh``) and
        :meth:`reset_parameters` go there. The owner is kept outside the module tree, so
        ``cell.parameters()`` is empty and ``owner.parameters()`` lists each tensor once.
        """
        names = tuple(name for name, p in self._parameters.items() if p is not None)
        taken = {name: self._parameters.pop(name) for name in names}
        object.__setattr__(self, "_owner", owner)  # not a submodule: no cycle in the tree
        object.__setattr__(self, "_suffix", suffix)
        object.__setattr__(self, "_names", names)
        return taken

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            owner = self.__dict__.get("_owner")
            if owner is not None and name in self.__dict__["_names"]:
                return getattr(owner, name + self.__dict__["_suffix"])
            raise

    def _parameter_names(self) -> tuple[str, ...]:
        if "_owner" in self.__dict__:
            return self.__dict__["_names"]
        return tuple(name for name, p in self._parameters.items() if p is not None)

    def _leaf(self, name: str) -> Tensor:
        """The tensor that holds parameter ``name`` (through a parametrization: its
        ``original``), for initialisation and for the dtype and device."""
        owner = self.__dict__.get("_owner")
        if owner is None:
            return self._parameters[name]
        flat = name + self.__dict__["_suffix"]
        if flat in owner._parameters:
            return owner._parameters[flat]
        parametrizations = owner._modules.get("parametrizations")
        if parametrizations is not None and flat in parametrizations._modules:
            return getattr(parametrizations, flat).original
        return getattr(owner, flat)

    def _reference(self) -> Tensor:
        """A parameter of this cell, for its dtype and device."""
        names = self._parameter_names()
        return self._leaf(names[0]) if names else next(self.parameters())

    def reset_parameters(self) -> None:
        """torch's initialisation: every parameter uniform in (-1/sqrt(H), 1/sqrt(H))."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        with torch.no_grad():
            for name in self._parameter_names():
                nn.init.uniform_(self._leaf(name), -bound, bound)

    def _new_parameter(self, *shape: int, factory: dict) -> nn.Parameter:
        return nn.Parameter(torch.empty(*shape, **factory))

    # -- the recurrence -----------------------------------------------------------------
    def project_input(self, x: Tensor, weights: dict[str, Tensor]) -> Tensor:
        """The input-only part of the pre-activations: ``(..., I) -> (..., G)``."""
        raise NotImplementedError

    def step(
        self, xp: Tensor, state: State, weights: dict[str, Tensor]
    ) -> tuple[State, dict[str, Tensor]]:
        """One step: projection ``xp`` (B, G) and state in, new state and gates out."""
        raise NotImplementedError

    def forward(self, input: Tensor, hx: Tensor | State | None = None):
        """Run one step on ``input`` (B, I) or (I,), like torch's cells.

        Under autocast a float32 cell computes in float32 and returns torch's dtype.
        """
        device = autocast_device(input, self)
        if device is not None:
            return run_in_float32(self._forward, input, hx, device=device,
                                  lower_output=self.autocast_lowers_step)
        return self._forward(input, hx)

    def _forward(self, input: Tensor, hx: Tensor | State | None):
        name = type(self).__name__
        ref = self._reference()
        check_tensor(name, "input", input, ref.dtype)
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: expected input of shape (B, {self.input_size}) or "
                             f"({self.input_size},), got {tuple(input.shape)}")
        unbatched = input.dim() == 1
        check_shape(name, "input", input,
                    (self.input_size,) if unbatched else ("B", self.input_size))
        x = input.unsqueeze(0) if unbatched else input  # (I,) -> (1, I)
        state = self._parse_state(hx, x.shape[0], unbatched)
        weights = self.weights()
        new_state, _ = self.step(self.project_input(x, weights), state, weights)
        if unbatched:
            new_state = tuple(s.squeeze(0) for s in new_state)
        return new_state if self.state_size > 1 else new_state[0]

    def _parse_state(self, hx, batch: int, unbatched: bool) -> State:
        if hx is None:
            return self.init_state(batch)
        name = type(self).__name__
        parts = (hx,) if isinstance(hx, Tensor) else tuple(hx)
        if len(parts) != self.state_size:
            raise ValueError(f"{name}: expected a state of {self.state_size} tensor(s), "
                             f"got {len(parts)}")
        state = []
        for k, (s, width) in enumerate(zip(parts, self.state_sizes(), strict=True)):
            label = "hx" if self.state_size == 1 else f"hx[{k}]"
            check_tensor(name, label, s, self._reference().dtype)
            check_shape(name, label, s, (width,) if unbatched else (batch, width))
            state.append(s.unsqueeze(0) if unbatched else s)
        return tuple(state)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}"

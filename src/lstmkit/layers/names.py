"""The layer owns its cells' parameters under torch's names, in torch's order.

``torch.nn.LSTM`` registers, for each layer k and direction (``""`` then ``"_reverse"``),
``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` and, with a
projection, ``weight_hr_l{k}``. A :class:`~lstmkit.layers.Recurrent` builds its cells in
that order and takes each cell's parameters under the same scheme (a cell's own extras
follow: ``weight_ch_l{k}`` for the peepholes, ``ln_ih_weight_l{k}``, ... for layer norm),
so ``named_parameters()``, ``parameters()``, ``state_dict()``, optimizer state and
``torch.nn.utils.parametrize`` see exactly what they see on torch's module.

Up to lstmkit 0.1.0 as first released (before issue 13) the cells owned the parameters
(``cells.3.weight_ih``) and hooks renamed only the state dict; that state dict had
torch's names already, so model files and checkpoints written then load unchanged (and
the optimizer state too: the parameter order is the same). A state dict keyed by the old
parameter names (for example ``dict(layer.named_parameters())`` saved by hand) is renamed
on load by :func:`upgrade_cell_keys`.
"""

from __future__ import annotations

import re

from torch import Tensor, nn

_OLD_KEY = re.compile(r"^cells\.(?P<index>\d+)\.(?P<param>[^.]+)$")


def cell_suffix(index: int, num_directions: int) -> str:
    """torch's suffix of cell ``index`` (layer k, direction d at k * D + d): ``_l{k}``
    and ``_reverse`` for the second direction."""
    layer, direction = divmod(index, num_directions)
    return f"_l{layer}" + ("_reverse" if direction else "")


class TorchParameterNames:
    """Mixin of :class:`~lstmkit.layers.Recurrent`: torch's parameter bookkeeping.

    The layer calls :meth:`_adopt` once per cell, in torch's order; the rest is what
    torch's ``RNNBase`` offers (``all_weights``, ``_flat_weights_names``,
    ``_flat_weights``, ``reset_parameters``) and the load hook for old keys.
    """

    def _adopt(self, cell: nn.Module, index: int) -> None:
        """Register ``cell``'s parameters on this layer under torch's names."""
        suffix = cell_suffix(index, self.num_directions)
        names = []
        for name, param in cell.bind(self, suffix).items():
            self.register_parameter(name + suffix, param)
            names.append(name + suffix)
        self._all_weights.append(names)
        self._flat_weights_names.extend(names)

    @property
    def all_weights(self) -> list[list[Tensor]]:
        """The weights of each layer and direction, as ``torch.nn.LSTM.all_weights``
        (through any parametrization)."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self) -> list[Tensor]:
        """Every weight in torch's order (``_flat_weights_names``), as torch's ``RNNBase``."""
        return [getattr(self, name) for name in self._flat_weights_names]

    def reset_parameters(self) -> None:
        """Initialise every cell's parameters again as the cell does when it is built
        (torch's uniform initialisation, plus a cell's own: forget bias, gains, ...)."""
        for cell in self.cells:
            cell.reset_parameters()

    def _register_old_key_hook(self) -> None:
        self._register_load_state_dict_pre_hook(upgrade_cell_keys, with_module=True)


def upgrade_cell_keys(module, state_dict, prefix: str, *args) -> None:
    """Load pre-hook: ``cells.3.weight_ih`` (the parameter names before issue 13) ->
    ``weight_ih_l1_reverse``; keys that name no adopted parameter are left alone."""
    for key in [k for k in state_dict if k.startswith(prefix + "cells.")]:
        match = _OLD_KEY.match(key[len(prefix):])
        if match is None or int(match["index"]) >= len(module.cells):
            continue
        flat = match["param"] + cell_suffix(int(match["index"]), module.num_directions)
        if flat in module._flat_weights_names and prefix + flat not in state_dict:
            state_dict[prefix + flat] = state_dict.pop(key)

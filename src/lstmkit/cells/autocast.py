"""Autocast for cells and layers: compute in float32, answer in the dtype torch answers in.

Under ``torch.autocast`` torch runs ``nn.LSTM``, ``nn.RNN`` and ``nn.RNNCell`` in the lower
precision and returns it (bfloat16 on the CPU), while ``nn.GRU``, ``nn.LSTMCell`` and
``nn.GRUCell`` return float32. lstmkit's fused kernels have no bfloat16 version and a
bfloat16 recurrence loses precision at every step, so a float32 cell or layer under
autocast runs in float32 with autocast off (kernels on, as without autocast) and casts its
outputs to the dtype torch's nearest module returns. Its inputs and state may come in
either dtype (a state returned under autocast goes back in unchanged). Modules of other
dtypes are left alone, as autocast leaves them.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence


def autocast_device(input: object, module: nn.Module) -> str | None:
    """The device type whose autocast applies to ``module`` given ``input``, or None
    (autocast off there, ``module`` not float32, or ``input`` not a tensor). Cheap when
    autocast is off: streaming calls it once per step."""
    data = input.data if isinstance(input, PackedSequence) else input
    if not isinstance(data, Tensor):
        return None
    device = "cpu" if data.is_cpu else data.device.type  # is_cpu: 5x faster
    if not (device == "cpu" or torch.amp.is_autocast_available(device)):
        return None
    if not torch.is_autocast_enabled(device) or next(module.parameters()).dtype != torch.float32:
        return None
    return device


def cast_floating(value, dtype: torch.dtype):
    """``value`` with every floating tensor in it (also inside tuples, lists and a
    ``PackedSequence``) cast to ``dtype``; anything else unchanged."""
    if isinstance(value, PackedSequence):
        return value._replace(data=cast_floating(value.data, dtype))
    if isinstance(value, Tensor):
        return value.to(dtype) if value.is_floating_point() else value
    if isinstance(value, (tuple, list)):
        return type(value)(cast_floating(v, dtype) for v in value)
    return value


def run_in_float32(fn: Callable, *args, device: str, lower_output: bool, **kwargs):
    """``fn(*args, **kwargs)`` with autocast off on ``device`` and the floating tensors of
    ``args`` in float32; the floating outputs come back in the autocast dtype when
    ``lower_output``, else in float32."""
    low = torch.get_autocast_dtype(device)
    with torch.autocast(device, enabled=False):
        result = fn(*cast_floating(args, torch.float32), **kwargs)
    return cast_floating(result, low if lower_output else torch.float32)

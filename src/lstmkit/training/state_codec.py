"""Split nested training state (optimizer, scheduler, RNG, carried hidden state) into
JSON plus named tensors, and back: the pickle-free form every checkpoint uses.

Tensors become ``{"__tensor__": key}`` with the tensor stored under ``key``; tuples become
``{"__tuple__": [...]}``; dicts with int keys (an optimizer's per-parameter state) become
``{"__intdict__": [[key, value], ...]}``. Everything else must be JSON already.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

JSONValue = Any


def encode_state(obj: Any, prefix: str, tensors: dict[str, Tensor]) -> JSONValue:
    """Return a JSON-able copy of ``obj``, moving its tensors into ``tensors``.

    Args:
        obj: nested dicts, lists, tuples, tensors, numbers, strings, None.
        prefix: the tensor-name prefix for this object (e.g. ``"optimizer"``).
        tensors: receives ``{f"{prefix}.{path}": tensor}``.

    Raises:
        TypeError: naming the path of a value that is neither JSON nor a tensor.
    """
    if isinstance(obj, Tensor):
        tensors[prefix] = obj
        return {"__tensor__": prefix}
    if isinstance(obj, tuple):
        return {"__tuple__": [encode_state(v, f"{prefix}.{i}", tensors)
                              for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [encode_state(v, f"{prefix}.{i}", tensors) for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: encode_state(v, f"{prefix}.{k}", tensors) for k, v in obj.items()}
        if all(isinstance(k, int) for k in obj):
            return {"__intdict__": [[k, encode_state(v, f"{prefix}.{k}", tensors)]
                                    for k, v in obj.items()]}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store {type(obj).__name__} at {prefix!r} in a checkpoint: "
                    "only tensors, numbers, strings, lists, tuples and dicts are allowed")


def decode_state(obj: JSONValue, tensors: dict[str, Tensor]) -> Any:
    """Inverse of :func:`encode_state`.

    Raises:
        KeyError: naming a tensor the JSON refers to but ``tensors`` lacks.
    """
    if isinstance(obj, list):
        return [decode_state(v, tensors) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__tensor__" in obj:
        return tensors[obj["__tensor__"]]
    if "__tuple__" in obj:
        return tuple(decode_state(v, tensors) for v in obj["__tuple__"])
    if "__intdict__" in obj:
        return {int(k): decode_state(v, tensors) for k, v in obj["__intdict__"]}
    return {k: decode_state(v, tensors) for k, v in obj.items()}

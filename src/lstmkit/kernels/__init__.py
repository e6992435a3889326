"""Fused CPU forward and backward kernels for every built-in cell (C++, compiled once).

Layers use them automatically for CPU float32/float64 tensors; the pure-PyTorch path of
:mod:`lstmkit.functional` stays as the fallback and as the oracle the kernels are tested
against. ``LSTMKIT_KERNELS=0`` forces the reference path.
"""

from .build import cache_dir, enabled
from .build import load as available

__all__ = ["available", "cache_dir", "enabled"]

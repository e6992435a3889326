"""Compile the fused CPU kernels once per user and machine, load them, or fall back.

The C++ sources in ``csrc/`` are compiled on first use with
``torch.utils.cpp_extension.load`` into a cache directory (``$LSTMKIT_CACHE`` or
``~/.cache/lstmkit``), keyed by the sources, torch, Python and the CPU, so that later
processes only load the shared library. If no compiler is present or the build fails,
:func:`load` warns once and returns ``False``: every layer then runs the reference path.
``LSTMKIT_KERNELS=0`` turns the kernels off without building anything.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import os
import platform
import sys
import warnings
from pathlib import Path

import torch

CSRC = Path(__file__).parent / "csrc"
SOURCES = ("ops.cpp", "lstm.cpp", "mlstm.cpp", "layernorm_lstm.cpp", "gru_rnn.cpp", "cache.cpp")
FLAGS = ("-O3", "-march=native", "-fopenmp")

_loaded: bool | None = None  # None: not tried yet in this process


def enabled() -> bool:
    """False when the environment variable ``LSTMKIT_KERNELS`` is ``0``."""
    return os.environ.get("LSTMKIT_KERNELS", "1").strip().lower() not in ("0", "false", "off")


def cache_dir() -> Path:
    """Where compiled kernels live: ``$LSTMKIT_CACHE`` or ``~/.cache/lstmkit``."""
    root = os.environ.get("LSTMKIT_CACHE") or Path.home() / ".cache" / "lstmkit"
    return Path(root)


def load() -> bool:
    """Build (if needed) and load the kernels; True when ``torch.ops.lstmkit`` is usable.

    Tried once per process; a failure warns once and returns False from then on.
    ``LSTMKIT_KERNELS`` is read on every call, so it can be changed at run time.
    """
    global _loaded
    if not enabled():
        return False
    if _loaded is None:
        _loaded = _try_load()
    return _loaded


# What torch.compiler.assume_constant_result does (torch.compile runs load, not traces
# it), set by hand: importing that decorator would import dynamo with lstmkit.
load._dynamo_marked_constant = True  # type: ignore[attr-defined]


def _try_load() -> bool:
    try:
        _compile()
    except Exception as error:  # any failure of the toolchain means: use the reference path
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        warnings.warn(f"lstmkit: could not build the fused CPU kernels ({first_line}); "
                      "using the slower reference path. Set LSTMKIT_KERNELS=0 to silence.",
                      RuntimeWarning, stacklevel=3)
        return False
    return True


def _blas_exported() -> bool:
    """True when torch's own library exports MKL's BLAS (x86 builds): call it directly."""
    lib = Path(torch.__file__).parent / "lib" / "libtorch_cpu.so"
    try:
        handle = ctypes.CDLL(str(lib))
    except OSError:
        return False
    names = ("sgemm_", "dgemm_", "cblas_sgemm_pack_get_size", "cblas_sgemm_pack",
             "cblas_sgemm_compute")
    return all(hasattr(handle, name) for name in names)


def _build_key(defines: list[str]) -> str:
    digest = hashlib.sha256()
    for path in sorted(CSRC.iterdir()):  # every source and header
        digest.update(path.name.encode() + path.read_bytes())
    cpu = ""
    if Path("/proc/cpuinfo").exists():  # -march=native: a build belongs to its CPU
        cpu = next((line for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("flags")), "")
    for part in (torch.__version__, sys.version, platform.machine(), cpu, *FLAGS, *defines):
        digest.update(part.encode())
    return digest.hexdigest()[:16]


def _compile() -> None:
    from torch.utils import cpp_extension

    defines = ["-DLSTMKIT_BLAS"] if _blas_exported() else []
    name = f"lstmkit_kernels_{_build_key(defines)}"
    directory = cache_dir() / name
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time; released if it dies
        stale = directory / "lock"  # torch's own baton, left behind by a killed build
        if stale.exists():
            stale.unlink()
        if not (directory / f"{name}.so").exists():
            print("lstmkit: compiling the fused CPU kernels (once, about a minute) ...",
                  file=sys.stderr, flush=True)
        cpp_extension.load(name=name, sources=[str(CSRC / s) for s in SOURCES],
                           extra_cflags=[*FLAGS, *defines], extra_ldflags=["-fopenmp"],
                           build_directory=str(directory), is_python_module=False,
                           verbose=False)

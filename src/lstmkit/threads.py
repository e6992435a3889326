"""How many torch threads a job runs on.

On a machine whose cores other processes keep busy, torch's intra-op threads wait for
each other at the end of every parallel operation, and a training step of a small model
was measured up to 200 times slower on two threads than on one; on an idle machine two
threads are about 1.8 times faster. ``"auto"`` therefore takes the cores that are idle
when the job starts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

Threads = int | str | None  # a count, "auto", or None (leave torch's setting)


def idle_cores() -> int:
    """Cores this process may use minus the 1-minute load average, at least 1.

    The load average lags by about a minute: right after another heavy job ends it
    still counts that job.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, min(cores, round(cores - load)))


def resolve_threads(n: Threads) -> int | None:
    """The thread count ``n`` stands for: ``"auto"`` is :func:`idle_cores`.

    Example:
        >>> resolve_threads(3), resolve_threads(None), resolve_threads("auto") >= 1
        (3, None, True)
    """
    if n == "auto":
        return idle_cores()
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"num_threads: expected a positive integer, 'auto' or None, got {n!r}")
    return n


@contextmanager
def torch_threads(n: Threads) -> Iterator[None]:
    """Run the block on ``n`` torch threads (``"auto"``: the idle cores; None: leave the
    setting alone), then restore the previous setting.

    A B = 1 step is memory-bound, so more threads only add synchronisation.
    """
    threads, wanted = torch.get_num_threads(), resolve_threads(n)
    if wanted is not None:
        torch.set_num_threads(wanted)
    try:
        yield
    finally:
        torch.set_num_threads(threads)

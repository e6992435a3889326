"""``lstmkit train CONFIG --nproc N``: N data-parallel training processes on this machine,
started by torchrun (``python -m torch.distributed.run --standalone``) exactly as a user
would start them by hand, so the two give the same run.

A subprocess rather than torch's elastic agent in this process: torchrun's own command
line is the documented, tested way to start the group (the same one that serves several
machines), and the command line of this process (its environment, threads, signal
handlers) stays as it is.
"""

from __future__ import annotations

import os
import subprocess
import sys

from ..errors import ConfigError, LstmkitError


class LaunchError(LstmkitError):
    """The training processes started by ``--nproc`` did not all finish (exit 1)."""


def check_nproc(nproc: int) -> None:
    """``--nproc`` must be at least 1, and is not given to a process torchrun started.

    Raises:
        ConfigError: naming the option, what it takes and what came.
    """
    if nproc < 1:
        raise ConfigError(f"--nproc must be at least 1 (training processes on this "
                          f"machine), got {nproc}")
    if nproc > 1 and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ConfigError(f"--nproc {nproc} under torchrun: torchrun already started the "
                          "processes; leave --nproc out")


def torchrun_command(nproc: int, argv: list[str]) -> list[str]:
    """The torchrun command that runs ``lstmkit ARGV`` in ``nproc`` processes here.

    Example:
        >>> torchrun_command(2, ["train", "exp.toml"])[2:6]
        ['torch.distributed.run', '--standalone', '--nproc-per-node', '2']
    """
    return [sys.executable, "-m", "torch.distributed.run", "--standalone",
            "--nproc-per-node", str(nproc), "-m", "lstmkit.cli.main", *argv]


def thread_share(nproc: int) -> int:
    """Torch threads per process: the cores this process may use, shared out."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else \
        os.cpu_count() or 1
    return max(1, cores // nproc)


def launch(nproc: int, argv: list[str]) -> None:
    """Run ``lstmkit ARGV`` in ``nproc`` processes under torchrun and wait for them.

    Each process gets ``cores // nproc`` threads (``OMP_NUM_THREADS``, unless set).

    Raises:
        LaunchError: a process failed (its own ``error:`` line is printed above).
    """
    env = {**os.environ}
    env.setdefault("OMP_NUM_THREADS", str(thread_share(nproc)))
    with subprocess.Popen(torchrun_command(nproc, argv), env=env) as group:
        try:
            status = group.wait()
        except KeyboardInterrupt:  # torchrun got the same Ctrl-C and stops its processes
            group.wait()
            raise
    if status != 0:
        raise LaunchError(f"--nproc {nproc}: the training processes stopped with exit "
                          f"status {status} (torchrun's report and their messages are "
                          "above)")

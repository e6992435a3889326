"""Data-parallel training with ``torch.distributed``: ``torchrun --nproc-per-node N``
(and ``--nnodes`` for several machines) runs N copies of a training; the
:class:`~lstmkit.training.Trainer` of each copy finds the process group and trains its
share of every batch.

* The network is wrapped in :class:`DistributedModel` (torch's
  ``DistributedDataParallel``): rank 0's initial weights are broadcast, and gradients are
  averaged over the ranks during ``backward``.
* Every global batch is split along dimension 0 into one shard per rank
  (:class:`ShardedBatches`, the split ``DistributedSampler`` makes of a dataset, made
  per batch): the batch order and the number of steps per epoch are those of a single
  process, so N processes with a per-rank share of ``batch_size`` take the same steps
  as one process on the whole batch, and a checkpoint resumes on any number of
  processes.
* Rank 0 alone writes checkpoints (and, in ``lstmkit train``, outputs and tracking);
  every rank resumes from the same checkpoint, which is what torchrun's restart of the
  whole group after a failure needs.
* Validation runs on every rank over the whole validation set (the same weights give the
  same metrics, so early stopping agrees without communication).

Without a process group (or with one process) nothing here is used and the trainer's
loop is unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

from .batches import BatchSource


def world() -> tuple[int, int]:
    """``(rank, world_size)`` of the process group, ``(0, 1)`` without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_main_process() -> bool:
    """True on rank 0 (and without a process group): the process that writes."""
    return world()[0] == 0


def init_from_env(backend: str | None = None) -> bool:
    """Join the process group torchrun describes (``WORLD_SIZE`` > 1 in the
    environment, with ``RANK``, ``MASTER_ADDR``, ``MASTER_PORT``); True if joined.

    The group's keys in torchrun's store are prefixed with the restart count
    (``TORCHELASTIC_RESTART_COUNT``): the store outlives a restart, and ranks of a
    restarted group must not read the addresses the failed attempt left there (gloo
    then tries to connect to a dead process and times out).

    Args:
        backend: ``"gloo"`` (CPU) or ``"nccl"`` (GPU); default: nccl when CUDA is
            available, else gloo.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1 or not dist.is_available():
        return False
    if dist.is_initialized():
        return True
    rank = int(os.environ["RANK"])
    agent_store = os.environ.get("TORCHELASTIC_USE_AGENT_STORE", "").lower() == "true"
    store = dist.TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]),
                          world_size, is_master=rank == 0 and not agent_store,
                          timeout=timedelta(minutes=5))
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    dist.init_process_group(backend or ("nccl" if torch.cuda.is_available() else "gloo"),
                            store=dist.PrefixStore(f"lstmkit/attempt-{attempt}", store),
                            rank=rank, world_size=world_size)
    return True


def barrier() -> None:
    """Wait for every rank (nothing without a process group)."""
    if world()[1] > 1:
        dist.barrier()


class DistributedModel(DistributedDataParallel):
    """``DistributedDataParallel`` that also answers the wrapped module's attributes
    (``model.dist``, ``model.hidden_size``...), so a task's step function works on it
    unchanged. Calling it runs the module's ``forward`` with gradient averaging."""

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.module, name)


def shard(batch: Any, rank: int, world_size: int) -> Any:
    """Rank ``rank``'s share of ``batch``: every tensor split along dimension 0 into
    ``world_size`` near-equal parts (``Tensor.tensor_split``); tuples, lists and dicts
    are split item by item, anything else is passed as it is.

    Example:
        >>> shard((torch.arange(4), "meta"), 1, 2)
        (tensor([2, 3]), 'meta')
    """
    if isinstance(batch, Tensor) and batch.dim() > 0:
        return batch.tensor_split(world_size)[rank]
    if isinstance(batch, (tuple, list)):
        return type(batch)(shard(b, rank, world_size) for b in batch)
    if isinstance(batch, dict):
        return {k: shard(v, rank, world_size) for k, v in batch.items()}
    return batch


class ShardedBatches:
    """A batch source whose every batch is this rank's shard of ``source``'s batch.

    Args:
        source: the global batches (the same order on every rank: it depends only on
            ``(seed, epoch)``).
        rank, world_size: this process and the group's size.
    """

    def __init__(self, source: BatchSource, rank: int, world_size: int) -> None:
        self.source, self.rank, self.world_size = source, rank, world_size

    def __len__(self) -> int:
        return len(self.source)

    def epoch(self, epoch: int, seed: int, start: int = 0) -> Iterator[Any]:
        """This rank's shards of the batches ``start..`` of ``epoch``."""
        for batch in self.source.epoch(epoch, seed, start=start):
            yield shard(batch, self.rank, self.world_size)


@dataclass(frozen=True)
class DataParallel:
    """What the trainer does differently in a process group of ``world_size`` > 1."""

    rank: int
    world_size: int

    @property
    def is_main(self) -> bool:
        """Rank 0: the only rank that writes checkpoints."""
        return self.rank == 0

    def wrap(self, model: nn.Module) -> DistributedModel:
        """The network wrapped for gradient averaging (weights broadcast from rank 0)."""
        return DistributedModel(model)

    def shard(self, source: BatchSource) -> ShardedBatches:
        """This rank's share of every batch of ``source``."""
        return ShardedBatches(source, self.rank, self.world_size)

    def all_finite(self, loss: Tensor) -> bool:
        """Whether the loss is finite on every rank: a step is taken (and ``backward``,
        which communicates, is called) by all ranks or by none."""
        flag = torch.tensor([float(bool(torch.isfinite(loss)))])
        dist.all_reduce(flag, op=dist.ReduceOp.MIN)
        return bool(flag.item())

    def epoch_loss(self, loss_sum: float, loss_count: int) -> tuple[float, int]:
        """The epoch's summed shard losses and step counts over every rank (their ratio
        is the mean training loss of the epoch)."""
        totals = torch.tensor([loss_sum, float(loss_count)], dtype=torch.float64)
        dist.all_reduce(totals)
        return float(totals[0]), int(totals[1])


def data_parallel() -> DataParallel | None:
    """A :class:`DataParallel` for the current process group, None without one (or
    with a single process)."""
    rank, world_size = world()
    return DataParallel(rank, world_size) if world_size > 1 else None

"""Data-parallel training: 2 processes (gloo over loopback) equal 1 process on the same
global batch; rank 0 alone writes checkpoints; a checkpoint resumes on another number of
processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import safetensors.torch
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from lstmkit.training.batches import TensorBatches
from lstmkit.training.distributed import ShardedBatches, data_parallel, shard, world

sys.path.insert(0, str(Path(__file__).parent))
import ddp_job

pytestmark = pytest.mark.skipif(not dist.is_available() or sys.platform == "win32",
                                reason="needs torch.distributed with gloo")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ranks(folder: Path, world_size: int, *, resume: bool = False,
              stop_at: int | None = None) -> list[dict[str, torch.Tensor]]:
    """Train in ``world_size`` spawned processes; each rank's final weights."""
    mp.spawn(ddp_job.rank_main, args=(world_size, free_port(), str(folder), resume, stop_at),
             nprocs=world_size, join=True)
    return [safetensors.torch.load_file(str(folder / f"weights-rank{r}.safetensors"))
            for r in range(world_size)]


def test_shard_splits_every_tensor_of_a_batch_along_dimension_0():
    x, y = torch.arange(10).reshape(5, 2), torch.arange(5)
    parts = [shard((x, {"y": y}, 7), r, 2) for r in range(2)]
    assert torch.equal(torch.cat([p[0] for p in parts]), x)
    assert torch.equal(torch.cat([p[1]["y"] for p in parts]), y)
    assert [p[2] for p in parts] == [7, 7]


def test_sharded_batches_keep_the_global_order_and_length():
    source = TensorBatches(torch.arange(12.0), batch_size=4)
    ranks = [ShardedBatches(source, r, 2) for r in range(2)]
    assert len(ranks[0]) == len(source) == 3
    merged = [torch.cat([a[0], b[0]]) for a, b in zip(*(s.epoch(1, 5) for s in ranks),
                                                      strict=True)]
    assert all(torch.equal(m, g[0]) for m, g in zip(merged, source.epoch(1, 5), strict=True))


def test_without_a_process_group_the_trainer_is_not_parallel():
    assert world() == (0, 1) and data_parallel() is None


def test_ddp_two_processes_equal_one_process_on_the_same_global_batch(tmp_path):
    single, recorder = ddp_job.train(None)
    ranks = run_ranks(tmp_path, 2)
    rows = [int((tmp_path / f"rows-rank{r}.txt").read_text()) for r in range(2)]
    assert rows == [recorder.rows // 2] * 2 and recorder.rows == 48 * ddp_job.CONFIG.epochs
    for name, value in single.items():
        torch.testing.assert_close(ranks[0][name], value, rtol=0, atol=1e-10)
        torch.testing.assert_close(ranks[1][name], ranks[0][name], rtol=0, atol=0)
    # rank 0 alone wrote checkpoints (last and best each epoch); rank 1 none
    assert int((tmp_path / "checkpoints-rank0.txt").read_text()) >= ddp_job.CONFIG.epochs
    assert int((tmp_path / "checkpoints-rank1.txt").read_text()) == 0


@pytest.mark.parametrize(("first", "second"), [(2, 1), (1, 2)])
def test_checkpoint_resumes_on_another_number_of_processes(tmp_path, first, second):
    """Stopped mid-epoch (step 8 of 18) on ``first`` processes, resumed on ``second``:
    the same weights as one uninterrupted process."""
    reference, _ = ddp_job.train(None)
    (tmp_path / "ckpt").mkdir()
    for world_size, resume, stop_at in ((first, False, 8), (second, True, None)):
        if world_size == 1:
            weights, _ = ddp_job.train(tmp_path, resume=resume, stop_at=stop_at)
        else:
            weights = run_ranks(tmp_path, world_size, resume=resume, stop_at=stop_at)[0]
        if stop_at:
            assert (tmp_path / "ckpt" / "last.safetensors").exists()
    for name, value in reference.items():
        torch.testing.assert_close(weights[name], value, rtol=0, atol=1e-10)


def test_torchrun_restart_after_a_worker_dies_resumes_from_the_checkpoint(tmp_path):
    """Rank 1 exits at step 9 (epoch 2); torchrun restarts both ranks, which resume from
    the epoch-1 checkpoint and end with the weights of one uninterrupted process."""
    reference, _ = ddp_job.train(None)
    (tmp_path / "ckpt").mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OMP_NUM_THREADS": "1",
           "GLOO_SOCKET_IFNAME": "lo"}
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
         "--max-restarts", "2", "--rdzv-backend", "c10d", "--rdzv-endpoint",
         f"127.0.0.1:{free_port()}", str(Path(ddp_job.__file__)), str(tmp_path), "9"],
        env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "crashed").exists()
    # One restart is needed; a second is allowed, as in production: once in about a dozen
    # CI runs gloo aborted the restarted rank while the crashed group's sockets closed.
    started = (tmp_path / "started-rank1.txt").read_text().split()
    assert started[0] == "new" and started[1:] in (["resumed"], ["resumed", "resumed"])
    # after the restart each rank trained epochs 2 and 3 only: half of 2 x 48 rows
    assert (tmp_path / "rows-rank1.txt").read_text() == str(48 * 2 // 2)
    weights = safetensors.torch.load_file(str(tmp_path / "weights.safetensors"))
    for name, value in reference.items():
        torch.testing.assert_close(weights[name], value, rtol=0, atol=1e-10)

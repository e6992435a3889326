"""``lstmkit train`` under torchrun: 2 processes train data-parallel, rank 0 alone writes
the run directory, and the result matches one process on the same global batch."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
import safetensors.torch
import torch
import torch.distributed as dist

pytestmark = pytest.mark.skipif(not dist.is_available() or sys.platform == "win32",
                                reason="needs torch.distributed with gloo")

EXPERIMENT = """[experiment]
task = "adding"
name = "ddp"
[train]
epochs = 2
[task]
seq_len = 6
n_train = 160
n_test = 32
hidden_size = 4
batch_size = 32
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("launcher", ["torchrun", "--nproc"])
def test_two_processes_write_one_run_matching_one_process(launcher, run, tmp_path,
                                                         monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "exp.toml").write_text(EXPERIMENT)
    env = {"PYTHONPATH": os.pathsep.join(sys.path), "OMP_NUM_THREADS": "1",
           "GLOO_SOCKET_IFNAME": "lo"}
    if launcher == "torchrun":  # by hand, as docs/distributed.md shows
        done = subprocess.run(
            [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
             "--master-addr", "127.0.0.1", "--master-port", str(free_port()),
             "-m", "lstmkit.cli.main", "train", "exp.toml", "--no-tracking"],
            cwd=tmp_path, env={**os.environ, **env}, capture_output=True, text=True,
            timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        out = done.stdout
    else:  # lstmkit train --nproc 2 starts torchrun itself
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert run(["train", "exp.toml", "--no-tracking", "--nproc", "2"]) == 0
        out = capfd.readouterr().out
    assert out.count("run directory:") == 1  # rank 0 reports, rank 1 is silent
    outputs = tmp_path / "lstmkit-runs" / "outputs"
    assert sorted(p.name for p in outputs.iterdir()) == ["ddp"]  # no staging left over
    assert run(["train", "exp.toml", "--no-tracking", "--experiment.name=single",
                "--nproc", "1"]) == 0  # --nproc 1: plain training in this process
    ddp = safetensors.torch.load_file(str(outputs / "ddp" / "model" / "model.safetensors"))
    one = safetensors.torch.load_file(str(outputs / "single" / "model" / "model.safetensors"))
    assert ddp.keys() == one.keys()
    for name in one:  # float32: the two reductions differ in rounding only
        torch.testing.assert_close(ddp[name], one[name], rtol=0, atol=1e-3)


def test_forwarded_arguments_are_those_of_the_command_without_nproc():
    from pathlib import Path

    from lstmkit.cli.train import forwarded

    argv = forwarded(Path("e.toml"), ["--train.lr=0.1"], data="d.csv", resume=False,
                     overwrite=True, tracking_uri="sqlite:///m.db", no_tracking=False)
    assert argv == ["train", "e.toml", "--train.lr=0.1", "--data", "d.csv",
                    "--tracking-uri", "sqlite:///m.db", "--overwrite"]

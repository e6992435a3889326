"""Building the kernels: available where a compiler is, one warning and the reference
path where the build fails, ``LSTMKIT_KERNELS=0`` honoured."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings

import pytest
import torch
from torch.testing import assert_close

import lstmkit
from lstmkit.kernels import build


@pytest.mark.skipif(shutil.which("c++") is None or not build.enabled(),
                    reason="no C++ compiler, or kernels switched off")
def test_build_kernels_available_with_compiler():
    assert build.load()
    assert hasattr(torch.ops.lstmkit, "lstm_forward")


def test_build_failure_warns_once_and_falls_back(monkeypatch, reference):
    def broken_compile():
        raise RuntimeError("Error building extension: no compiler")

    monkeypatch.setattr(build, "_compile", broken_compile)
    monkeypatch.setattr(build, "_loaded", None)
    with pytest.warns(RuntimeWarning, match="could not build the fused CPU kernels"):
        assert build.load() is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert build.load() is False
        model = lstmkit.LSTM(3, 4)
        x = torch.randn(5, 2, 3)
        out = model(x)[0]
    assert_close(out, reference(model, x)[0])


def test_build_bad_compiler_falls_back_in_fresh_process(tmp_path):
    code = ("import warnings, torch, lstmkit\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    out = lstmkit.GRU(3, 4)(torch.randn(5, 2, 3))[0]\n"
            "    lstmkit.LSTM(3, 4)(torch.randn(5, 2, 3))\n"
            "print(lstmkit.kernels.available(), tuple(out.shape),\n"
            "      sum('could not build' in str(w.message) for w in caught))\n")
    env = {**os.environ, "LSTMKIT_CACHE": str(tmp_path), "CXX": "/bin/false",
           "LSTMKIT_KERNELS": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    assert done.stdout.split("\n")[-2] == "False (5, 2, 4) 1"


def test_build_env_zero_disables_without_building(monkeypatch):
    monkeypatch.setenv("LSTMKIT_KERNELS", "0")
    monkeypatch.setattr(build, "_compile", lambda: pytest.fail("must not build"))
    monkeypatch.setattr(build, "_loaded", None)
    assert build.load() is False

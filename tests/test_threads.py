"""Thread-count selection: "auto" takes the idle cores; the setting is restored."""

from __future__ import annotations

import os

import pytest
import torch

from lstmkit import threads
from lstmkit.tasks.text import TextModel


@pytest.mark.parametrize(("load", "expected"), [(0.0, 2), (0.4, 2), (0.6, 1), (1.7, 1),
                                                (9.0, 1)])
def test_idle_cores_is_cores_minus_load_at_least_one(monkeypatch, load, expected):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, 0.0, 0.0))
    assert threads.idle_cores() == expected


def test_torch_threads_sets_and_restores(monkeypatch):
    monkeypatch.setattr(threads, "idle_cores", lambda: 1)
    before = torch.get_num_threads()
    with threads.torch_threads("auto"):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with threads.torch_threads(None):
        assert torch.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -2, "many", 1.5, True])
def test_bad_thread_counts_are_rejected_by_name(bad):
    with pytest.raises(ValueError, match="num_threads: expected a positive integer"):
        threads.resolve_threads(bad)
    with pytest.raises(ValueError, match="num_threads"):
        TextModel(num_threads=bad)

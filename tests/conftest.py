"""Shared fixtures: deterministic seeds for every test; the command line run in-process."""

import pytest
import torch

from lstmkit.cli.main import main


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield


def _run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return exc.code or 0
    return 0


@pytest.fixture(scope="session")
def run():
    """``run(argv) -> exit code``: ``lstmkit ARGV`` in this process."""
    return _run

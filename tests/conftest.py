"""Shared fixtures: deterministic seeds for every test; the command line run in-process;
a fitted model saved as an older lstmkit wrote it."""

import json
from pathlib import Path

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


def _saved_without(model, where: Path, *settings: str, fitted: tuple[str, ...] = ()):
    model.save(where)
    path = where / "config.json"
    config = json.loads(path.read_text())
    for key in settings:
        del config["config"]["settings"][key]
    for key in fitted:  # "inputs.affix_size": a nested key of the fitted state
        *parents, last = key.split(".")
        node = config["config"]["fitted"]
        for parent in parents:
            node = node[parent]
        del node[last]
    path.write_text(json.dumps(config))
    return type(model).load(where)


@pytest.fixture(scope="session")
def saved_without():
    """``saved_without(model, folder, *settings, fitted=())``: ``model`` saved to
    ``folder`` as an older lstmkit wrote it, without those settings (and ``fitted``
    keys, dotted), then loaded again."""
    return _saved_without

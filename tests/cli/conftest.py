"""The command line run in-process, for every CLI test."""

import pytest

from lstmkit.cli.main import main


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

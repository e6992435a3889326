"""Errors a user can cause: each message names the file, key or value at fault.

The command line prints a :class:`LstmkitError` as one line and exits non-zero (a
traceback only with ``--debug``); library users catch it like any exception.
"""

from __future__ import annotations


class LstmkitError(Exception):
    """A problem the user can fix (missing file, bad config, bad data, corrupt file).

    Attributes:
        exit_code: the process exit status the command line uses for this error.
    """

    exit_code: int = 1


class ConfigError(LstmkitError, ValueError):
    """An experiment file or override is malformed, or names an unknown key."""

    exit_code = 2


class DatasetError(LstmkitError):
    """A dataset is missing, unregistered, or unreadable."""


class CheckpointError(LstmkitError):
    """A checkpoint file is missing, corrupt, truncated, or not a checkpoint."""


class ModelFileError(LstmkitError):
    """A saved model directory is missing parts, corrupt, unsafe, or from a newer format."""


class TrainingStopped(LstmkitError):
    """Training stopped early on purpose (Ctrl-C, or non-finite losses that kept coming).

    Attributes:
        checkpoint: the last good checkpoint file, if one was written.
    """

    def __init__(self, message: str, checkpoint: str | None = None, exit_code: int = 1) -> None:
        super().__init__(message)
        self.checkpoint = checkpoint
        self.exit_code = exit_code

"""Progress bars for long work outside the trainer (which has its own
:class:`~lstmkit.training.callbacks.ProgressBar`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


@contextmanager
def progress_bar(what: str, total: int, *, enabled: bool = True
                 ) -> Iterator[Callable[[int], None]]:
    """A transient rich progress bar on stderr, drawn only on a terminal; yields
    ``advance(n)``.

    Example:
        >>> with progress_bar("counting", 3) as advance:
        ...     for _ in range(3):
        ...         advance(1)
    """
    console = Console(stderr=True)
    with Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True,
                  disable=not (enabled and console.is_terminal)) as bar:
        task = bar.add_task(what, total=total)
        yield lambda n: bar.advance(task, n)

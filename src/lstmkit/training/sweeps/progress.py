"""A sweep's progress bar: trials done out of ``--trials``, the best value so far and the
time left, drawn on a terminal only (CI logs and pipes get nothing).

The bar reads the study from its storage (its own connection, polled from a thread
every second) rather than hearing from the trials: the workers are other processes
(``--jobs``), or other machines sharing the study, and every finished trial of any of
them counts.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from .report import scored_trials
from .storage import close_storage, finished, open_storage

log = logging.getLogger("lstmkit.training")


class SweepProgress:
    """A context manager that shows the study's progress while the sweep runs.

    Args:
        storage_url, study_name: the study.
        total: the trials the sweep runs to (``--trials``).
        metric: the optimised metric, for the label.
        console: where to draw (default: standard error); nothing is drawn, and no
            thread started, when it is not a terminal.
        interval: seconds between reads of the study.
    """

    def __init__(self, storage_url: str, study_name: str, total: int, metric: str, *,
                 console: Console | None = None, interval: float = 1.0) -> None:
        self.url, self.name, self.total, self.metric = storage_url, study_name, total, metric
        self.console = console or Console(stderr=True)
        self.enabled = self.console.is_terminal
        self.interval = interval
        self.progress = Progress(
            TextColumn("trials"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[best]}"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=self.console, disable=not self.enabled)
        self.task: Any = None
        self.study: Any = None
        self._store: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> SweepProgress:
        if self.enabled:
            self.task = self.progress.add_task("sweep", total=self.total, best="",
                                               completed=self._read()[0])
            self.progress.start()
            self._thread = threading.Thread(target=self._follow, daemon=True,
                                            name="lstmkit-sweep-progress")
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self.poll()
        self.progress.stop()
        if self.study is not None:
            close_storage(self._store)

    def poll(self) -> None:
        """Read the study once and update the bar."""
        done, best = self._read()
        self.progress.update(self.task, completed=done, best=best)

    def _read(self) -> tuple[int, str]:
        import optuna

        if self.study is None:
            self._store = open_storage(self.url)
            self.study = optuna.load_study(study_name=self.name, storage=self._store)
        trials = scored_trials(self.study)
        best = (f"best {self.metric} {trials[0].value:.4g} (trial {trials[0].number})"
                if trials else "")
        return finished(self.study), best

    def _follow(self) -> None:
        """Poll until stopped; a storage that cannot be read stops the bar, not the
        sweep (the trials write through their own connections)."""
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception as exc:  # the database, the driver or the journal file
                log.warning("sweep progress stopped: cannot read the study: %s", exc)
                return

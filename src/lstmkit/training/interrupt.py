"""Ctrl-C as a request: the first SIGINT sets a flag the loop checks at a safe point."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def deferred_sigint(on_first: Callable[[], None]) -> Iterator[None]:
    """Within the block, the first Ctrl-C calls ``on_first`` instead of raising; a second
    one raises ``KeyboardInterrupt`` at once. Outside the main thread this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = []

    def handler(signum: int, frame: Any) -> None:
        if pressed:
            raise KeyboardInterrupt
        pressed.append(signum)
        on_first()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)

"""The one clock every service reads. Tests and the local stack move it forward instead of waiting."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, by: timedelta) -> None:
        with self._lock:
            self._offset += by

    @contextmanager
    def moved(self, by: timedelta) -> Iterator[None]:
        """The clock ``by`` ahead while the block runs, then back."""
        self.advance(by)
        try:
            yield
        finally:
            self.advance(-by)

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)


CLOCK = Clock()

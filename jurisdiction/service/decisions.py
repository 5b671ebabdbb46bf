"""The decision log: one JSON line per assessment answered, written off the event loop.

A request puts its entry on a queue (`logging.handlers.QueueHandler`) and moves on; a
listener thread writes it. The file:

- is created owner-only (0600): it names practices and their verdicts;
- gets each line in one `write()` on an O_APPEND descriptor, so lines from several worker
  processes never interleave, and nothing is buffered in the process;
- is reopened when it was moved or deleted (log rotation), checked before each write, and on
  demand (`reopen()`, which SIGHUP calls);
- is flushed to disk (`fsync`) at most once a second while entries arrive, and on close:
  after a crash of the machine, at most the last second of entries can be lost; after a
  crash of the process, nothing that was written.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import queue
import threading
import time
from typing import Any

__all__ = ["DecisionFile", "DecisionLog"]

SYNC_SECONDS = 1.0


class DecisionFile(logging.Handler):
    """A logging handler that appends each record's message as one line (see the module)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self._fd: int | None = None
        self._inode: tuple[int, int] | None = None
        self._synced = time.monotonic()
        self._io = threading.Lock()
        self._open()

    def _open(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        st = os.fstat(fd)
        self._fd, self._inode = fd, (st.st_dev, st.st_ino)

    def reopen(self) -> None:
        """Close and open the path again (after a rotation)."""
        with self._io:
            self._close_fd()
            self._open()

    def _moved(self) -> bool:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return True
        return (st.st_dev, st.st_ino) != self._inode

    def emit(self, record: logging.LogRecord) -> None:
        line = (record.getMessage() + "\n").encode()
        with self._io:
            if self._fd is None or self._moved():
                self._close_fd()
                self._open()
            assert self._fd is not None
            os.write(self._fd, line)
            now = time.monotonic()
            if now - self._synced >= SYNC_SECONDS:
                os.fsync(self._fd)
                self._synced = now

    def _close_fd(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None

    def close(self) -> None:
        with self._io:
            self._close_fd()
        super().close()


class DecisionLog:
    """A service's decision log: `record()` from the event loop; written by a thread."""

    def __init__(self, path: str) -> None:
        self.file = DecisionFile(path)
        self._queue: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
        self._listener = logging.handlers.QueueListener(self._queue, self.file)
        self._logger = logging.Logger(f"jurisdiction.decisions.{id(self)}")  # this log's own, not a global one
        self._logger.addHandler(logging.handlers.QueueHandler(self._queue))
        self._logger.propagate = False
        self._listener.start()

    def record(self, entry: dict[str, Any]) -> None:
        self._logger.info("%s", json.dumps(entry, ensure_ascii=False))

    def reopen(self) -> None:
        self.file.reopen()

    def close(self) -> None:
        """Write what is queued, then close the file (flushed to disk)."""
        self._listener.stop()
        self.file.close()

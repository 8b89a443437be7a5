"""One process at a time in an embedded incident memory: a file lock beside the store.

An embedded Chroma store is one SQLite file and HNSW index files that each process keeps a
copy of in memory and writes back. Two processes writing at once (two ``memory ingest``
runs, or an ingest beside a server that remembers drafts) left the store unusable in 3 of 6
trials: the next open segfaulted or hung. So every use of an embedded store happens under an
exclusive operating-system lock (:mod:`pm_agent.guards.filelock`) on ``pm-agent-memory.lock`` in its
directory; a second process waits for the first and then carries on.

The lock file also counts writes. A process may keep its Chroma client open between uses,
but only while nobody else wrote: when the count differs from the one it saw, it opens the
store again (a client opened before another process's write holds a stale index).

A Chroma server (``chroma run``, ``PM_AGENT_CHROMA_URL``) serialises its clients itself and
needs none of this: it is how several processes share one memory at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

from pm_agent.errors import MemoryStoreError
from pm_agent.guards.filelock import try_lock, unlock

log = logging.getLogger("pm_agent.memory")

LOCK_FILE = "pm-agent-memory.lock"
WAIT_S = 900.0
"""How long to wait for another process to finish with the memory before giving up."""
POLL_S = 0.1
_told: set[Path] = set()


def server_mode_hint(directory: Path) -> str:
    return (
        f"an embedded memory is used by one process at a time; for several at once, serve it with "
        f"`chroma run --path {directory}` and set PM_AGENT_CHROMA_URL=http://localhost:8000"
    )


class StoreLock:
    """The exclusive lock on an embedded memory directory, and the count of writes made under it."""

    def __init__(self, directory: Path, wait_s: float | None = None) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOCK_FILE
        self.wait_s = WAIT_S if wait_s is None else wait_s
        self._handle = None

    @contextlib.contextmanager
    def held(self) -> Iterator[StoreLock]:
        """Hold the lock for the block, waiting for another process to release it (up to ``wait_s``)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("a+", encoding="ascii")
        except OSError as exc:
            raise MemoryStoreError(
                f"cannot use the incident memory at {self.directory}: {exc.strerror} ({self.path}); "
                "set PM_AGENT_MEMORY_DIR to a directory pm-agent can write"
            ) from None
        try:
            self._acquire(handle)
            self._handle = handle
            try:
                yield self
            finally:
                self._handle = None
                unlock(handle.fileno())
        finally:
            handle.close()

    def _acquire(self, handle) -> None:
        if try_lock(handle.fileno()):
            return
        tell = log.info if self.directory in _told else log.warning  # a server waiting at every call says it once
        _told.add(self.directory)
        tell("waiting for another pm-agent process to finish with the memory at %s", self.directory)
        deadline = time.monotonic() + self.wait_s
        while True:
            if try_lock(handle.fileno()):
                return
            if time.monotonic() >= deadline:
                raise MemoryStoreError(
                    f"the incident memory at {self.directory} is still in use by another process after "
                    f"{self.wait_s:g} s; {server_mode_hint(self.directory)}"
                )
            time.sleep(POLL_S)

    def writes(self) -> int:
        """How many writes were made under this lock so far (read while holding it)."""
        self._handle.seek(0)
        text = self._handle.read().strip()
        return int(text) if text.isdigit() else 0

    def count_write(self) -> int:
        """Record one more write (while holding the lock); returns the new count."""
        count = self.writes() + 1
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(str(count))
        self._handle.flush()
        os.fsync(self._handle.fileno())
        return count

"""An exclusive operating-system lock on an open file, on POSIX and on Windows.

The incident memory's store lock and the job queue's claims both need one: ``flock`` where
``fcntl`` exists, ``msvcrt.locking`` on the file's first byte on Windows. Either lock goes away
when its holder closes the file or dies, so a crashed process leaves nothing stale behind.

Which one is used follows from which module imports, not from ``os.name``: the memory and the
queue import on any platform that has one of the two.
"""

from __future__ import annotations

import os

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt


def try_lock(fd: int) -> bool:
    """Take the exclusive lock on the open file ``fd`` without waiting; False when another open file holds it
    (in this process or another)."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
    try:
        _at_first_byte(fd, msvcrt.LK_NBLCK)
        return True
    except OSError:
        return False


def unlock(fd: int) -> None:
    """Let go of the lock taken by :func:`try_lock` (closing the file lets go of it too)."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:
        _at_first_byte(fd, msvcrt.LK_UNLCK)


def _at_first_byte(fd: int, mode: int) -> None:
    """``msvcrt.locking`` on byte 0, whatever the file's position: it locks from the current position, which
    differs between holders (a file opened for appending starts at its end)."""
    position = os.lseek(fd, 0, os.SEEK_CUR)
    os.lseek(fd, 0, os.SEEK_SET)
    try:
        msvcrt.locking(fd, mode, 1)
    finally:
        os.lseek(fd, position, os.SEEK_SET)

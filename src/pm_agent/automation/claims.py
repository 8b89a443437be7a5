"""Claims on queued jobs between processes: an operating-system lock on one small file per job.

A worker drafts a job only while it holds the job's lock, so two processes draining one queue
(``serve`` and ``watch``, or two servers) never draft the same job twice. The lock is the
operating system's (:mod:`pm_agent.guards.filelock`: ``flock`` on POSIX, ``msvcrt.locking`` on Windows): it goes
away when its holder closes the file or dies, so a crashed worker leaves no stale claim and needs no timeout.

The holder removes the lock file before letting go of it. A process that opened the file just
before that gets the lock on a file no longer in the folder; it checks for this and gives up,
since the job it wanted has been finished.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from pm_agent.guards.filelock import try_lock


@dataclass(frozen=True)
class Claim:
    """A held lock: the file and the open handle the lock lives on."""

    path: Path
    handle: int


def try_claim(path: Path) -> Claim | None:
    """The lock on ``path`` (created if missing), or None when another worker, here or in another process, holds it."""
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    if not try_lock(handle) or not _still_in_folder(handle, path):
        os.close(handle)
        return None
    os.ftruncate(handle, 0)
    os.write(handle, f"{os.getpid()}\n".encode())  # who holds it, for a person looking at the folder
    return Claim(path, handle)


def release(claim: Claim) -> None:
    """Remove the lock file, then let go of the lock (closing the handle releases it)."""
    with contextlib.suppress(OSError):  # Windows cannot remove an open file; the next claim reuses it
        claim.path.unlink(missing_ok=True)
    os.close(claim.handle)


def _still_in_folder(handle: int, path: Path) -> bool:
    """True when ``handle`` is the file ``path`` names now, not one its last holder removed."""
    try:
        return os.path.samestat(os.fstat(handle), path.stat())
    except FileNotFoundError:
        return False

"""File names from identifiers that come from outside (incident ids), and files written all or nothing.

An id may hold ``../``, an absolute path, a NUL byte, a Windows device name or thousands of
characters; :func:`safe_name` turns any of them into a plain name, and the writer still checks
the result with :func:`pm_agent.guards.safe_paths.safe_child`. Files are written whole or not at all (a
temporary file, then a rename), so a crash never leaves half a job or half a draft; the folder is
then fsynced too, so the rename itself survives a power loss (a file's own fsync does not cover its
directory entry).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path

MAX_NAME_CHARS = 80
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}


def safe_name(identifier: str) -> str:
    """A file name stem for ``identifier``: itself when already safe, else a cleaned form plus a short hash.

    Safe means letters, digits, ``.``, ``_`` and ``-`` only, not starting with a dot or dash, at most
    :data:`MAX_NAME_CHARS`, and not a Windows device name. The hash keeps two ids that clean to the
    same text (``a/b`` and ``a:b``) apart.
    """
    cleaned = _UNSAFE.sub("-", identifier).strip(".-_")[:MAX_NAME_CHARS].rstrip(".-_")
    if cleaned == identifier and cleaned and cleaned.split(".")[0].upper() not in _WINDOWS_DEVICES:
        return cleaned
    digest = hashlib.sha256(identifier.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{cleaned or 'incident'}-{digest}"


def write_temporary(folder: Path, text: str) -> Path:
    """A new hidden temporary file in ``folder`` holding ``text``, flushed to disk."""
    handle, name = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, then fsync the folder: all or nothing,
    and durable once this returns."""
    temporary = write_temporary(path.parent, text)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Flush ``folder``'s entries (files created, renamed or removed in it) to disk.

    Without it a power loss can undo a rename that was already answered as done. Windows cannot
    open a folder for this, and its file system orders metadata itself, so there it does nothing.
    """
    if os.name == "nt":
        return
    handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(handle)
    finally:
        os.close(handle)

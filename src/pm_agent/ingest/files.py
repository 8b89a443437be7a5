"""Reading one input file given by name: the one size check (``PM_AGENT_MAX_INPUT_BYTES``) and the one set of
messages for a file that is missing, unreadable, a folder, a device or too big, for every reader of
user files (incident files, texts given as files, memory rows; the MCP tools' confined reader uses the
same messages and size check around its own no-follow read, in :mod:`pm_agent.guards.safe_paths`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pm_agent.errors import InputError

MB = 1024 * 1024
NO_SUCH_FILE = "no such file"
A_FOLDER = "is a directory, expected a file"
NOT_REGULAR = "is not a regular file (a device, pipe or socket); pass an incident file"


def size_message(size: int, limit: int, *, exact: bool = True) -> str:
    """``1,234 bytes, over the 1,000-byte limit (...)``, in MB from 1 MB; without the size when it is not
    ``exact`` (a read capped at ``limit + 1`` bytes knows only that there was more)."""
    if limit < MB:
        limit_text = f"{limit:,}-byte"
    else:
        limit_text = f"{limit / MB:.1f}".removesuffix(".0") + " MB"
    size_text = f"{size:,} bytes" if size < MB else f"{size / MB:.1f} MB"
    over = f"over the {limit_text} limit (shorten or split it, or raise PM_AGENT_MAX_INPUT_BYTES)"
    return f"{size_text}, {over}" if exact else over


def check_input_size(size: int, source: str, limit: int, *, capped: bool = False) -> None:
    """An :class:`InputError` when ``size`` bytes are over ``limit``; ``capped`` when they came from a read of at
    most ``limit + 1`` bytes, so that ``limit + 1`` means "more" rather than an exact size."""
    if size > limit:
        raise InputError(size_message(size, limit, exact=not (capped and size == limit + 1)), source=source)


def cannot_read(exc: OSError, source: str) -> InputError:
    """The error for a file that could not be opened or read, by its cause."""
    if isinstance(exc, FileNotFoundError):
        return InputError(NO_SUCH_FILE, source=source)
    if isinstance(exc, IsADirectoryError):
        return InputError(A_FOLDER, source=source)
    return InputError(f"cannot read: {exc.strerror}", source=source)


def read_input_file(path: str | Path, limit: int, *, streams: bool = False) -> bytes:
    """The bytes of the file at ``path``: refused when missing, a folder, or over ``limit`` before it is read, and
    never more than ``limit + 1`` bytes read (a file may grow, or report a size of 0 like ``/proc``).

    Only regular files are read, since ``/dev/zero`` never ends and a pipe may never answer; ``streams``
    lets a pipe or device through (``--roster <(jq ...)``), still read at most ``limit + 1`` bytes.
    """
    source = str(path)
    try:
        found = os.stat(path)
        if stat.S_ISDIR(found.st_mode):
            raise InputError(A_FOLDER, source=source)
        regular = stat.S_ISREG(found.st_mode)
        if not regular and not streams:
            raise InputError(NOT_REGULAR, source=source)
        if regular:
            check_input_size(found.st_size, source, limit)
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise cannot_read(exc, source) from None
    check_input_size(len(raw), source, limit, capped=True)
    return raw

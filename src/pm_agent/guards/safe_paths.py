"""Paths and ids that arrive from outside (MCP tool arguments, resource URIs, webhook payloads) never
reach a file outside the folders pm-agent is allowed to use.

Three checks, each with a message saying what to send instead:

- :func:`check_input_path`: a file the MCP tools are asked to read must lie inside the input roots
  (``PM_AGENT_INPUT_ROOTS``, by default the folder the server was started in), reached without
  ``..``, NUL bytes or URL-encoded separators, and not by a symbolic link leading out.
  :func:`checked_input_files` applies it to every file a folder stands for, and
  :func:`read_checked` reads a checked file without following links, refusing a file swapped
  between the check and the read;
- :func:`safe_child`: a file named after an id inside the memory, output or queue folder;
- :func:`check_record_id`: an ``incident://{id}`` / ``postmortem://{id}`` id, which names a stored
  record and is never a path.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from pm_agent.errors import InputError
from pm_agent.ingest.files import NO_SUCH_FILE, NOT_REGULAR, cannot_read, check_input_size
from pm_agent.ingest.folders import folder_inputs

# %2e ".", %2f "/", %5c "\", %00 NUL, and %25 "%" (for double encoding such as %252e).
ENCODED_SEPARATOR = re.compile(r"%(?:2e|2f|5c|00|25)", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_ID_CHARS = 200
OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
"""No link followed at the last step, and no wait on a pipe swapped in for the file."""
MAX_CASE_BYTES = 1024 * 1024
"""An eval case's ``case.json`` is read only for the file names it lists."""
SWAPPED = (
    "changed between its check and its reading (replaced, moved or linked elsewhere), so it was not read; send it again"
)


@dataclass(frozen=True)
class CheckedFile:
    """A file found inside the input roots: the name to show, its real path, and its identity when checked."""

    shown: str
    real: Path
    device: int
    inode: int


def input_roots(configured: str) -> list[Path]:
    """The folders tools may read from: ``PM_AGENT_INPUT_ROOTS`` (``os.pathsep``-separated) or the working folder."""
    folders = [part for part in configured.split(os.pathsep) if part.strip()]
    return [Path(folder).expanduser().resolve() for folder in folders] or [Path.cwd().resolve()]


def check_input_path(raw: str, roots: Sequence[Path]) -> Path:
    """The resolved path of ``raw`` when it is a plain path inside one of ``roots``; else :class:`InputError`."""
    _refuse_tricks(raw, "path")
    if ".." in _parts(raw):
        raise InputError(f"{raw!r} climbs out of its folder with '..'; give the path without '..'")
    resolved = _resolve(Path(raw), raw)  # follows symbolic links, so a link leading out is caught below
    if not any(resolved.is_relative_to(root) for root in roots):
        folders = ", ".join(str(root) for root in roots)
        raise InputError(
            f"{raw!r} is outside the folders this server reads incident files from ({folders}); "
            "send the file's content in 'incident' instead, or add its folder to PM_AGENT_INPUT_ROOTS"
        )
    return resolved


def checked_input_files(raws: Sequence[str], roots: Sequence[Path]) -> list[CheckedFile]:
    """The files ``raws`` stand for, each checked against ``roots``: a file as given, a folder as
    :func:`~pm_agent.ingest.folders.folder_inputs` says (the same files ``pm-agent draft`` reads).

    Every file of a folder is checked on its own, since a folder inside the roots may hold a
    symbolic link leading out: such a link is refused, naming it; so is a ``case.json`` that is one.
    Each file's identity (device and inode) is recorded for :func:`read_checked`.
    """
    files: list[CheckedFile] = []
    for raw in raws:
        resolved = check_input_path(raw, roots)
        if resolved.is_dir():
            files += _checked_folder(resolved, raw, roots)
        else:
            files.append(_checked_file(resolved, raw))
    return files


def _checked_folder(folder: Path, raw: str, roots: Sequence[Path]) -> list[CheckedFile]:
    """The checked files a folder inside the roots stands for; a file its ``case.json`` names must be there."""

    def read_case(case: Path) -> bytes:
        checked = _folder_entry(case, _shown(raw, case.name), roots)
        return read_checked(checked, roots, MAX_CASE_BYTES) if checked else b""

    found = folder_inputs(folder, read_case, shown=raw)
    files = []
    for entry in found.files:
        shown = _shown(raw, entry.name)
        file = _folder_entry(entry, shown, roots)
        if file is None and found.listed:  # named, so missing it is an error, as for a file named by the caller
            raise InputError(NOT_REGULAR if entry.exists() else NO_SUCH_FILE, source=shown)
        files += [file] if file else []
    return files


def read_checked(file: CheckedFile, roots: Sequence[Path], max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes of ``file``, read only if it is still the file that was checked
    and not over ``max_bytes`` (:func:`pm_agent.ingest.files.check_input_size`).

    The file is opened without following a symbolic link at the last step (``O_NOFOLLOW``), then
    the open descriptor is compared with the check: same device and inode, a regular file, and
    (where the system can say) a real path inside ``roots``. A link or another file put in its
    place after the check, or a folder on the way swapped for a link, is refused instead of read.
    """
    try:
        fd = os.open(file.real, OPEN_FLAGS)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENOENT, errno.ENOTDIR):  # a link now, or gone
            raise InputError(SWAPPED, source=file.shown) from None
        raise cannot_read(exc, file.shown) from None
    try:
        opened = os.fstat(fd)
        real = _real_path_of(fd)
        moved_out = real is not None and not any(real.is_relative_to(root) for root in roots)
        if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (file.device, file.inode) or moved_out:
            raise InputError(SWAPPED, source=file.shown)
        check_input_size(opened.st_size, file.shown, max_bytes)  # before reading, as every reader does
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read(max_bytes + 1)
    finally:
        os.close(fd)


def _folder_entry(entry: Path, shown: str, roots: Sequence[Path]) -> CheckedFile | None:
    """A folder's entry as a checked file; None for what a folder's expansion skips (sub-folders, devices)."""
    if entry.is_symlink():
        target = _resolve(entry, shown)
        if not any(target.is_relative_to(root) for root in roots):
            folders = ", ".join(str(root) for root in roots)
            raise InputError(
                f"is a symbolic link to {target}, outside the folders this server reads incident files from ({folders}); "
                "remove the link, or send the file's content in 'incident' instead",
                source=shown,
            )
        entry = target
    try:
        found = os.stat(entry, follow_symlinks=False)
    except OSError:
        return None  # gone since the listing: as if it had not been there
    return CheckedFile(shown, entry, found.st_dev, found.st_ino) if stat.S_ISREG(found.st_mode) else None


def _checked_file(resolved: Path, raw: str) -> CheckedFile:
    """A named path that passed :func:`check_input_path`, if it is a regular file (it is not followed again)."""
    try:
        found = os.stat(resolved, follow_symlinks=False)
    except OSError as exc:
        raise cannot_read(exc, raw) from None
    if stat.S_ISLNK(found.st_mode):  # resolve() followed every link, so this one appeared since
        raise InputError(SWAPPED, source=raw)
    if not stat.S_ISREG(found.st_mode):
        raise InputError(NOT_REGULAR, source=raw)
    return CheckedFile(raw, resolved, found.st_dev, found.st_ino)


def _resolve(path: Path, shown: str) -> Path:
    """``path`` with every link followed; a loop of links, or a path changed while being followed, is an
    :class:`InputError`."""
    try:
        return path.resolve()
    except RuntimeError:  # Python before 3.13 reports a loop of links this way
        raise InputError("is a loop of symbolic links; pass the file itself", source=shown) from None
    except OSError as exc:  # a loop (3.13+), or a link swapped for a file between lstat and readlink
        reason = f"cannot be followed to a file ({exc.strerror}); pass the file itself, or send it again"
        raise InputError(reason, source=shown) from None


def _shown(raw: str, name: str) -> str:
    return f"{raw.rstrip('/')}/{name}" if raw.rstrip("/") else f"/{name}"


def _real_path_of(fd: int) -> Path | None:
    """Where an open descriptor really points (Linux ``/proc``, macOS ``F_GETPATH``); None where unknown."""
    try:
        if sys.platform.startswith("linux"):
            return Path(os.readlink(f"/proc/self/fd/{fd}"))
        import fcntl

        if hasattr(fcntl, "F_GETPATH"):
            return Path(fcntl.fcntl(fd, fcntl.F_GETPATH, bytes(1024)).rstrip(b"\0").decode())
    except OSError:
        return None
    return None


def safe_child(root: Path, name: str) -> Path:
    """``root / name`` for a file named after an id (``INC-42.md``), refusing any name that would leave ``root``."""
    _refuse_tricks(name, "file name")
    if not name or name in {".", ".."} or "/" in name or "\\" in name or PurePath(name).is_absolute():
        raise InputError(f"{name!r} is not a plain file name; ids used as file names may not hold '/', '\\' or '..'")
    base = root.resolve()
    child = (base / name).resolve()
    if child.parent != base:
        raise InputError(f"{name!r} would leave {base}; ids used as file names may not point elsewhere")
    return child


def check_record_id(value: str, what: str = "incident id") -> str:
    """``value`` stripped when it can name a stored record: no path, no control character, at most 200 characters."""
    text = value.strip()
    if not text or len(text) > MAX_ID_CHARS:
        raise InputError(f"the {what} must be 1 to {MAX_ID_CHARS} characters; find ids with find_related_incidents")
    _refuse_tricks(text, what)
    if "/" in text or "\\" in text or text.startswith("~") or text in {".", ".."}:
        raise InputError(
            f"{text!r} is not an {what}: ids name stored records (e.g. INC-2024-0301 or pm-0123456789abcdef), "
            "never paths; find ids with find_related_incidents"
        )
    return text


def _refuse_tricks(raw: str, what: str) -> None:
    """NUL and other control characters, and URL-encoded dots, slashes or percent signs."""
    if CONTROL.search(raw):
        raise InputError(f"the {what} {raw!r} holds a control character (such as NUL); send it as plain text")
    if ENCODED_SEPARATOR.search(raw):
        raise InputError(
            f"the {what} {raw!r} holds URL-encoded characters (%2e, %2f, %5c, %00 or %25); send it decoded"
        )


def _parts(raw: str) -> list[str]:
    return [part for part in raw.replace("\\", "/").split("/") if part]

"""Paths and ids that arrive from outside (MCP tool arguments, resource URIs, webhook payloads) never
reach a file outside the folders pm-agent is allowed to use.

Three checks, each with a message saying what to send instead:

- :func:`check_input_path`: a file the MCP tools are asked to read must lie inside the input roots
  (``PM_AGENT_INPUT_ROOTS``, by default the folder the server was started in), reached without
  ``..``, NUL bytes or URL-encoded separators, and not by a symbolic link leading out;
- :func:`safe_child`: a file named after an id inside the memory, output or queue folder;
- :func:`check_record_id`: an ``incident://{id}`` / ``postmortem://{id}`` id, which names a stored
  record and is never a path.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path, PurePath

from pm_agent.errors import InputError

# %2e ".", %2f "/", %5c "\", %00 NUL, and %25 "%" (for double encoding such as %252e).
ENCODED_SEPARATOR = re.compile(r"%(?:2e|2f|5c|00|25)", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_ID_CHARS = 200


def input_roots(configured: str) -> list[Path]:
    """The folders tools may read from: ``PM_AGENT_INPUT_ROOTS`` (``os.pathsep``-separated) or the working folder."""
    folders = [part for part in configured.split(os.pathsep) if part.strip()]
    return [Path(folder).expanduser().resolve() for folder in folders] or [Path.cwd().resolve()]


def check_input_path(raw: str, roots: Sequence[Path]) -> Path:
    """The resolved path of ``raw`` when it is a plain path inside one of ``roots``; else :class:`InputError`."""
    _refuse_tricks(raw, "path")
    if ".." in _parts(raw):
        raise InputError(f"{raw!r} climbs out of its folder with '..'; give the path without '..'")
    resolved = Path(raw).resolve()  # follows symbolic links, so a link leading out is caught below
    if not any(resolved.is_relative_to(root) for root in roots):
        folders = ", ".join(str(root) for root in roots)
        raise InputError(
            f"{raw!r} is outside the folders this server reads incident files from ({folders}); "
            "send the file's content in 'incident' instead, or add its folder to PM_AGENT_INPUT_ROOTS"
        )
    return resolved


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

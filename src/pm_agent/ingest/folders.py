"""What a folder stands for when it is given as incident input: one rule for ``pm-agent draft``, the MCP tools
(:func:`pm_agent.guards.safe_paths.checked_input_files`) and the eval cases (:mod:`pm_agent.evals.cases`).

A folder stands for the regular, non-hidden files directly inside it, sorted. An eval case folder (one
holding a ``case.json``) stands for the ``inputs`` its ``case.json`` lists, or, when it lists none, for
every other file beside it: the case's expectations are never read as incident data.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pm_agent.errors import InputError
from pm_agent.ingest.loader import parse_json

CASE_FILE = "case.json"
"""An eval case's description (``evals/cases/*/case.json``)."""
EMPTY_FOLDER = "holds no incident files (hidden files and sub-folders are skipped); pass a folder with incident files"


@dataclass(frozen=True)
class FolderInputs:
    """The files a folder stands for; ``listed`` when a ``case.json`` named them (so each one must exist)."""

    files: list[Path]
    listed: bool


def folder_inputs(
    folder: Path, read: Callable[[Path], bytes] = Path.read_bytes, shown: str | None = None
) -> FolderInputs:
    """The files ``folder`` stands for (see the module); ``read`` reads its ``case.json`` (the MCP tools pass
    one that does not follow links out of their roots). A folder standing for no file is an :class:`InputError`."""
    shown = shown or str(folder)
    case = folder / CASE_FILE
    if case.is_file():
        case_shown = f"{shown.rstrip('/')}/{CASE_FILE}"
        try:
            spec = parse_json(read(case).decode("utf-8-sig"), case_shown)
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", source=case_shown) from None
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", source=case_shown) from None
        if not isinstance(spec, dict):
            raise InputError("expected a JSON object describing an eval case", source=case_shown)
        listed = case_inputs(spec.get("inputs"), folder, case_shown)
        if listed is not None:
            return FolderInputs(listed, listed=True)
    files = folder_files(folder, shown)
    if not files:
        raise InputError(EMPTY_FOLDER, source=shown)
    return FolderInputs(files, listed=False)


def folder_files(folder: Path, shown: str | None = None) -> list[Path]:
    """The regular, non-hidden files directly inside ``folder`` but its ``case.json``, sorted (links followed)."""
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise InputError(f"cannot list the folder: {exc.strerror}", source=shown or str(folder)) from None
    return sorted(p for p in entries if not p.name.startswith(".") and p.name != CASE_FILE and _is_file_or_loop(p))


def _is_file_or_loop(path: Path) -> bool:
    """A regular file (links followed), or a loop of links, kept so that reading it reports the loop."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError as exc:
        return exc.errno == errno.ELOOP


def case_inputs(value: Any, folder: Path, where: str) -> list[Path] | None:
    """The files a ``case.json``'s ``inputs`` names inside ``folder``; None when it names none (no ``inputs``).

    ``inputs`` must be a non-empty list of plain file names of the folder (no ``/`` or ``..``)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(name, str) and name.strip() for name in value):
        raise InputError("'inputs' must be a list of non-empty strings", source=where)
    names: Sequence[str] = [name.strip() for name in value]
    if not names:
        raise InputError("'inputs' is empty", source=where)
    outside = [name for name in names if name != Path(name).name or name in (".", "..") or "\\" in name]
    if outside:
        named = ", ".join(map(repr, outside))
        raise InputError(f"'inputs' may only name files in its folder, not {named}", source=where)
    return [folder / name for name in names]

"""Ingestion: auto-detect input formats and normalise them into one :class:`Incident`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pm_agent.ingest.loader import ReadOptions, read_bytes, read_path
from pm_agent.ingest.merge import merge_files
from pm_agent.models import Incident

DEFAULT_MAX_EVENTS = 50_000

__all__ = ["ReadOptions", "load_incident", "load_incident_text"]


def load_incident(
    paths: Sequence[str | Path], options: ReadOptions | None = None, *, max_events: int = DEFAULT_MAX_EVENTS
) -> Incident:
    """Read one or more files about the same incident and merge them."""
    options = options or ReadOptions()
    files = [(str(path), read_path(path, options)) for path in _expand(paths)]
    return merge_files(files, max_events=max_events)


def load_incident_text(
    text: str, name: str = "<input>", options: ReadOptions | None = None, *, max_events: int = DEFAULT_MAX_EVENTS
) -> Incident:
    """Read incident data passed as a string (JSON in any supported format, or a text timeline)."""
    options = options or ReadOptions()
    return merge_files([(name, read_bytes(text.encode("utf-8"), name, options))], max_events=max_events)


CASE_FILE = "case.json"
"""An eval case's description (``evals/cases/*/case.json``): its ``inputs`` name the incident files of the folder."""


def _expand(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given; a directory stands for the files directly inside it, sorted (for an eval case folder: the
    inputs its ``case.json`` lists, so the case's expectations are not read as incident data)."""
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            listed = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            out.extend(_case_inputs(path) or listed)
        else:
            out.append(path)
    return out


def _case_inputs(folder: Path) -> list[Path]:
    """The input files an eval case folder's ``case.json`` lists; empty for any other folder."""
    case = folder / CASE_FILE
    try:
        data = json.loads(case.read_text(encoding="utf-8")) if case.is_file() else None
    except (OSError, UnicodeDecodeError, ValueError):
        return []
    inputs = data.get("inputs") if isinstance(data, dict) else None
    if not (isinstance(inputs, list) and inputs and all(isinstance(name, str) for name in inputs)):
        return []
    if any(name != Path(name).name or name in ("", ".", "..") for name in inputs):  # files of this folder only
        return []
    return [folder / name for name in inputs]

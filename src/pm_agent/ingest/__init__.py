"""Ingestion: auto-detect input formats and normalise them into one :class:`Incident`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pm_agent.ingest.folders import folder_inputs
from pm_agent.ingest.loader import ReadOptions, read_bytes, read_path
from pm_agent.ingest.merge import TitleOf, merge_files
from pm_agent.models import Incident

DEFAULT_MAX_EVENTS = 50_000

__all__ = ["ReadOptions", "load_incident", "load_incident_text"]


def load_incident(
    paths: Sequence[str | Path],
    options: ReadOptions | None = None,
    *,
    max_events: int = DEFAULT_MAX_EVENTS,
    title_of: TitleOf | None = None,
) -> Incident:
    """Read one or more files about the same incident and merge them (``title_of``: see :func:`merge_files`)."""
    options = options or ReadOptions()
    files = [(str(path), read_path(path, options)) for path in _expand(paths)]
    return merge_files(files, max_events=max_events, title_of=title_of)


def load_incident_text(
    text: str,
    name: str = "<input>",
    options: ReadOptions | None = None,
    *,
    max_events: int = DEFAULT_MAX_EVENTS,
    title_of: TitleOf | None = None,
) -> Incident:
    """Read incident data passed as a string (JSON in any supported format, or a text timeline)."""
    options = options or ReadOptions()
    parsed = read_bytes(text.encode("utf-8"), name, options)
    return merge_files([(name, parsed)], max_events=max_events, title_of=title_of)


def _expand(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given; a folder stands for the files :func:`~pm_agent.ingest.folders.folder_inputs` says."""
    out: list[Path] = []
    for path in map(Path, paths):
        out.extend(folder_inputs(path).files if path.is_dir() else [path])
    return out

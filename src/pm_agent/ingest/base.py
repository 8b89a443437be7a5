"""What a format parser hands back: one file's events and incident fields, times not yet in UTC.

A parser only reads its format. Converting to UTC, checking time zones, merging files and
deduplicating events happen once, in :mod:`pm_agent.ingest`, for every format alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class RawEvent:
    """An event as read: ``at`` may still be naive (no offset in the file)."""

    at: dt.datetime
    source: str  # alert | chat | deploy | page | note | metric
    text: str
    actor: str | None = None
    locator: str = ""  # where in the file: "line 12", "messages[3]", "log_entries[0]"
    approximate: bool = False  # the file marks the time as an estimate


@dataclass
class RawUndated:
    """An event the file gives without an exact time (kept, shown, and asked about)."""

    source: str
    text: str
    time_text: str = ""
    locator: str = ""


@dataclass
class ParsedFile:
    """Everything one input file says about the incident."""

    format: str
    events: list[RawEvent] = field(default_factory=list)
    undated: list[RawUndated] = field(default_factory=list)
    id: str | None = None
    title: str | None = None
    severity: str | None = None
    services: list[str] = field(default_factory=list)
    times: dict[str, dt.datetime] = field(default_factory=dict)  # started_at, detected_at, ... (may be naive)
    impact: dict[str, Any] = field(default_factory=dict)
    notes: str = ""


class FormatParser(Protocol):
    """One input format. ``data`` is decoded JSON for JSON files, else the text."""

    name: str

    def sniff(self, data: Any) -> bool:
        """True when ``data`` looks like this format."""

    def parse(self, data: Any, source: str, *, default_date: dt.date | None) -> ParsedFile:
        """Read ``data``; raise ``pm_agent.errors.InputError`` (with ``source``) on bad content."""

"""What was already handed back, per incident, in a small JSON file that survives restarts.

``<output folder>/.handback/<incident>.json`` holds, for each action filed, the issue it became,
and the draft versions whose Slack summary was posted. A redelivery or a re-draft reads it and
files nothing twice. The file is written whole (a temporary file, then a rename) and used under an
operating-system lock, so two workers handing back the same incident take turns.

The ledger is one of two guards: the issue body also carries a marker
(``pm-agent:<incident>/<action key>``) that the tracker is searched for before anything is
created, so an issue is not filed twice even if this file is lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from pm_agent.errors import ConfigError
from pm_agent.guards.files import safe_name, write_atomic

FOLDER = ".handback"


class FiledIssue(BaseModel):
    """An action item's issue: its key in the tracker (``#12``, ``OPS-7``), its web address and last known state."""

    tracker: str
    key: str
    url: str
    state: str = "open"
    title: str = ""


class IncidentLedger(BaseModel):
    """Everything handed back for one incident."""

    incident_id: str
    issues: dict[str, FiledIssue] = Field(default_factory=dict, description="Action key -> the issue filed for it.")
    slack_posts: dict[str, str] = Field(
        default_factory=dict, description="Draft version -> the ts of the Slack message that announced it."
    )


def action_key(title: str) -> str:
    """A stable key for an action within its incident: the same title (case and spacing aside) gives the same key,
    whatever its position or id in this version of the draft."""
    canonical = " ".join(title.casefold().split())
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def marker(incident_id: str, key: str) -> str:
    """The line an issue body carries so that a search finds it again: ``pm-agent:<incident>/<action key>``."""
    return f"pm-agent:{safe_name(incident_id)}/{key}"


class Ledger:
    """The ledgers of every incident, in ``folder`` (the output folder's ``.handback``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @contextlib.contextmanager
    def held(self, incident_id: str) -> Iterator[IncidentLedger]:
        """The incident's ledger, locked against other workers until the block ends; call :meth:`save` to keep
        changes."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"{self.folder}: cannot create the hand-back ledger folder ({exc.strerror})") from None
        stem = safe_name(incident_id)
        handle = os.open(self.folder / f"{stem}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield self._read(incident_id, self.folder / f"{stem}.json")
        finally:
            os.close(handle)  # closing lets go of the lock

    def save(self, ledger: IncidentLedger) -> None:
        write_atomic(self.folder / f"{safe_name(ledger.incident_id)}.json", ledger.model_dump_json(indent=2))

    @staticmethod
    def _read(incident_id: str, path: Path) -> IncidentLedger:
        try:
            ledger = IncidentLedger.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            return IncidentLedger(incident_id=incident_id)
        except (OSError, ValidationError, json.JSONDecodeError):
            # unreadable: start afresh; the marker search still keeps issues from being filed twice
            return IncidentLedger(incident_id=incident_id)
        return ledger if ledger.incident_id == incident_id else IncidentLedger(incident_id=incident_id)

"""Hand-backs that failed, kept on disk and tried again later, so that a tracker or Slack being down loses nothing.

``<output folder>/.handback/pending/<incident>.json`` names the draft's files and the channel; the
draft itself is read again from its ``.json`` file when the retry is due (after 1 min, then 2, 4, 8...),
up to :data:`MAX_ATTEMPTS`. Then the entry stays, marked ``gave_up`` with its last problems, for a
person to read; a later draft of the same incident starts it afresh.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from pm_agent.guards.files import safe_name, write_atomic

log = logging.getLogger("pm_agent.handback")
MAX_ATTEMPTS = 6
RETRY_BASE_S = 60.0


class PendingHandBack(BaseModel):
    """A hand-back to try again."""

    incident_id: str
    draft_paths: list[str]
    channel: str | None = None
    attempts: int = 1
    not_before: dt.datetime
    problems: list[str] = Field(default_factory=list)
    gave_up: bool = False


class PendingHandBacks:
    """The pending hand-backs under a ledger folder (``<output folder>/.handback``)."""

    def __init__(self, ledger_folder: Path, *, retry_base_s: float = RETRY_BASE_S) -> None:
        self.folder = ledger_folder / "pending"
        self.retry_base_s = retry_base_s

    def _path(self, incident_id: str) -> Path:
        return self.folder / f"{safe_name(incident_id)}.json"

    def keep(
        self,
        incident_id: str,
        draft_paths: list[Path],
        channel: str | None,
        problems: list[str],
        now: dt.datetime,
        *,
        attempts: int = 1,
    ) -> PendingHandBack:
        """Record a failed hand-back, due again after a wait that doubles with each attempt."""
        wait = dt.timedelta(seconds=self.retry_base_s * 2 ** (attempts - 1))
        entry = PendingHandBack(
            incident_id=incident_id,
            draft_paths=[str(p) for p in draft_paths],
            channel=channel,
            attempts=attempts,
            not_before=now + wait,
            problems=problems,
            gave_up=attempts >= MAX_ATTEMPTS,
        )
        self.folder.mkdir(parents=True, exist_ok=True)
        write_atomic(self._path(incident_id), entry.model_dump_json(indent=2))
        if entry.gave_up:
            log.warning(
                "gave up handing %s back after %d attempts (kept in %s): %s",
                incident_id,
                attempts,
                self._path(incident_id),
                "; ".join(problems),
            )
        return entry

    def clear(self, incident_id: str) -> None:
        self._path(incident_id).unlink(missing_ok=True)

    def due(self, now: dt.datetime) -> list[PendingHandBack]:
        """The entries whose retry is due, oldest first; unreadable files are skipped."""
        if not self.folder.is_dir():
            return []
        entries = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                entry = PendingHandBack.model_validate_json(path.read_bytes())
            except (OSError, ValidationError) as exc:
                log.warning("skipping the pending hand-back %s: %s", path, exc)
                continue
            if not entry.gave_up and entry.not_before <= now:
                entries.append(entry)
        return sorted(entries, key=lambda entry: entry.not_before)

"""A durable on-disk queue of incidents to draft: one JSON file per job, in a folder per state.

``pending/``, ``done/`` and ``failed/`` under the queue folder. Every file is written whole to a
temporary name first and then moved into place, so a crash leaves either the old file or the
new one, never half of one. A job's id is a hash of its de-duplication key (a PagerDuty event
id, an incident id, a file's content hash), so delivering the same thing twice finds the
existing job and adds nothing. Jobs still pending when a process stops are there when the next
one starts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from pm_agent.automation.paths import write_atomic, write_temporary
from pm_agent.errors import ConfigError
from pm_agent.redaction import describe, redact_document

JobState = Literal["pending", "done", "failed"]
STATES: tuple[JobState, ...] = ("pending", "done", "failed")
log = logging.getLogger("pm_agent.automation")
MAX_ATTEMPTS = 3
"""Starts a job may have; one that keeps stopping its process midway is failed, not retried forever."""


class Job(BaseModel):
    """One incident to draft, and what became of it."""

    id: str
    key: str = Field(description="The de-duplication key the id is the hash of.")
    kind: Literal["pagerduty", "incident", "file"]
    name: str = Field(description="Where the incident came from, used as its source name in the draft.")
    text: str = Field(description="The incident data to draft, in any format pm-agent reads.")
    state: JobState = "pending"
    attempts: int = 0
    created_at: dt.datetime
    finished_at: dt.datetime | None = None
    incident_id: str | None = None
    outputs: list[str] = Field(default_factory=list)
    error: str | None = None


class Enqueued(BaseModel):
    """The job an enqueue found or created; ``duplicate`` when it already existed."""

    job: Job
    duplicate: bool


def job_id(key: str) -> str:
    """The job id of a de-duplication key: hex only, so always a safe file name."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def content_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class JobQueue:
    """The queue in ``root``. Safe to share between threads; processes sharing a folder see each other's jobs."""

    def __init__(self, root: Path, *, redact_emails: bool = True) -> None:
        self.root = root
        self.redact_emails = redact_emails
        self._lock = threading.Lock()

    def _create_folders(self) -> None:
        """Made on the first job, so a server that never receives one leaves no folder behind."""
        try:
            for state in STATES:
                (self.root / state).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"PM_AGENT_QUEUE_DIR={str(self.root)!r}: cannot create the queue folder ({exc.strerror})"
            ) from None

    # --- adding ----------------------------------------------------------------------------
    def enqueue(self, key: str, kind: str, name: str, text: str) -> Enqueued:
        """Add a job unless one with the same ``key`` exists in any state (then return that one).

        The text is redacted before it is written: secrets never rest on disk in the queue.
        """
        ident = job_id(key)
        text = self._redacted(text, name)
        with self._lock:
            existing = self.get(ident)
            if existing is not None:
                return Enqueued(job=existing, duplicate=True)
            job = Job(id=ident, key=key, kind=kind, name=name, text=text, created_at=_now())
            self._create_folders()
            if not self._create(job):
                return Enqueued(job=self.get(ident) or job, duplicate=True)
            return Enqueued(job=job, duplicate=False)

    def _redacted(self, text: str, name: str) -> str:
        result = redact_document(text, emails=self.redact_emails)
        if result.changed:
            log.warning("redacted from %s before queueing: %s", name, describe(result.findings))
        return result.text

    # --- reading ---------------------------------------------------------------------------
    def get(self, ident: str) -> Job | None:
        """The job with id ``ident`` in whichever state it is, or None."""
        if not _is_job_id(ident):
            return None
        for state in ("done", "failed", "pending"):
            job = self._read(self._path(state, ident))
            if job is not None:
                return job
        return None

    def pending(self) -> list[Job]:
        """Pending jobs, oldest first. A pending file left behind by a crash after its job finished is removed."""
        jobs = []
        for path in (self.root / "pending").glob("*.json"):
            finished = any(self._path(state, path.stem).exists() for state in ("done", "failed"))
            if finished:
                path.unlink(missing_ok=True)
            elif (job := self._read(path)) is not None:
                jobs.append(job)
        return sorted(jobs, key=lambda job: (job.created_at, job.id))

    def jobs(self, state: JobState) -> list[Job]:
        """Every job in ``state``, oldest first."""
        if state == "pending":
            return self.pending()
        found = (self._read(path) for path in (self.root / state).glob("*.json"))
        return sorted((job for job in found if job is not None), key=lambda job: (job.created_at, job.id))

    # --- moving ----------------------------------------------------------------------------
    def start(self, job: Job) -> Job:
        """Record one more attempt before drafting, so a job that keeps killing its process is noticed."""
        started = job.model_copy(update={"attempts": job.attempts + 1})
        with self._lock:
            write_atomic(self._path("pending", job.id), started.model_dump_json(indent=2))
        return started

    def finish(self, job: Job, *, incident_id: str, outputs: list[str]) -> Job:
        return self._move(job, "done", incident_id=incident_id, outputs=outputs, error=None)

    def fail(self, job: Job, error: str, *, incident_id: str | None = None, outputs: list[str] | None = None) -> Job:
        return self._move(job, "failed", incident_id=incident_id, outputs=outputs or [], error=error)

    def _move(self, job: Job, state: JobState, **changes) -> Job:
        """Write the job into ``state`` first, then drop its pending file: a crash between leaves a duplicate
        that :meth:`pending` cleans up, never a lost job."""
        moved = job.model_copy(update={"state": state, "finished_at": _now(), **changes})
        with self._lock:
            write_atomic(self._path(state, job.id), moved.model_dump_json(indent=2))
            self._path("pending", job.id).unlink(missing_ok=True)
        return moved

    # --- files -----------------------------------------------------------------------------
    def _path(self, state: JobState, ident: str) -> Path:
        return self.root / state / f"{ident}.json"

    def _create(self, job: Job) -> bool:
        """Write the pending file only if none exists (a hard link is atomic and never replaces). Where the
        file system has no hard links, a rename after a check does, which the lock covers within a process."""
        target = self._path("pending", job.id)
        temporary = write_temporary(target.parent, job.model_dump_json(indent=2))
        try:
            os.link(temporary, target)
            return True
        except FileExistsError:
            return False
        except OSError:
            if target.exists():
                return False
            os.replace(temporary, target)
            return True
        finally:
            temporary.unlink(missing_ok=True)

    @staticmethod
    def _read(path: Path) -> Job | None:
        try:
            return Job.model_validate_json(path.read_bytes())
        except (FileNotFoundError, ValidationError):
            return None


def _is_job_id(ident: str) -> bool:
    return len(ident) == 32 and all(c in "0123456789abcdef" for c in ident)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

"""A durable on-disk queue of incidents to draft: one JSON file per job, in a folder per state.

``pending/``, ``done/`` and ``failed/`` under the queue folder, and ``claims/`` for the locks of
jobs being drafted. Every file is written whole to a temporary name first and then moved into
place, and the folder is fsynced after each move, so a job answered ``202`` survives a crash or a
power loss. A job's id is a hash of its de-duplication key (a PagerDuty event id, an incident
id, a file's content hash) and of its content: delivering the same thing twice finds the
existing job and adds nothing, while the same incident sent again with changed content is a new
version and is drafted again. No raw id from outside ever names a file. Jobs still pending when
a process stops are there when the next one starts.

Several processes may share one queue: a worker drafts a job only while it holds the job's
claim (:mod:`pm_agent.automation.claims`), so each job is drafted once. A job that fails for a
reason that may pass (a folder that cannot be written, a model backend that is down) is retried
after ``RETRY_BASE_S``, then twice that, and so on, up to ``MAX_ATTEMPTS``; then it is parked in
``failed/``, from where ``pm-agent queue retry`` puts it back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from pm_agent.automation.claims import Claim, release, try_claim
from pm_agent.errors import ConfigError, InputError
from pm_agent.guards.files import fsync_folder, write_atomic, write_temporary
from pm_agent.guards.redaction import describe, redact_document

JobState = Literal["pending", "done", "failed"]
STATES: tuple[JobState, ...] = ("pending", "done", "failed")
CLAIMS = "claims"
log = logging.getLogger("pm_agent.automation")
MAX_ATTEMPTS = 4
"""Starts a job may have, retries included; then it is parked in ``failed/``, never retried forever."""
RETRY_BASE_S = 30.0
"""The wait before the first retry; each later one waits twice as long as the one before."""


class Job(BaseModel):
    """One incident to draft, and what became of it."""

    id: str
    key: str = Field(
        description="A hash of the de-duplication key (event id, incident id, content hash): "
        "the raw key, text from outside, is kept nowhere in the queue."
    )
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
    content: str = Field(default="", description="SHA-256 of the text as delivered: a change makes a new version.")
    not_before: dt.datetime | None = Field(default=None, description="When a job waiting to be retried is due.")
    slack_channel: str | None = Field(
        default=None, description="The Slack channel id of a fetched PagerDuty incident (where its chat was read from)."
    )


class Enqueued(BaseModel):
    """The job an enqueue found or created; ``duplicate`` when it already existed."""

    job: Job
    duplicate: bool


def job_id(key: str, content: str = "") -> str:
    """The job id of a de-duplication key and a content hash: hex only, so always a safe file name."""
    return hashlib.sha256(f"{key}\n{content}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def content_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class JobQueue:
    """The queue in ``root``. Safe to share between threads and between processes sharing the folder.

    ``clock`` says what time it is (tests move a fake one to make a retry due without waiting).
    """

    def __init__(
        self,
        root: Path,
        *,
        redact_emails: bool = True,
        clock: Callable[[], dt.datetime] | None = None,
        retry_base_s: float = RETRY_BASE_S,
    ) -> None:
        self.root = root
        self.redact_emails = redact_emails
        self.clock = clock or _now
        self.retry_base_s = retry_base_s
        self._lock = threading.Lock()
        self._claims: dict[str, Claim] = {}

    def _create_folders(self) -> None:
        """Made on the first job, so a server that never receives one leaves no folder behind."""
        try:
            fresh = not self.root.exists()
            for folder in (*STATES, CLAIMS):
                (self.root / folder).mkdir(parents=True, exist_ok=True)
            if fresh:
                fsync_folder(self.root)
                fsync_folder(self.root.parent)
        except OSError as exc:
            raise ConfigError(
                f"PM_AGENT_QUEUE_DIR={str(self.root)!r}: cannot create the queue folder ({exc.strerror})"
            ) from None

    # --- adding ----------------------------------------------------------------------------
    def enqueue(self, key: str, kind: str, name: str, text: str) -> Enqueued:
        """Add a job unless one with the same ``key`` and the same text exists in any state (then return that one).

        The same key with other text is a new version of the incident: a new job, drafted again.
        The text is redacted before it is written: secrets never rest on disk in the queue.
        """
        content = content_key(text.encode("utf-8", "surrogatepass"))
        ident = job_id(key, content)
        text = self._redacted(text, name)
        with self._lock:
            existing = self.get(ident)
            if existing is not None:
                return Enqueued(job=existing, duplicate=True)
            job = Job(
                id=ident, key=key_digest(key), kind=kind, name=name, text=text, content=content, created_at=self.clock()
            )
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

    def find(self, prefix: str) -> Job:
        """The one job whose id starts with ``prefix`` (at least 6 characters), for people typing ids."""
        prefix = prefix.strip().lower()
        if len(prefix) < 6 or any(c not in "0123456789abcdef" for c in prefix):
            raise InputError(f"{prefix!r} is not a job id: give the hex id `pm-agent queue list` shows (6+ characters)")
        found = {job.id: job for state in STATES for job in self.jobs(state) if job.id.startswith(prefix)}
        if len(found) != 1:
            raise InputError(
                f"job {prefix}: "
                + ("no such job in the queue" if not found else f"matches {len(found)} jobs; give more characters")
            )
        return next(iter(found.values()))

    def pending(self) -> list[Job]:
        """Pending jobs, oldest first, those waiting to be retried included. A pending file left behind by a
        crash after its job finished is removed."""
        jobs = []
        for path in self._files("pending"):
            if self._finished(path.stem):
                self._drop_leftover(path.stem)
            elif (job := self._read(path)) is not None:
                jobs.append(job)
        return sorted(jobs, key=lambda job: (job.created_at, job.id))

    def _drop_leftover(self, ident: str) -> None:
        """Remove the pending file of a finished job, under its claim: ``retry`` writes a pending file before
        it removes the failed one, and holds the claim while it does."""
        claim = try_claim(self._claims_folder() / f"{ident}.lock")
        if claim is None:
            return
        try:
            if self._finished(ident):
                self._path("pending", ident).unlink(missing_ok=True)
        finally:
            release(claim)

    def due(self) -> list[Job]:
        """Pending jobs that may be drafted now: new ones, and retries whose wait is over."""
        now = self.clock()
        return [job for job in self.pending() if job.not_before is None or job.not_before <= now]

    def jobs(self, state: JobState) -> list[Job]:
        """Every job in ``state``, oldest first."""
        if state == "pending":
            return self.pending()
        found = (self._read(path) for path in self._files(state))
        return sorted((job for job in found if job is not None), key=lambda job: (job.created_at, job.id))

    # --- claiming and moving ---------------------------------------------------------------
    def claim(self, ident: str) -> Job | None:
        """Take the pending job ``ident`` for drafting, with one more attempt recorded; None when another
        worker holds it, it is finished, or it is not due. Every claim ends in :meth:`finish`, :meth:`fail`,
        :meth:`retry_later` or :meth:`release`."""
        if not _is_job_id(ident) or not self._path("pending", ident).exists():
            return None
        claim = try_claim(self._claims_folder() / f"{ident}.lock")
        if claim is None:
            return None
        job = None if self._finished(ident) else self._read(self._path("pending", ident))
        if job is None or (job.not_before is not None and job.not_before > self.clock()):
            release(claim)
            return None
        with self._lock:
            self._claims[ident] = claim
        try:
            return self.start(job)
        except BaseException:  # the attempt could not be recorded (disk full): let go, so the job is not stuck
            self.release(job)
            raise

    def start(self, job: Job) -> Job:
        """Record one more attempt before drafting, so a job that keeps killing its process is noticed."""
        started = job.model_copy(update={"attempts": job.attempts + 1, "not_before": None})
        write_atomic(self._path("pending", job.id), started.model_dump_json(indent=2))
        return started

    def release(self, job: Job) -> None:
        """Give up the claim on ``job`` (nothing when it holds none): another worker may take it."""
        with self._lock:
            claim = self._claims.pop(job.id, None)
        if claim is not None:
            release(claim)

    def finish(self, job: Job, *, incident_id: str, outputs: list[str], note: str | None = None) -> Job:
        """Done; ``note`` says what went wrong after the draft was written (a hand-back that failed)."""
        return self._move(job, "done", incident_id=incident_id, outputs=outputs, error=note)

    def fail(self, job: Job, error: str, *, incident_id: str | None = None, outputs: list[str] | None = None) -> Job:
        return self._move(job, "failed", incident_id=incident_id, outputs=outputs or [], error=error)

    def retry_later(self, job: Job, error: str) -> Job:
        """Put a job whose attempt failed back in ``pending/``, due after an exponential wait; parked in
        ``failed/`` instead once it has had :data:`MAX_ATTEMPTS`."""
        if job.attempts >= MAX_ATTEMPTS:
            return self.fail(job, error)
        wait = dt.timedelta(seconds=self.retry_base_s * 2 ** max(job.attempts - 1, 0))
        waiting = job.model_copy(update={"error": error, "not_before": self.clock() + wait})
        write_atomic(self._path("pending", job.id), waiting.model_dump_json(indent=2))
        self.release(job)
        return waiting

    def _move(self, job: Job, state: JobState, **changes) -> Job:
        """Write the job into ``state`` first, then drop its pending file: a crash between leaves a duplicate
        that the next claim cleans up, never a lost job."""
        moved = job.model_copy(update={"state": state, "finished_at": self.clock(), "not_before": None, **changes})
        write_atomic(self._path(state, job.id), moved.model_dump_json(indent=2))
        self._path("pending", job.id).unlink(missing_ok=True)
        fsync_folder(self.root / "pending")
        self.release(job)
        return moved

    # --- by hand: pm-agent queue retry|purge -----------------------------------------------
    def retry(self, job: Job) -> Job:
        """Put a failed job back in ``pending/`` with its attempts reset, to be drafted again."""
        if job.state != "failed":
            raise InputError(f"job {job.id} is {job.state}, not failed: only failed jobs are retried")
        claim = try_claim(self._claims_folder() / f"{job.id}.lock")
        if claim is None:
            raise InputError(f"job {job.id} is being handled by another process; try again in a moment")
        try:
            again = job.model_copy(
                update={"state": "pending", "attempts": 0, "finished_at": None, "error": None, "not_before": None}
            )
            write_atomic(self._path("pending", job.id), again.model_dump_json(indent=2))
            self._path("failed", job.id).unlink(missing_ok=True)
            fsync_folder(self.root / "failed")
        finally:
            release(claim)
        return again

    def purge(self, states: tuple[JobState, ...], older_than: dt.timedelta) -> list[Job]:
        """Remove finished jobs in ``states`` that finished more than ``older_than`` ago; returns them.

        A purged done job no longer de-duplicates: the same delivery later is drafted again.
        """
        if "pending" in states:
            raise InputError("pending jobs are not purged: they are still to be drafted")
        cutoff = self.clock() - older_than
        removed = []
        for state in states:
            for job in self.jobs(state):
                if job.finished_at is None or job.finished_at <= cutoff:
                    self._path(state, job.id).unlink(missing_ok=True)
                    removed.append(job)
            if removed and (self.root / state).is_dir():
                fsync_folder(self.root / state)
        return removed

    # --- files -----------------------------------------------------------------------------
    def _path(self, state: JobState, ident: str) -> Path:
        return self.root / state / f"{ident}.json"

    def _files(self, state: JobState) -> list[Path]:
        return list((self.root / state).glob("*.json"))

    def _claims_folder(self) -> Path:
        """``claims/``, made here too for a queue folder written before claims existed."""
        folder = self.root / CLAIMS
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"PM_AGENT_QUEUE_DIR={str(self.root)!r}: cannot create {folder.name}/ ({exc.strerror})"
            ) from None
        return folder

    def _finished(self, ident: str) -> bool:
        return any(self._path(state, ident).exists() for state in ("done", "failed"))

    def _create(self, job: Job) -> bool:
        """Write the pending file only if none exists (a hard link is atomic and never replaces), then fsync
        the folder so the new job survives a power loss. Where the file system has no hard links, a rename
        after a check does, which the lock covers within a process."""
        target = self._path("pending", job.id)
        temporary = write_temporary(target.parent, job.model_dump_json(indent=2))
        try:
            try:
                os.link(temporary, target)
            except FileExistsError:
                return False
            except OSError:
                if target.exists():
                    return False
                os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        fsync_folder(target.parent)
        return True

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

"""The drafting worker: takes queued jobs, drafts each through the service, writes and remembers it.

A draft is written to the output folder as ``<id>.md`` and ``<id>.json`` (the id made safe as a
file name) and stored in the incident memory. Each job is claimed first, so workers in several
processes sharing one queue draft it once. An incident that cannot be read fails at once (the
same text would fail again) and is kept in the queue's ``failed/`` folder with its error; any
other failure is retried with a growing wait, up to the queue's attempt limit, and then kept
there too: a job is neither lost nor retried forever.

Once a draft is written and remembered, it is handed back (:func:`pm_agent.handback.hand_back`: action
items filed in the tracker, a summary posted to Slack), when that is configured. A hand-back that
fails never fails the job or touches the draft: the job is done, with a note, and the hand-back is
kept and tried again on a later pass (:mod:`pm_agent.handback.pending`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from pm_agent.automation.queue import MAX_ATTEMPTS, Job, JobQueue
from pm_agent.backends.retry import RetryPolicy
from pm_agent.errors import ConfigError, EmbedderMismatchError, FetchError, InputError, PmAgentError
from pm_agent.guards.files import safe_name, write_atomic
from pm_agent.guards.safe_paths import safe_child
from pm_agent.handback import DEFAULT_POLICY, PendingHandBacks, hand_back, ledger_folder
from pm_agent.models import Postmortem
from pm_agent.service import PostmortemService
from pm_agent.sources.fetch import Fallback, Fetched, Missing

log = logging.getLogger("pm_agent.automation")
IDLE_POLL_S = 5.0
"""How often a waiting worker looks at the queue folder for jobs another process added."""


def write_draft(service: PostmortemService, postmortem: Postmortem, output_dir: Path) -> list[Path]:
    """Write the draft as Markdown and JSON into ``output_dir``; returns the two paths."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"PM_AGENT_OUTPUT_DIR={str(output_dir)!r}: cannot create it ({exc.strerror})") from None
    stem = safe_name(postmortem.incident_id)
    written = []
    for suffix, fmt in ((".md", "markdown"), (".json", "json")):
        path = safe_child(output_dir, stem + suffix)
        write_atomic(path, service.render(postmortem, fmt))
        written.append(path)
    return written


class Worker:
    """Drafts queued jobs, on demand (:meth:`run_pending`) or in a background thread (:meth:`start`)."""

    def __init__(
        self,
        queue: JobQueue,
        service: PostmortemService,
        output_dir: Path | None = None,
        *,
        on_result: Callable[[Job], None] | None = None,
        handback_policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self.queue = queue
        self.service = service
        self.output_dir = output_dir or service.settings.output_dir
        self.on_result = on_result
        self.fetch_client: dict = {}
        """Passed to the PagerDuty and Slack clients (tests give a retry policy that does not sleep)."""
        self.handback_policy = handback_policy
        self.pending_handbacks = PendingHandBacks(ledger_folder(service.settings, [self.output_dir / "-"]))
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one job ---------------------------------------------------------------------------
    def process(self, job: Job) -> Job | None:
        """Claim one pending job, draft it and record the outcome; None when another worker has it or it is
        not due. Never raises for a bad incident."""
        started = self.queue.claim(job.id)
        if started is None:
            return None
        try:
            return self._report(self._draft(started))
        finally:
            self.queue.release(started)  # only a bug leaves the claim held here

    def _draft(self, job: Job) -> Job:
        if job.attempts > MAX_ATTEMPTS:
            return self.queue.fail(job, f"gave up after {MAX_ATTEMPTS} attempts; the last stopped its process midway")
        postmortem, outputs = None, []
        try:
            fetched = self._incident(job)
            job = job.model_copy(update={"slack_channel": fetched.slack_channel})
            postmortem = self.service.draft_fetched(fetched)
            outputs = [str(path) for path in write_draft(self.service, postmortem, self.output_dir)]
            self.service.with_memory(lambda memory: memory.remember(postmortem))
        except (InputError, EmbedderMismatchError) as exc:
            # the incident itself, or a memory to re-embed: waiting cannot help, a person must act (then
            # `pm-agent queue retry`)
            return self._failed(job, str(exc), postmortem, outputs)
        except PmAgentError as exc:  # a folder, the memory, a backend: it may pass, so try again later
            return self._failed(job, str(exc), postmortem, outputs, retry=True)
        except Exception as exc:  # a bug: keep the job and its error, and the worker running
            log.exception("drafting %s failed", job.name)
            return self._failed(job, f"{type(exc).__name__}: {exc}", postmortem, outputs, retry=True)
        if fetched.retry_worthwhile:  # hand back the whole incident's draft, not one a later fetch replaces
            return self._fetch_again(job, fetched, postmortem.incident_id, outputs)
        note = self._hand_back(postmortem, [Path(path) for path in outputs], channel=fetched.slack_channel)
        return self.queue.finish(job, incident_id=postmortem.incident_id, outputs=outputs, note=note)

    # --- handing the draft back ------------------------------------------------------------
    def _hand_back(
        self, postmortem: Postmortem, draft_paths: list[Path], *, channel: str | None, attempts: int = 1
    ) -> str | None:
        """Hand a written draft back; a note for the job when that failed (then kept to be tried again)."""
        try:
            report = hand_back(
                postmortem,
                settings=self.service.settings,
                channel=channel,
                draft_paths=draft_paths,
                memory=self.service.with_memory,
                policy=self.handback_policy,
            )
            problems = report.problems
        except Exception as exc:  # a bug in the hand-back must not cost the draft
            log.exception("handing %s back failed", postmortem.incident_id)
            problems = [f"{type(exc).__name__}: {exc}"]
        if not problems:
            self.pending_handbacks.clear(postmortem.incident_id)
            return None
        kept = self.pending_handbacks.keep(
            postmortem.incident_id, draft_paths, channel, problems, self.queue.clock(), attempts=attempts
        )
        when = "not tried again" if kept.gave_up else f"tried again at {kept.not_before.isoformat(timespec='seconds')}"
        return f"draft written; handing it back failed ({when}): {'; '.join(problems)}"

    def retry_hand_backs(self) -> int:
        """Try again the hand-backs that are due; how many were tried."""
        due = self.pending_handbacks.due(self.queue.clock())
        for entry in due:
            paths = [Path(path) for path in entry.draft_paths]
            json_path = next((path for path in paths if path.suffix == ".json"), None)
            try:
                postmortem = Postmortem.model_validate_json(json_path.read_bytes()) if json_path else None
            except (OSError, ValueError) as exc:
                log.warning("cannot hand %s back: its draft %s cannot be read (%s)", entry.incident_id, json_path, exc)
                postmortem = None
            if postmortem is None:
                self.pending_handbacks.clear(entry.incident_id)
                continue
            note = self._hand_back(postmortem, paths, channel=entry.channel, attempts=entry.attempts + 1)
            log.info("handed %s back again: %s", entry.incident_id, note or "done")
        return len(due)

    def _incident(self, job: Job) -> Fetched:
        """The job's incident: for a PagerDuty job, with ``PM_AGENT_PAGERDUTY_TOKEN`` set, fetched whole from
        PagerDuty and Slack, the payload standing in for what cannot be read; else the job's text as delivered."""
        if job.kind != "pagerduty" or not self.service.settings.pagerduty_token:
            return Fetched(self.service.load_text(job.text, name=job.name))
        incident_id = _payload_id(job.text)
        try:
            return self.service.fetch_pagerduty(incident_id, fallback=Fallback(job.name, job.text), **self.fetch_client)
        except PmAgentError as exc:  # nothing fetched at all (a bad id, a setting): draft the payload, ask why
            missing = Missing(f"PagerDuty incident {incident_id}", str(exc), retryable=isinstance(exc, FetchError))
            return Fetched(self.service.load_text(job.text, name=job.name), missing=[missing])

    def _fetch_again(self, job: Job, fetched: Fetched, incident_id: str, outputs: list[str]) -> Job:
        """Drafted without some sources: keep the draft, and fetch again later (a new version of the draft when
        it works); after the last attempt the job is parked in ``failed/`` with its draft, for ``queue retry``."""
        error = "drafted without the " + "; the ".join(str(m) for m in fetched.missing if m.retryable)
        job = job.model_copy(update={"incident_id": incident_id, "outputs": outputs})
        if job.attempts < MAX_ATTEMPTS:
            return self.queue.retry_later(job, error)
        return self.queue.fail(job, error, incident_id=incident_id, outputs=outputs)

    def _failed(
        self, job: Job, error: str, postmortem: Postmortem | None, outputs: list[str], *, retry: bool = False
    ) -> Job:
        if outputs:
            error = f"draft written but not stored in the memory: {error}"
        if retry and job.attempts < MAX_ATTEMPTS:
            return self.queue.retry_later(job, error)
        return self.queue.fail(job, error, incident_id=postmortem.incident_id if postmortem else None, outputs=outputs)

    def _report(self, job: Job) -> Job:
        if job.state == "done":
            log.info("drafted %s from %s: %s", job.incident_id, job.name, ", ".join(job.outputs))
        elif job.state == "pending" and job.outputs:
            log.warning(
                "drafted %s from %s without some sources (attempt %d of %d); fetching again at %s: %s",
                job.incident_id,
                job.name,
                job.attempts,
                MAX_ATTEMPTS,
                job.not_before.isoformat(timespec="seconds"),
                job.error,
            )
        elif job.state == "pending":
            log.warning(
                "could not draft %s (attempt %d of %d, retried at %s): %s",
                job.name,
                job.attempts,
                MAX_ATTEMPTS,
                job.not_before.isoformat(timespec="seconds"),
                job.error,
            )
        else:
            log.warning("could not draft %s: %s", job.name, job.error)
        if self.on_result is not None:
            self.on_result(job)
        return job

    def run_pending(self) -> list[Job]:
        """Draft every job that is due, oldest first (stopping early when asked to stop); returns the outcomes
        of those this worker claimed."""
        results = []
        try:
            self.retry_hand_backs()
        except OSError:
            log.exception("the pending hand-backs could not be read")
        for job in self.queue.due():
            if self._stopping.is_set():
                break
            if (result := self.process(job)) is not None:
                results.append(result)
        return results

    # --- in the background -----------------------------------------------------------------
    def start(self) -> None:
        """Drain the queue in a background thread: jobs left pending by an earlier process first."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="pm-agent-drafting", daemon=True)
            self._thread.start()

    def notify(self) -> None:
        """Wake the background thread: a job was just queued."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> bool:
        """Let the draft in progress finish, then stop; False when it is still running after ``timeout``
        (its job stays pending and the next start drafts it)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.run_pending()
            except Exception:  # the queue folder itself failed (disk full, removed): log, wait, try again
                log.exception("the drafting queue could not be read")
            self._wake.wait(IDLE_POLL_S)


def _payload_id(text: str) -> str:
    """The PagerDuty incident id of a queued ``incident.resolved`` job (its incident JSON's ``id``); "" if none."""
    try:
        data = json.loads(text)
    except ValueError:
        return ""
    return str(data.get("id") or "") if isinstance(data, dict) else ""

"""``pm-agent watch DIR``: draft every incident file dropped into a folder, through the drafting queue;
``pm-agent queue list|retry|purge``: look at that queue and tend it.

The same queue and worker as the HTTP server's webhooks: a file's content is queued once, each
draft is written to PM_AGENT_OUTPUT_DIR as Markdown and JSON and stored in the memory, and a
failed incident is kept in the queue with its error, until ``queue retry`` puts it back.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from pm_agent.cli.draft_cmds import add_reading_options
from pm_agent.cli.output import emit, say, to_json
from pm_agent.errors import InputError
from pm_agent.service import PostmortemService

DEFAULT_INTERVAL_S = 2.0


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``watch`` and ``queue`` sub-commands."""
    parser = commands.add_parser(
        "watch",
        help="draft every incident file dropped into a folder (cron, CI, tools without webhooks)",
        description=(
            "Watch DIR and draft each incident file put into it, once per content: a changed file is drafted "
            "again. Drafts go to PM_AGENT_OUTPUT_DIR as <incident id>.md and .json and into the memory. "
            "Hidden files and *.tmp/*.part names are ignored: write under such a name, then rename."
        ),
    )
    parser.add_argument("folder", metavar="DIR", help="the folder to watch (not its sub-folders)")
    parser.add_argument("--once", action="store_true", help="draft what is there now and exit (for cron and CI)")
    parser.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL_S,
        metavar="S",
        help=f"seconds between looks at the folder (default {DEFAULT_INTERVAL_S:g})",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per draft (JSON Lines)")
    add_reading_options(parser)
    parser.set_defaults(handler=run_watch)
    _register_queue(commands)


@dataclass
class WatchTally:
    """What the watch has seen per file, so each pass can say: N drafted, M failed, K skipped (already drafted).

    A file that failed stays counted as failed, on this pass and on later runs, until a version of it drafts."""

    failing: dict[str, str] = field(default_factory=dict)
    drafted: int = 0
    skipped: int = 0
    as_json: bool = False

    def start_pass(self) -> None:
        self.drafted = self.skipped = 0

    def finished(self, job) -> None:
        """A job the worker just drafted, or failed to."""
        if job.state == "done":
            self.drafted += 1
            self.failing.pop(job.name, None)
        else:
            self.failing[job.name] = job.error or "failed"
        self._show(job)

    def looked_at(self, scan) -> None:
        """Files the scan did not queue: unreadable ones, and ones whose content was queued before."""
        for name, reason in scan.skipped:
            self.failing[name] = f"skipped, {reason}"
            say("error", f"{name}: skipped, {reason}")
        for job in scan.unchanged:
            if job.state == "done":
                self.skipped += 1
                self.failing.pop(job.name, None)
                say(
                    "note",
                    f"{job.name}: skipped, already drafted as {job.incident_id}"
                    + (f" -> {job.outputs[0]}" if job.outputs else "")
                    + "; change the file to draft it again",
                )
            elif job.state == "failed":
                self.failing[job.name] = job.error or "failed"
                say(
                    "error",
                    f"{_with_name(job.name, job.error or 'failed')} (unchanged since it failed; "
                    "fix the file, or its --date/--timezone, to draft it again)",
                )

    def summary(self) -> str:
        return f"{self.drafted} drafted, {len(self.failing)} failed, {self.skipped} skipped (already drafted)"

    def _show(self, job) -> None:
        """One line per finished job: the draft's paths on stdout, or the error on stderr."""
        if self.as_json:
            fields = {
                "file": job.name,
                "state": job.state,
                "incident_id": job.incident_id,
                "outputs": job.outputs,
                "error": job.error,
                "job": job.id,
            }
            print(json.dumps(fields), flush=True)
        elif job.state == "done":
            print(f"{job.name}: drafted {job.incident_id} -> {job.outputs[0]}", flush=True)
            if job.error:  # drafted, but handing it back failed
                say("warning", _with_name(job.name, job.error))
        else:
            say("error", _with_name(job.name, job.error or "failed"))


def _with_name(name: str, error: str) -> str:
    return error if error.startswith(f"{name}:") else f"{name}: {error}"


def run_watch(args: argparse.Namespace, service: PostmortemService) -> int:
    from pm_agent.automation.queue import JobQueue
    from pm_agent.automation.watch import FolderWatch
    from pm_agent.automation.worker import Worker

    if not args.interval > 0:
        raise InputError(f"--interval {args.interval:g}: give a number of seconds above 0, e.g. --interval 5")
    folder = Path(args.folder)
    if not folder.is_dir():
        raise InputError("no such folder" if not folder.exists() else "not a folder", source=args.folder)
    service.read_texts_with(date=args.date, timezone=args.timezone)  # a bad one is refused before watching starts
    logging.getLogger("pm_agent.automation").setLevel(logging.ERROR)  # each outcome is printed below instead
    queue = JobQueue(service.settings.queue_dir, redact_emails=service.settings.redact_emails)
    tally = WatchTally(as_json=args.json)
    worker = Worker(queue, service, on_result=tally.finished)
    reading = " ".join(
        f"{flag}={value}" for flag, value in (("--date", args.date), ("--timezone", args.timezone)) if value
    )
    watch = FolderWatch(
        folder, queue, service.settings.max_input_bytes, settle_s=min(1.0, args.interval), reading=reading
    )
    if args.once:
        _one_pass(watch, worker, tally, settle=False, always=True)
        return 1 if tally.failing else 0
    say(None, f"watching {folder} every {args.interval:g} s; drafts go to {worker.output_dir} (Ctrl-C stops)")
    try:
        while True:
            _one_pass(watch, worker, tally, settle=True, always=False)
            time.sleep(args.interval)
    except KeyboardInterrupt:
        say(None, "watch stopped" + (f"; {len(tally.failing)} file(s) still failing" if tally.failing else ""))
        return 1 if tally.failing else 0


def _one_pass(watch, worker, tally: WatchTally, *, settle: bool, always: bool) -> None:
    """One look at the folder and one pass over the queue, then the summary line (while watching, only when the
    pass found something)."""
    tally.start_pass()
    scan = watch.scan(settle=settle)
    tally.looked_at(scan)
    finished = worker.run_pending()
    if always or finished or scan.unchanged or scan.skipped:
        say("watch", tally.summary())


# --- pm-agent queue list|retry|purge -------------------------------------------------------------
DEFAULT_PURGE_DAYS = 7.0


def _register_queue(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "queue",
        help="the drafting queue (PM_AGENT_QUEUE_DIR): list jobs, retry failed ones, purge finished ones",
        description="The queue of incidents waiting to be drafted, shared by the webhooks and `pm-agent watch`.",
    )
    actions = parser.add_subparsers(dest="queue_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every job, pending first, with its state, attempts and error")
    listing.add_argument("--state", choices=("pending", "done", "failed"), help="only jobs in this state")
    listing.add_argument("--json", action="store_true", help="print the jobs as one JSON array ([] when none)")
    listing.set_defaults(handler=run_queue_list)
    retry = actions.add_parser("retry", help="put failed jobs back to be drafted, their attempts reset")
    retry.add_argument("jobs", nargs="*", metavar="JOB", help="job ids as `queue list` shows them (6+ characters)")
    retry.add_argument("--all", action="store_true", help="every failed job")
    retry.add_argument("--json", action="store_true", help='print {"retried": [jobs]} as JSON')
    retry.set_defaults(handler=run_queue_retry)
    purge = actions.add_parser(
        "purge",
        help="remove finished jobs (a purged job no longer makes a repeated delivery a duplicate)",
    )
    purge.add_argument(
        "--older-than",
        type=float,
        default=DEFAULT_PURGE_DAYS,
        metavar="DAYS",
        help=f"only jobs finished more than DAYS ago (default {DEFAULT_PURGE_DAYS:g}; 0 for all)",
    )
    purge.add_argument("--failed", action="store_true", help="failed jobs too, not only done ones")
    purge.add_argument("--json", action="store_true", help='print {"purged": [jobs]} as JSON')
    purge.set_defaults(handler=run_queue_purge)


def _queue(service: PostmortemService):
    from pm_agent.automation.queue import JobQueue

    return JobQueue(service.settings.queue_dir, redact_emails=service.settings.redact_emails)


def run_queue_list(args: argparse.Namespace, service: PostmortemService) -> int:
    queue = _queue(service)
    states = [args.state] if args.state else ["pending", "done", "failed"]
    jobs = [job for state in states for job in queue.jobs(state)]
    if args.json:
        emit(to_json([_fields(job) for job in jobs]))
        return 0
    for job in jobs:
        print(_line(job))
    if not jobs:
        say("queue", f"no {args.state or ''} jobs in {queue.root}".replace("  ", " "))
    return 0


def run_queue_retry(args: argparse.Namespace, service: PostmortemService) -> int:
    queue = _queue(service)
    if args.all == bool(args.jobs):
        raise InputError("give the ids of the failed jobs to retry, or --all (not both)")
    jobs = queue.jobs("failed") if args.all else [queue.find(ident) for ident in args.jobs]
    retried = [queue.retry(job) for job in jobs]
    if args.json:
        emit(to_json({"retried": [_fields(job) for job in retried]}))
        return 0
    for job in retried:
        print(f"{job.id}: {job.name} queued again")
    return 0


def run_queue_purge(args: argparse.Namespace, service: PostmortemService) -> int:
    if not args.older_than >= 0:
        raise InputError(f"--older-than {args.older_than:g}: give a number of days, 0 or more")
    states = ("done", "failed") if args.failed else ("done",)
    import datetime as dt

    removed = _queue(service).purge(states, dt.timedelta(days=args.older_than))
    if args.json:
        emit(to_json({"purged": [_fields(job) for job in removed]}))
    else:
        print(f"purged {len(removed)} job{'' if len(removed) == 1 else 's'}")
    return 0


def _fields(job) -> dict:
    """What ``queue list --json`` shows of a job: everything but the incident text."""
    return {
        "job": job.id,
        "state": job.state,
        "name": job.name,
        "attempts": job.attempts,
        "incident_id": job.incident_id,
        "outputs": job.outputs,
        "error": job.error,
        "created_at": _time(job.created_at),
        "finished_at": _time(job.finished_at),
        "retry_at": _time(job.not_before),
        "slack_channel": job.slack_channel,
    }


def _line(job) -> str:
    """One line per job: id, state, attempts, source name, then the draft, the next retry or the error."""
    parts = [job.id, job.state, f"{job.attempts} attempt{'' if job.attempts == 1 else 's'}", job.name]
    if job.state == "done":
        parts.append(f"drafted {job.incident_id}")
    if job.not_before is not None:
        parts.append(f"retry at {_time(job.not_before)}")
    if job.error:
        parts.append(f"error: {job.error}")
    return "  ".join(parts)


def _time(moment) -> str | None:
    return moment.isoformat(timespec="seconds") if moment is not None else None

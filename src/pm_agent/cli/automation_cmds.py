"""``pm-agent watch DIR``: draft every incident file dropped into a folder, through the drafting queue.

The same queue and worker as the HTTP server's webhooks: a file's content is queued once, each
draft is written to PM_AGENT_OUTPUT_DIR as Markdown and JSON and stored in the memory, and a
failed incident is kept in the queue with its error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from pm_agent.errors import InputError

DEFAULT_INTERVAL_S = 2.0


def register(commands: argparse._SubParsersAction) -> None:
    """Add the ``watch`` sub-command."""
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
    parser.add_argument("--interval", type=float, default=DEFAULT_INTERVAL_S, metavar="S",
                        help=f"seconds between looks at the folder (default {DEFAULT_INTERVAL_S:g})")
    parser.add_argument("--json", action="store_true", help="print one JSON object per draft (JSON Lines)")
    parser.set_defaults(handler=run_watch)


def run_watch(args: argparse.Namespace) -> int:
    from pm_agent.automation.queue import JobQueue
    from pm_agent.automation.watch import FolderWatch
    from pm_agent.automation.worker import Worker
    from pm_agent.service import PostmortemService
    from pm_agent.settings import Settings

    if not args.interval > 0:
        raise InputError(f"--interval {args.interval:g}: give a number of seconds above 0, e.g. --interval 5")
    folder = Path(args.folder)
    if not folder.is_dir():
        raise InputError("no such folder" if not folder.exists() else "not a folder", source=args.folder)
    service = PostmortemService(Settings())
    logging.getLogger("pm_agent.automation").setLevel(logging.ERROR)  # each outcome is printed below instead
    queue = JobQueue(service.settings.queue_dir, redact_emails=service.settings.redact_emails)
    failures: list[str] = []
    worker = Worker(queue, service, on_result=lambda job: _show(job, args.json, failures))
    watch = FolderWatch(folder, queue, service.settings.max_input_bytes, settle_s=min(1.0, args.interval))
    if args.once:
        return _once(watch, worker, failures)
    print(f"pm-agent: watching {folder} every {args.interval:g} s; drafts go to {worker.output_dir} (Ctrl-C stops)",
          file=sys.stderr)
    try:
        while True:
            _report_skipped(watch.scan())
            worker.run_pending()
            time.sleep(args.interval)
    except KeyboardInterrupt:
        print("pm-agent: watch stopped", file=sys.stderr)
        return 0


def _once(watch, worker, failures: list[str]) -> int:
    """One look at the folder and one pass over the queue; status 1 when a draft failed."""
    scan = watch.scan(settle=False)
    _report_skipped(scan)
    drafted = sum(job.state == "done" for job in worker.run_pending())
    summary = f"{drafted} drafted, {len(failures)} failed"
    if scan.unchanged:
        summary += f", {len(scan.unchanged)} unchanged since queued before"
    if scan.skipped:
        summary += f", {len(scan.skipped)} skipped"
    print(f"pm-agent: watch: {summary}", file=sys.stderr)
    return 1 if failures or scan.skipped else 0


def _show(job, as_json: bool, failures: list[str]) -> None:
    """One line per finished job: the draft's paths on stdout, or the error on stderr."""
    if job.state != "done":
        failures.append(job.id)
    if as_json:
        fields = {"file": job.name, "state": job.state, "incident_id": job.incident_id, "outputs": job.outputs,
                  "error": job.error, "job": job.id}
        print(json.dumps(fields), flush=True)
    elif job.state == "done":
        print(f"{job.name}: drafted {job.incident_id} -> {job.outputs[0]}", flush=True)
    else:
        error = job.error or "failed"
        shown = error if error.startswith(f"{job.name}:") else f"{job.name}: {error}"
        print(f"pm-agent: error: {shown}", file=sys.stderr, flush=True)


def _report_skipped(scan) -> None:
    for name, reason in scan.skipped:
        print(f"pm-agent: error: {name}: skipped, {reason}", file=sys.stderr, flush=True)

"""``pm-agent fetch pagerduty INCIDENT_ID``: read a resolved incident from PagerDuty and Slack, and draft it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pm_agent.cli.draft_cmds import add_backend_option
from pm_agent.cli.output import emit, say, working
from pm_agent.service import PostmortemService


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "fetch",
        help="read an incident from PagerDuty (and its Slack channel) through their APIs, and draft it",
        description="Read an incident and what was recorded during it through a source's API, then draft it.",
    )
    sources = parser.add_subparsers(dest="fetch_source", metavar="SOURCE", required=True)
    pagerduty = sources.add_parser(
        "pagerduty",
        help="a PagerDuty incident: log entries, notes, alerts, and its Slack channel",
        description=(
            "Read PagerDuty incident INCIDENT_ID (its log entries, notes and alerts; PM_AGENT_PAGERDUTY_TOKEN) and, "
            "with PM_AGENT_SLACK_TOKEN, the Slack channel its conference bridge links to (or --slack-channel), merge "
            "them into one timeline, redact secrets, and draft the postmortem. A source that cannot be read is left "
            "out with a warning and an open question in the draft."
        ),
    )
    pagerduty.add_argument("incident_id", metavar="INCIDENT_ID", help="the PagerDuty incident id, e.g. Q2W8RT5YU1IOP3")
    pagerduty.add_argument(
        "--slack-channel", metavar="C", help="the incident's Slack channel: its id (C0123ABCD) or link"
    )
    pagerduty.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        help="write the draft into DIR as <incident id>.md and .json instead of printing it",
    )
    pagerduty.add_argument(
        "--json", action="store_true", help="print the draft as JSON (with -o: what was written and what is missing)"
    )
    pagerduty.add_argument("--no-memory", action="store_true", help="leave out related incidents from the memory")
    add_backend_option(pagerduty)
    pagerduty.set_defaults(handler=run_fetch_pagerduty)


def run_fetch_pagerduty(args: argparse.Namespace, service: PostmortemService) -> int:
    with working(f"reading PagerDuty incident {args.incident_id}"):
        fetched = service.fetch_pagerduty(args.incident_id, slack_channel=args.slack_channel)
    for missing in fetched.missing:
        say("warning", f"drafted without the {missing}")
    with working(f"drafting the postmortem of {len(fetched.incident.events)} events"):
        postmortem = service.draft_fetched(fetched, backend=args.backend, use_memory=not args.no_memory)
    if not args.output_dir:
        emit(service.render(postmortem, "json" if args.json else "markdown"))
        return 0
    from pm_agent.automation.worker import write_draft

    written = write_draft(service, postmortem, Path(args.output_dir))
    if args.json:
        print(
            json.dumps(
                {
                    "incident_id": postmortem.incident_id,
                    "outputs": [str(path) for path in written],
                    "events": len(postmortem.timeline),
                    "slack_channel": fetched.slack_channel,
                    "missing": [str(missing) for missing in fetched.missing],
                },
                indent=2,
            )
        )
    else:
        for path in written:
            print(path)
    return 0

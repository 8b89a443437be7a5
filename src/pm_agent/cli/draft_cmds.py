"""``pm-agent draft``: incident files in, a postmortem draft out."""

from __future__ import annotations

import argparse

from pm_agent.cli.output import emit, read_text_arg, working
from pm_agent.errors import InputError
from pm_agent.service import PostmortemService, parse_roster


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "draft",
        help="draft a blameless postmortem from incident files",
        description=(
            "Draft a blameless postmortem from one or more files about one incident: pm-agent incident "
            "JSON, a Slack export, PagerDuty log entries, an Alertmanager webhook, or a text/Markdown "
            "timeline (a directory stands for the files in it). Works offline."
        ),
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="incident files (merged into one timeline), or - for stdin"
    )
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown", help="output format")
    parser.add_argument("-o", "--output", metavar="OUT", help="write to this file instead of stdout")
    add_reading_options(parser)
    parser.add_argument("--roster", metavar="FILE", help='JSON of role to owner name, e.g. {"platform": "Dana"}')
    parser.add_argument("--no-score", action="store_true", help="skip the closing rubric score")
    parser.add_argument("--no-memory", action="store_true", help="leave out related incidents from the memory")
    add_backend_option(parser)
    parser.set_defaults(handler=run_draft)


def add_backend_option(parser: argparse.ArgumentParser) -> None:
    """``--backend``: who writes (the offline engine, Claude, or a scripted fake for demos)."""
    parser.add_argument(
        "--backend",
        choices=("auto", "offline", "anthropic", "fake"),
        help="who writes: auto (default: Claude when ANTHROPIC_API_KEY is set, else offline), offline, anthropic, fake",
    )


def add_reading_options(parser: argparse.ArgumentParser) -> None:
    """Options every command that reads incident files shares."""
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="date for timelines that give only times of day")
    parser.add_argument(
        "--timezone", metavar="TZ", help="zone of times written without an offset (default: UTC), e.g. Europe/Oslo"
    )


def load_files_or_stdin(service: PostmortemService, files: list[str], args: argparse.Namespace):
    """The incident in ``files``, or on standard input when the only file is ``-``."""
    if "-" not in files:
        return service.load(files, date=args.date, timezone=args.timezone)
    if len(files) > 1:
        raise InputError("'-' (standard input) stands alone: give either - or files, not both")
    text = read_text_arg("-", service.settings.max_input_bytes)
    return service.load_text(text, name="<stdin>", date=args.date, timezone=args.timezone)


def run_draft(args: argparse.Namespace, service: PostmortemService) -> int:
    with working("reading the incident"):
        incident = load_files_or_stdin(service, args.files, args)
    limit = service.settings.max_input_bytes
    roster = parse_roster(read_text_arg(args.roster, limit), args.roster) if args.roster else None
    with working(f"drafting the postmortem of {len(incident.events)} events"):
        postmortem = service.draft(
            incident, roster=roster, score=not args.no_score, backend=args.backend, use_memory=not args.no_memory
        )
    emit(service.render(postmortem, args.format), args.output)
    return 0

"""Analysis commands: ``whys``, ``blameless``, ``actions``, ``fishbone``, ``score``."""

from __future__ import annotations

import argparse

from pm_agent.cli.draft_cmds import add_backend_option, add_reading_options, load_files_or_stdin
from pm_agent.cli.memory_cmds import emit_memory_read, empty_memory_note
from pm_agent.cli.output import emit, read_text_arg, to_json
from pm_agent.errors import InputError, NotFoundError
from pm_agent.render import analysis as render_analysis
from pm_agent.render import memory as render_memory
from pm_agent.service import PostmortemService, TrackedAction, parse_actions_json, parse_roster

EXIT_NOT_SMART = 1


def register(commands: argparse._SubParsersAction) -> None:
    _register_whys(commands)
    _register_blameless(commands)
    _register_actions(commands)
    _register_fishbone(commands)
    _register_score(commands)


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _register_whys(commands) -> None:
    parser = commands.add_parser(
        "whys",
        help="run a 5 Whys analysis, or check a chain you wrote",
        description="Build a why-chain ending at a systemic cause, citing incident events as evidence. "
        "With --check, review a chain you wrote (one 'because' per line) instead.",
    )
    parser.add_argument("problem", nargs="?", help="the problem statement (default: the incident title)")
    parser.add_argument(
        "--incident", nargs="+", metavar="FILE", default=[], help="incident files to draw evidence from, or - for stdin"
    )
    parser.add_argument("--fact", action="append", default=[], metavar="TEXT", help="a known fact (repeatable)")
    parser.add_argument("--check", metavar="FILE", help="review the chain in FILE (or - for stdin), one cause per line")
    add_reading_options(parser)
    add_backend_option(parser)
    _json_flag(parser)
    parser.set_defaults(handler=run_whys)


def run_whys(args: argparse.Namespace, service: PostmortemService) -> int:
    if args.check:
        review = service.review_chain(read_text_arg(args.check, service.settings.max_input_bytes).splitlines())
        emit(to_json(review) if args.json else render_analysis.chain_review_text(review))
        return 0 if review.ok else EXIT_NOT_SMART
    incident = load_files_or_stdin(service, args.incident, args) if args.incident else None
    problem = args.problem or (incident.title if incident else "")
    if not problem:
        raise InputError("give a problem statement, or --incident FILE to take it from the incident title")
    chain = service.five_whys(problem, incident, args.fact, backend=args.backend)
    emit(to_json(chain) if args.json else render_analysis.why_chain_text(chain))
    return 0


def _register_blameless(commands) -> None:
    parser = commands.add_parser(
        "blameless",
        help="find blame language and rewrite it toward the system",
        description="Detect blame language (people as causes, counterfactuals, judgements, 'human error', "
        "hindsight, blame by role) and rewrite it, keeping every time, number and name of a system.",
    )
    parser.add_argument("file", metavar="FILE", help="text or Markdown to check, or - for stdin")
    add_backend_option(parser)
    _json_flag(parser)
    parser.set_defaults(handler=run_blameless)


def run_blameless(args: argparse.Namespace, service: PostmortemService) -> int:
    text = read_text_arg(args.file, service.settings.max_input_bytes)
    report = service.rewrite_blameless(text, backend=args.backend)
    emit(to_json(report) if args.json else render_analysis.blameless_text(report))
    return 0


def _register_actions(commands) -> None:
    parser = commands.add_parser("actions", help="propose, check and track action items")
    sub = parser.add_subparsers(dest="actions_command", metavar="ACTION", required=True)
    propose = sub.add_parser("propose", help="propose SMART actions for an incident's causes")
    propose.add_argument("files", nargs="+", metavar="FILE", help="incident files, or - for stdin")
    propose.add_argument("--roster", metavar="FILE", help='JSON of role to owner name, e.g. {"platform": "Dana"}')
    add_reading_options(propose)
    add_backend_option(propose)
    _json_flag(propose)
    propose.set_defaults(handler=run_actions_propose)
    check = sub.add_parser("check", help="lint action items against SMART (exit 1 when any falls short)")
    check.add_argument("file", metavar="FILE", help="JSON list of actions (objects or strings), or - for stdin")
    _json_flag(check)
    check.set_defaults(handler=run_actions_check)
    listing = sub.add_parser("list", help="action items of remembered postmortems, overdue first")
    listing.add_argument("--overdue", action="store_true", help="only open items past their due date")
    listing.add_argument("--all", action="store_true", help="include items already done")
    _json_flag(listing)
    listing.set_defaults(handler=run_actions_list)
    sync = sub.add_parser("sync", help="read the state of each remembered action's issue from the tracker")
    _json_flag(sync)
    sync.set_defaults(handler=run_actions_sync)
    done = sub.add_parser("done", help="mark a remembered action item done")
    done.add_argument("action_id", metavar="ID", help="the id shown by 'pm-agent actions list'")
    _json_flag(done)
    done.set_defaults(handler=run_actions_done)


def run_actions_propose(args: argparse.Namespace, service: PostmortemService) -> int:
    limit = service.settings.max_input_bytes
    incident = load_files_or_stdin(service, args.files, args)
    roster = parse_roster(read_text_arg(args.roster, limit), args.roster) if args.roster else None
    actions = service.propose_actions(incident, roster, backend=args.backend)
    emit(to_json(actions) if args.json else render_analysis.actions_text(actions))
    return 0


def run_actions_check(args: argparse.Namespace, service: PostmortemService) -> int:
    text = read_text_arg(args.file, service.settings.max_input_bytes)
    lints = service.check_actions(parse_actions_json(text, args.file))
    emit(to_json(lints) if args.json else render_analysis.action_lints_text(lints))
    return 0 if all(lint.smart for lint in lints) else EXIT_NOT_SMART


def run_actions_list(args: argparse.Namespace, service: PostmortemService) -> int:
    def tracked() -> list[TrackedAction]:
        return service.list_actions(overdue=args.overdue, include_done=args.all)

    emit_memory_read(args, service, tracked, render_memory.tracked_actions_text)
    return 0


def run_actions_sync(args: argparse.Namespace, service: PostmortemService) -> int:
    if (empty := empty_memory_note(service)) is not None:  # no action to ask the tracker about
        emit("[]" if args.json else empty)
        return 0
    synced = service.sync_actions()
    emit(to_json(synced) if args.json else render_memory.tracked_actions_text(synced))
    return 0


def run_actions_done(args: argparse.Namespace, service: PostmortemService) -> int:
    try:
        action = service.mark_action_done(args.action_id)
    except NotFoundError as exc:  # the MCP tool's error names its tool for the ids, as this names the command
        raise NotFoundError(f"{exc}; `pm-agent actions list` shows the ids") from exc
    emit(to_json(action) if args.json else render_memory.action_done_text(action))
    return 0


def _register_fishbone(commands) -> None:
    parser = commands.add_parser(
        "fishbone",
        help="group causes into People, Process, Technology, Environment (Mermaid)",
        description="Group an incident's causes and contributing factors into a fishbone diagram, "
        "rendered as Mermaid inside Markdown; --fault-tree adds a fault tree with AND/OR gates.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="incident files, or - for stdin")
    parser.add_argument("--fault-tree", action="store_true", help="also render a fault tree")
    add_reading_options(parser)
    _json_flag(parser)
    parser.set_defaults(handler=run_fishbone)


def run_fishbone(args: argparse.Namespace, service: PostmortemService) -> int:
    incident = load_files_or_stdin(service, args.files, args)
    fishbone = service.fishbone(incident, fault_tree=args.fault_tree)
    emit(to_json(fishbone) if args.json else render_analysis.fishbone_text(fishbone))
    return 0


def _register_score(commands) -> None:
    parser = commands.add_parser(
        "score",
        help="score any postmortem in Markdown against the rubric",
        description="Score a postmortem on eight weighted criteria (1 to 5; pass at 3.5), with the evidence "
        "found and what would raise each score.",
    )
    parser.add_argument("file", metavar="POSTMORTEM.md", help="the postmortem, or - for stdin")
    parser.add_argument(
        "--judge", action="store_true", help="also ask a model judge (needs a model backend), shown beside the score"
    )
    parser.add_argument(
        "--samples", type=int, default=3, metavar="K", help="judge samples, reduced by median (default 3)"
    )
    add_backend_option(parser)
    _json_flag(parser)
    parser.set_defaults(handler=run_score)


def run_score(args: argparse.Namespace, service: PostmortemService) -> int:
    markdown = read_text_arg(args.file, service.settings.max_input_bytes)
    result = service.score(markdown)
    if not args.judge:
        emit(to_json(result) if args.json else render_analysis.rubric_text(result))
        return 0
    judged = service.judge(markdown, backend=args.backend, samples=args.samples)
    if args.json:
        emit(to_json({"rubric": result.model_dump(mode="json"), "judge": judged.model_dump(mode="json")}))
    else:
        emit(
            render_analysis.rubric_text(result)
            + "\n\nModel judge (beside, never instead):\n"
            + judged.model_dump_json(indent=2)
        )
    return 0

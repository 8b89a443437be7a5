"""Reading the files ``pm-agent memory ingest`` is given into :class:`MemoryRecord` objects.

Formats, told apart by extension and then by content:

- JSON Lines (``.jsonl``/``.ndjson``, or several JSON objects one per line): one record per line;
- JSON (``.json``): one object or a list of objects;
- Markdown (``.md``/``.markdown``): a postmortem whose sections are parsed into fields.

Each JSON object is our postmortem JSON (``incident_id`` and ``summary``), pm-agent incident
JSON with a timeline (``events``; read by :mod:`pm_agent.ingest`), or a plain incident row
(``title``/``summary``/``date``...). A directory stands for the supported files under it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pm_agent.errors import InputError, first_problem
from pm_agent.ingest.files import read_input_file
from pm_agent.ingest.limits import DEFAULT_MAX_FIELD_CHARS, check_json_depth
from pm_agent.ingest.loader import parse_json
from pm_agent.memory.records import MemoryRecord, record_from_incident, record_from_plain, record_from_postmortem

JSONL_SUFFIXES = (".jsonl", ".ndjson")
MARKDOWN_SUFFIXES = (".md", ".markdown")
SUPPORTED_SUFFIXES = (".json", *JSONL_SUFFIXES, *MARKDOWN_SUFFIXES)


@dataclass
class ReadResult:
    """The records read from some files, and one line per thing that could not be read."""

    records: list[MemoryRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    files: int = 0


def read_paths(paths: list[str | Path]) -> ReadResult:
    """Read every file (directories expanded); unreadable parts become problems, not exceptions.

    Cause categories are not assigned here: the memory classifies only the records it stores.
    """
    result = ReadResult()
    for path in expand_paths(paths, result.problems):
        result.files += 1
        try:
            result.records.extend(read_file(path))
        except InputError as exc:
            result.problems.append(str(exc))
    return result


def expand_paths(paths: list[str | Path], problems: list[str]) -> list[Path]:
    """Files as given; a directory stands for its supported files, recursively and sorted."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                problems.append(f"{path}: no .json, .jsonl or .md files in this directory")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(f"{path}: no such file")
    return files


def read_file(path: Path) -> Iterator[MemoryRecord]:
    """The records of one file; raises InputError when the file cannot be read at all.

    The limits of every other reader apply (``PM_AGENT_MAX_INPUT_BYTES`` per file, checked before
    reading; ``PM_AGENT_MAX_FIELD_CHARS`` per text of a JSON row): one 81 MB row took three minutes
    and 10 GB to refuse nothing.
    """
    max_bytes, max_field_chars = _limits()
    raw = read_input_file(path, max_bytes)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", source=str(path)) from None
    suffix = path.suffix.lower()
    looks_like_json = text.lstrip().startswith(("{", "["))
    if suffix in MARKDOWN_SUFFIXES or (suffix not in (".json", *JSONL_SUFFIXES) and not looks_like_json):
        yield read_markdown(text, str(path))
    elif suffix in JSONL_SUFFIXES or (suffix != ".json" and _looks_like_jsonl(text)):
        yield from read_jsonl(text, str(path), max_field_chars)
    else:
        yield from read_json(text, str(path), max_field_chars)


def _limits() -> tuple[int, int]:
    """The byte limit per file and the character limit per field, as configured."""
    from pm_agent.settings import Settings

    settings = Settings()
    return settings.max_input_bytes, settings.max_field_chars


def _looks_like_jsonl(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return len(lines) > 1 and all(line.lstrip().startswith("{") and line.rstrip().endswith("}") for line in lines)


def read_json(text: str, source: str, max_field_chars: int = DEFAULT_MAX_FIELD_CHARS) -> Iterator[MemoryRecord]:
    data = parse_json(text, source)
    items = data if isinstance(data, list) else [data]
    for index, item in enumerate(items):
        where = f"{source}[{index}]" if isinstance(data, list) else source
        check_texts(item, where, max_field_chars)
        yield record_from_object(item, where)


def read_jsonl(text: str, source: str, max_field_chars: int = DEFAULT_MAX_FIELD_CHARS) -> Iterator[MemoryRecord]:
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        check_json_depth(line, where)
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {number}: malformed JSON: {exc.msg}", source=source) from None
        check_texts(item, where, max_field_chars)
        yield record_from_object(item, where)


def check_texts(item: Any, where: str, limit: int) -> None:
    """Refuse a JSON row holding a text longer than ``limit`` characters (depth is already bounded)."""
    stack = [("", item)]
    while stack:
        place, value = stack.pop()
        if isinstance(value, str) and len(value) > limit:
            raise InputError(
                f"{place or 'a text'} is {len(value):,} characters, over the limit of {limit:,} per field "
                "(shorten it, or raise PM_AGENT_MAX_FIELD_CHARS)",
                source=where,
            )
        if isinstance(value, dict):
            stack.extend((f"{place}.{key}" if place else str(key), child) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((f"{place}[{index}]", child) for index, child in enumerate(value))


def record_from_object(item: Any, where: str) -> MemoryRecord:
    """One JSON object: our postmortem, an incident with a timeline, or a plain incident row."""
    if not isinstance(item, dict):
        raise InputError("expected a JSON object (an incident or a postmortem)", source=where)
    if "incident_id" in item and "summary" in item:
        return _postmortem(item, where)
    if isinstance(item.get("events"), list) and item["events"]:
        return _incident_with_timeline(item, where)
    try:
        return record_from_plain(item, where)
    except ValueError:
        raise InputError("no title or summary: not an incident or postmortem", source=where) from None


def _postmortem(item: dict[str, Any], where: str) -> MemoryRecord:
    from pm_agent.models import Postmortem

    try:
        postmortem = Postmortem.model_validate(item)
    except ValidationError as exc:
        location, problem = first_problem(exc)
        raise InputError(f"not a valid postmortem: {location}: {problem}", source=where) from None
    return record_from_postmortem(postmortem, where)


def _incident_with_timeline(item: dict[str, Any], where: str) -> MemoryRecord:
    from pm_agent.ingest import load_incident_text

    incident = load_incident_text(json.dumps(item), name=where)
    return record_from_incident(incident, item, where)


def read_markdown(text: str, source: str) -> MemoryRecord:
    from pm_agent.memory.markdown_records import record_from_markdown

    return record_from_markdown(text, source)

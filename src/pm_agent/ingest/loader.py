"""Reading input files: size limits, decoding, format detection, conversion to UTC."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pm_agent.errors import InputError
from pm_agent.ingest.base import FormatParser, ParsedFile
from pm_agent.ingest.files import check_input_size, read_input_file
from pm_agent.ingest.limits import DEFAULT_MAX_FIELD_CHARS, check_fields, check_json_depth, check_lines
from pm_agent.ingest.timeparse import TimestampError, to_utc

# Order matters: the most specific JSON shapes are tried first.
JSON_FORMATS = ("pagerduty", "alertmanager", "native", "slack")
TEXT_FORMATS = ("text",)
DEFAULT_MAX_BYTES = 20 * 1024 * 1024

UNKNOWN_FORMAT = (
    "unknown format: expected pm-agent incident JSON, a Slack export, PagerDuty log_entries, "
    "an Alertmanager webhook, or a text/Markdown timeline with one timestamped line per event"
)


@dataclass(frozen=True)
class ReadOptions:
    """How to read inputs: a date for time-only lines, a zone for times without offsets, limits
    (``PM_AGENT_MAX_INPUT_BYTES`` per file, ``PM_AGENT_MAX_FIELD_CHARS`` per field)."""

    default_date: dt.date | None = None
    assume_tz: dt.tzinfo | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    max_field_chars: int = DEFAULT_MAX_FIELD_CHARS


def parser_for(name: str) -> FormatParser:
    """The parser of one format, imported on first use."""
    return importlib.import_module(f"pm_agent.ingest.{name}").PARSER


def read_path(path: str | Path, options: ReadOptions) -> ParsedFile:
    """Read one file into a :class:`ParsedFile` with every time in UTC (refused before reading when too big)."""
    return read_bytes(read_input_file(path, options.max_bytes), str(path), options)


def read_bytes(raw: bytes, source: str, options: ReadOptions) -> ParsedFile:
    """Decode, detect the format, parse, check the length of every field and convert one input to UTC."""
    check_input_size(len(raw), source, options.max_bytes, capped=True)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text (is it a binary file?)", source=source) from None
    if not text.strip():
        raise InputError("file is empty", source=source)
    data = decode_json(text, source)
    parser = detect(data, source)
    if isinstance(data, str):
        check_lines(data, source, options.max_field_chars)
    parsed = parser.parse(data, source, default_date=options.default_date)
    check_fields(parsed, source, options.max_field_chars)
    return in_utc(parsed, source, options.assume_tz)


def decode_json(text: str, source: str) -> Any:
    """JSON when the text looks like JSON (``{`` or ``[`` first), else the text itself."""
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return text
    try:
        return parse_json(stripped, source)
    except InputError as exc:
        looks_like_tag = stripped.startswith("[") and not stripped.startswith(("[{", "[ ", "[\n", "[]"))
        if looks_like_tag and exc.detail.startswith("malformed JSON at line"):
            return text  # a text line such as "[deploy] 14:05 ..." rather than JSON
        raise


def parse_json(text: str, source: str) -> Any:
    """``json.loads``, with a bad document (or one nested too deeply) reported as an :class:`InputError`."""
    check_json_depth(text, source)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", source=source) from None
    except RecursionError:
        raise InputError("malformed JSON: nested too deeply", source=source) from None


def detect(data: Any, source: str) -> FormatParser:
    """The parser whose format ``data`` has."""
    names = TEXT_FORMATS if isinstance(data, str) else JSON_FORMATS
    for name in names:
        parser = parser_for(name)
        if parser.sniff(data):
            return parser
    raise InputError(UNKNOWN_FORMAT, source=source)


def in_utc(parsed: ParsedFile, source: str, assume_tz: dt.tzinfo | None) -> ParsedFile:
    """Convert every time of one file to UTC, refusing files that mix zoned and naive times."""
    keys = list(parsed.times)
    moments = [parsed.times[k] for k in keys] + [event.at for event in parsed.events]
    try:
        converted = to_utc(moments, assume_tz=assume_tz)
    except TimestampError as exc:
        raise InputError(str(exc), source=source) from None
    parsed.times = dict(zip(keys, converted[: len(keys)], strict=True))
    for event, moment in zip(parsed.events, converted[len(keys) :], strict=True):
        event.at = moment
    return parsed

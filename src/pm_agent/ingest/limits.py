"""Field-length limits: no single field of an input may be longer than ``PM_AGENT_MAX_FIELD_CHARS``.

A 20 MB file is allowed; a 20 MB event text is not. Every engine reads event texts, titles and
notes with regular expressions and builds sentences from them, so one pathological field would
cost every step after it. The check runs once per file, after parsing (so that it sees the
fields as the parser built them: a Slack message with its markup resolved, an event whose text
continues on the next lines) and, for text timelines, on each line before parsing.
"""

from __future__ import annotations

from collections.abc import Iterator

from pm_agent.errors import InputError
from pm_agent.ingest.base import ParsedFile
from pm_agent.ingest.json_depth import MAX_JSON_DEPTH, json_depth

DEFAULT_MAX_FIELD_CHARS = 20_000
VARIABLE = "PM_AGENT_MAX_FIELD_CHARS"


def check_lines(text: str, source: str, limit: int) -> None:
    """Refuse a text timeline with a line longer than ``limit`` characters (headings, notes and
    ``Title:`` lines included), naming the first such line."""
    if len(text) <= limit:
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > limit:
            raise _too_long(f"line {number}", len(line), limit, source)


def check_fields(parsed: ParsedFile, source: str, limit: int) -> None:
    """Refuse a parsed file with a field longer than ``limit`` characters, naming the first one."""
    for place, value in fields(parsed):
        if len(value) > limit:
            raise _too_long(place, len(value), limit, source)


def fields(parsed: ParsedFile) -> Iterator[tuple[str, str]]:
    """Every text field of one parsed file, with its place (``events[12].text``, ``the event text at line 40``)."""
    for name in ("id", "title", "severity"):
        yield name, getattr(parsed, name) or ""
    for index, service in enumerate(parsed.services):
        yield f"services[{index}]", service
    for event in parsed.events:
        yield _place(event.locator, "text"), event.text
        yield _place(event.locator, "actor"), event.actor or ""
    for undated in parsed.undated:
        yield _place(undated.locator, "text"), undated.text
        yield _place(undated.locator, "time_text"), undated.time_text
    if parsed.format != "text":  # a text file's notes are its other lines, each checked by check_lines
        yield "notes", parsed.notes
    for kind, value in parsed.impact.items():
        quote = value.get("quote") if isinstance(value, dict) else value
        if isinstance(quote, str):
            yield f"impact.{kind}", quote


def _place(locator: str, field: str) -> str:
    """``events[12].text`` for a JSON locator, ``the event text at line 40`` for a line of a text file."""
    if not locator:
        return field
    return f"the event {field} at {locator}" if locator.startswith("line ") else f"{locator}.{field}"


def _too_long(place: str, length: int, limit: int, source: str) -> InputError:
    return InputError(
        f"{place} is {length:,} characters, over the limit of {limit:,} per field (shorten it, or raise {VARIABLE})",
        source=source,
    )


def check_json_depth(text: str, source: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON nested deeper than ``limit`` before it is decoded.

    Every reader of decoded JSON (the parsers, redaction, validation) walks it recursively; a
    document of 100,000 nested lists would exhaust the stack in any of them, and one only a few
    hundred deep can already do so in a thread with less room. Counted on the text, with no
    recursion: brackets inside strings do not count.
    """
    deepest = json_depth(text, limit)
    if deepest > limit:
        raise InputError(
            f"JSON nested {deepest:,} levels deep, over the limit of {limit}; no incident format nests that deep",
            source=source,
        )

"""Plain-text and Markdown incident timelines: one timestamped line per event, or a Markdown table.

A line is an event only when it *opens* with a timestamp (after a list bullet, a heading mark or
``**bold**``), so "latency rose to 14:05 levels" inside a sentence never starts an event. Times of
day take their date from the file (``Date: 2024-03-01``, a heading or a line holding a date)
or from ``default_date``, and move to the next day when the clock runs backwards past midnight.
``Title:``, ``Severity:``, ``Services:`` and ``ID:`` lines fill in the incident; every other line
that is not an event is kept verbatim in the notes.

Markdown structure (where a table starts and ends, its cells, what a heading is, what a column
holds) comes from :mod:`pm_agent.markdown.syntax` and :mod:`pm_agent.markdown.columns` read
strictly, the same reader the scorer uses leniently; this module keeps what is particular to
timelines: stamps, dates, zones, sources, notes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from pm_agent.errors import InputError
from pm_agent.ingest.base import ParsedFile, RawEvent, RawUndated
from pm_agent.ingest.native import SOURCE_SYNONYMS
from pm_agent.ingest.timeparse import (
    DATE_ONLY_RE,
    TimestampError,
    from_match,
    match_leading_timestamp,
    parse_zone_name,
    quoted,
)
from pm_agent.markdown.columns import timeline_roles
from pm_agent.markdown.syntax import (
    APPROXIMATE_AFTER,
    STRICT,
    heading,
    strip_marks,
    table_cells,
    table_end,
    table_starts,
)

MIDNIGHT_JUMP = dt.timedelta(hours=12)  # a clock running back further than this crossed midnight
NEEDS_A_DATE = "time-only entries need a date: add a line 'Date: YYYY-MM-DD' or pass --date"

_STRONG_KEYWORDS = {  # the earliest of these in the text decides the source
    "alert": r"alerts?|alerting|alertmanager|firing|fired|fires|triggered|datadog|prometheus|grafana|pingdom|monitors?",
    "page": r"paged|paging|(?<!status )pages?|pagerduty|opsgenie|on-?call|acks?|acknowledged|acked|ack'd|escalat\w*",
    "deploy": r"deploy\w*|roll-?outs?|rolled (?:out|back)|rolling (?:out|back)|rollbacks?|releas\w*|revert\w*|"
    r"hotfix\w*|canary|feature flag|config(?:uration)? change|merged",
}
_WEAK_KEYWORDS = {  # only when no strong keyword appears
    "metric": r"p50|p9\d(?:\.\d+)?|latency|error rate|throughput|cpu|memory|saturation|"
    r"\d+(?:\.\d+)?\s?(?:ms|%|rps|qps|req/s)",
    "chat": r"slack|said|says|asked|asks|posted|wrote|replied|zoom|bridge|war ?room|#[a-z][\w-]+",
}
STRONG_SOURCES = {
    source: re.compile(rf"(?<![\w-])(?:{words})(?![\w-])", re.I) for source, words in _STRONG_KEYWORDS.items()
}
WEAK_SOURCES = {
    source: re.compile(rf"(?<![\w-])(?:{words})(?![\w/-])", re.I) for source, words in _WEAK_KEYWORDS.items()
}

_PREFIX = re.compile(r"^\s*(?:(?:[-*+•]|\d+[.)]|#{1,6})\s+)?")
_TAG = re.compile(r"^\[(?P<tag>[A-Za-z]+)\]\s*")
_OPENERS = {"**": "**", "__": "__", "`": "`", "*": "*", "_": "_", "[": "]", "(": ")"}
_SEPARATOR = re.compile(r"^\s*(?:(?:-{1,2}|–|—|:|\||->|→)\s*)?")
_OFFSET_AFTER_ZONE = re.compile(r"^[+-]\d")  # "14:05 UTC+2": an offset the timestamp patterns do not read
_MERIDIEM = re.compile(r"^\s*[ap]\.?m\.?(?![a-z])", re.I)
_UNDATED = re.compile(
    rf"^(?P<time>(?P<mark>{STRICT.approximate})?\s*[\d?]{{1,2}}:[\d?]{{2}}(?:\s*(?:UTC|GMT|Z)\b)?)(?![^\W_])", re.I
)
_META = re.compile(
    r"^\s*(?:[-*+]\s+)?(?P<key>title|severity|sev|services?|affected services?|date|incident date|"
    r"time ?zone|tz|id|incident id)\s*:\s*(?P<value>\S.*?)\s*$",
    re.I,
)
_ZONE_NAME = r"[A-Z]{1,5}|[+-]\d{2}:?\d{2}|\w+/[\w/+-]+"  # UTC, CET, +01:00, Europe/Oslo: not "local" or "approximate"
_ALL_TIMES_IN = re.compile(
    rf"^\s*(?:\(\s*)?(?i:all times(?: are| shown)?(?: in)?)\s+(?P<zone>{_ZONE_NAME})\s*\.?\)?\s*$"
)
_LIST_SPLIT = re.compile(r"(?<!\s)\s*(?:[,;]|\band\b)\s*")  # starts once per run of spaces
_HEADER_ZONE = re.compile(rf"\(\s*(?P<zone>{_ZONE_NAME})\s*\)|\b(?P<bare>UTC|GMT)\b")


class BadLine(ValueError):
    """A line that cannot be read; the reader adds the file and line number."""


@dataclass
class Stamp:
    """A timestamp opening a line: the match (for ``from_match``), the text after it and a ``[tag]``."""

    match: re.Match[str]
    text: str
    tag: str | None = None


class TextTimelineParser:
    """Reads timelines written by people: ``14:05 UTC - text`` lines, bullets, or a Markdown table."""

    name = "text or Markdown timeline"

    def sniff(self, data: Any) -> bool:
        if not isinstance(data, str):
            return False
        lines = data.splitlines()
        return any(leading_stamp(line) or _UNDATED.match(_PREFIX.sub("", line, count=1)) for line in lines) or any(
            table_starts(line, following, STRICT) and "time" in timeline_roles(table_cells(line)).values()
            for line, following in itertools.pairwise(lines)
        )

    def parse(self, data: Any, source: str, *, default_date: dt.date | None) -> ParsedFile:
        if not isinstance(data, str):
            raise InputError("a text timeline must be text", source=source)
        return TimelineReader(source, default_date).read(data)


def leading_stamp(line: str) -> Stamp | None:
    """The timestamp a line opens with, after an optional bullet, heading mark, ``[tag]`` and emphasis."""
    body = _PREFIX.sub("", line, count=1)
    tag, body = _take_tag(body)
    opener = next((mark for mark in _OPENERS if body.startswith(mark)), "")
    match = match_leading_timestamp(body[len(opener) :])
    if match is None:
        return None
    rest = body[len(opener) + match.end() :]
    if opener and rest.lstrip().startswith(_OPENERS[opener]):
        rest = rest.lstrip()[len(_OPENERS[opener]) :]
    return Stamp(match=match, text=rest, tag=tag)


def approximate_time(body: str) -> tuple[str, str] | None:
    """The time ``body`` opens with when it gives it only roughly, as written, and the text after it: ``~14:05``,
    ``around 14:05``, ``14:05 (approx.)``, ``14:??``. None for an exact time or no time. Timeline lines and the time
    cells of timeline tables are read by this one reader, so both keep the same rough time with its mark."""
    found = _UNDATED.match(body)
    if found is None:
        return None
    after = APPROXIMATE_AFTER.match(body, found.end())
    if not ("?" in found["time"] or found["mark"] or after):
        return None
    end = after.end() if after else found.end()
    return body[:end].strip(), body[end:]


def infer_source(text: str) -> str:
    """alert, page or deploy when one of their words appears (the earliest wins), else metric, chat or note."""
    hits = [(found.start(), source) for source, words in STRONG_SOURCES.items() if (found := words.search(text))]
    if hits:
        return min(hits)[1]
    return next((source for source, words in WEAK_SOURCES.items() if words.search(text)), "note")


@dataclass
class TimelineReader:
    """Reads one file top to bottom, carrying the current date and the last time of day seen."""

    source: str
    default_date: dt.date | None
    parsed: ParsedFile = field(default_factory=lambda: ParsedFile(format="text"))
    date: dt.date | None = None
    last_clock: dt.time | None = None
    file_zone: dt.tzinfo | None = None
    title_from_line: bool = False
    notes: list[tuple[str, str]] = field(default_factory=list)  # (heading | text | blank, line)
    last_entry: RawEvent | RawUndated | None = None

    def read(self, text: str) -> ParsedFile:
        lines = text.splitlines()
        index = 0
        while index < len(lines):
            try:
                index = self._line(lines, index)
            except (BadLine, TimestampError) as exc:
                raise InputError(f"line {index + 1}: {exc}", source=self.source) from None
        if self.file_zone is not None:
            for event in self.parsed.events:
                if event.at.tzinfo is None:
                    event.at = event.at.replace(tzinfo=self.file_zone)
        self.parsed.notes = _join_notes(self.notes)
        return self.parsed

    def _line(self, lines: list[str], index: int) -> int:
        """Read the line at ``index`` (or the table or event starting there); return the index of the next one."""
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if table_starts(line, following, STRICT):
            return self._table(lines, index)
        stamp = leading_stamp(line)
        if stamp is not None and not APPROXIMATE_AFTER.match(stamp.text):
            return self._event(stamp, lines, index)
        undated = self._undated(line, index + 1)
        if undated is not None:
            self.last_entry = undated
        elif stamp is not None:
            return self._event(stamp, lines, index)
        elif not line.strip():
            self.last_entry = None
            self.notes.append(("blank", ""))
        elif line[:1] in " \t" and self.last_entry is not None:
            self.last_entry.text += " " + _PREFIX.sub("", line, count=1).strip()
        else:
            self.last_entry = None
            self._other(line)
        return index + 1

    def _event(self, stamp: Stamp, lines: list[str], index: int) -> int:
        """An event line; a timestamp alone on its line (``### 14:05 UTC``) takes the paragraph below as text."""
        if _MERIDIEM.match(stamp.text):
            raise BadLine("12-hour times (2:05 PM) are not supported; write 14:05")
        if stamp.match["zone"] and _OFFSET_AFTER_ZONE.match(stamp.text):
            raise BadLine(f"write {stamp.match.group(0)}{stamp.text.split()[0]} as an offset such as +02:00")
        tag, text = _take_tag(_SEPARATOR.sub("", stamp.text, count=1).strip())
        end = index + 1
        if not text:
            text, end = _paragraph_below(lines, index + 1)
        if not text:
            raise BadLine(f"{stamp.match.group(0).strip()!r} has no event text after it")
        event = RawEvent(
            at=self._moment(stamp.match),
            source=_tag_source(stamp.tag or tag) or infer_source(text),
            text=text,
            locator=f"line {index + 1}",
        )
        self.parsed.events.append(event)
        self.last_entry = event
        return end

    def _undated(self, line: str, number: int) -> RawUndated | None:
        """``14:?? - text``, ``~14:10 text``, ``± 17:20 UTC text``, ``around 09:00 text``: the file does not give the exact
        time, so the event is kept with the time as written and asked about, never placed by guess."""
        body = _PREFIX.sub("", line, count=1)
        tag, body = _take_tag(strip_marks(body))
        rough = approximate_time(body)
        if rough is None:
            return None
        time_text, rest = rough
        more_tag, text = _take_tag(_SEPARATOR.sub("", rest, count=1).strip())
        if not text:
            return None
        undated = RawUndated(
            source=_tag_source(tag or more_tag) or infer_source(text),
            text=text,
            time_text=time_text,
            locator=f"line {number}",
        )
        self.parsed.undated.append(undated)
        return undated

    def _moment(self, match: re.Match[str]) -> dt.datetime:
        """The datetime of a timestamp, dating a time of day and stepping over midnight."""
        if match.groupdict().get("year"):
            moment = from_match(match)
            self.date, self.last_clock = moment.date(), moment.time()
            return moment
        self.date = self.date or self.default_date
        if self.date is None:
            raise BadLine(NEEDS_A_DATE)
        moment = from_match(match, default_date=self.date)
        if self.last_clock is not None and _clock_gap(self.last_clock, moment.time()) > MIDNIGHT_JUMP:
            self.date += dt.timedelta(days=1)
            moment = from_match(match, default_date=self.date)
        self.last_clock = moment.time()
        return moment

    def _other(self, line: str) -> None:
        """A line that is no event: incident fields, a date for what follows, or notes."""
        plain = strip_marks(line)
        meta = _META.match(plain)
        if meta:
            self._meta(meta["key"].lower(), meta["value"].strip())
            return
        found = heading(line, STRICT)
        if found:
            self._heading(len(found["marks"]), strip_marks(found["text"]).strip(), line)
            return
        date_alone = DATE_ONLY_RE.fullmatch(plain.strip(" \t*_#"))
        if date_alone:
            self._set_date(date_alone)
            return
        zone = _ALL_TIMES_IN.match(plain)
        if zone:
            self.file_zone = _zone(zone["zone"])
        self.notes.append(("text", line.rstrip()))

    def _meta(self, key: str, value: str) -> None:
        """Record a ``Title:``, ``Severity:``, ``Services:``, ``Date:``, ``Timezone:`` or ``ID:`` line."""
        if key == "title":
            self.parsed.title, self.title_from_line = value, True
        elif key in ("severity", "sev"):
            self.parsed.severity = value
        elif key.endswith(("service", "services")):
            self.parsed.services.extend(s for s in _LIST_SPLIT.split(value) if s and s not in self.parsed.services)
        elif key in ("date", "incident date"):
            found = DATE_ONLY_RE.match(value)
            if found is None:
                raise BadLine(f"'Date:' needs a date written YYYY-MM-DD, not {quoted(value)}")
            self._set_date(found)
        elif key in ("timezone", "time zone", "tz"):
            self.file_zone = _zone(value)
        else:  # id, incident id
            self.parsed.id = value

    def _heading(self, level: int, text: str, line: str) -> None:
        found = DATE_ONLY_RE.search(text)
        if found:
            self._set_date(found)
        if level == 1 and self.parsed.title is None and not self.title_from_line:
            self.parsed.title = text
            return
        self.notes.append(("heading", line.rstrip()))

    def _set_date(self, found: re.Match[str]) -> None:
        self.date, self.last_clock = from_match(found, time_optional=True).date(), None

    def _table(self, lines: list[str], index: int) -> int:
        """A Markdown table: a timeline when a column holds times, else kept in the notes as it is."""
        header = table_cells(lines[index])
        roles = timeline_roles(header)
        end = table_end(lines, index + 2, STRICT)
        if "time" not in roles.values():
            self.notes.extend(("text", line.rstrip()) for line in lines[index:end])
            return end
        zone = _header_zone(header[_role_index(roles, "time")])
        for row in range(index + 2, end):
            try:
                self._row(table_cells(lines[row]), roles, zone, row + 1)
            except (BadLine, TimestampError) as exc:
                raise InputError(f"line {row + 1}: {exc}", source=self.source) from None
        self.last_entry = None
        return end

    def _row(self, cells: list[str], roles: dict[int, str], zone: dt.tzinfo | None, number: int) -> None:
        value = {role: (cells[i].strip() if i < len(cells) else "") for i, role in roles.items()}
        time_text = strip_marks(value.get("time", "")).strip()
        tag, text = _take_tag(value.get("text", ""))
        if not text:
            raise BadLine("the table row has no event text")
        kind = _tag_source(value.get("source", "")) or _tag_source(tag) or infer_source(text)
        actor = strip_marks(value.get("actor", "")).strip() or None
        rough = approximate_time(time_text)
        if rough is not None and not rough[1].strip():
            time_text = rough[0]
        if rough is not None or "?" in time_text or time_text.lower() in ("unknown", "tbd", "n/a"):
            self.parsed.undated.append(
                RawUndated(source=kind, text=text, time_text=time_text, locator=f"line {number}")
            )
            return
        match = match_leading_timestamp(time_text)
        if match is None or time_text[match.end() :].strip():
            raise BadLine(
                f"unreadable time {quoted(time_text)} in the time column" if time_text else "the time cell is empty"
            )
        moment = self._moment(match)
        if zone is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        self.parsed.events.append(RawEvent(at=moment, source=kind, text=text, actor=actor, locator=f"line {number}"))


def _paragraph_below(lines: list[str], start: int) -> tuple[str, int]:
    """The text of the paragraph starting at ``start`` (one blank line allowed first) and the index after it."""
    index = start + 1 if start < len(lines) and not lines[start].strip() else start
    words: list[str] = []
    while index < len(lines) and lines[index].strip() and not _starts_block(lines, index):
        words.append(_PREFIX.sub("", lines[index], count=1).strip())
        index += 1
    return " ".join(words), index if words else start


def _starts_block(lines: list[str], index: int) -> bool:
    following = lines[index + 1] if index + 1 < len(lines) else ""
    line = lines[index]
    return bool(leading_stamp(line) or heading(line, STRICT) or table_starts(line, following, STRICT))


def _take_tag(text: str) -> tuple[str | None, str]:
    """``[deploy] text`` → ("deploy", "text") when the tag names a source; other brackets stay text."""
    found = _TAG.match(text)
    if found and found["tag"].lower() in SOURCE_SYNONYMS:
        return found["tag"].lower(), text[found.end() :]
    return None, text


def _tag_source(tag: str | None) -> str | None:
    return SOURCE_SYNONYMS.get((tag or "").strip().lower())


def _clock_gap(earlier: dt.time, later: dt.time) -> dt.timedelta:
    """How far the clock ran backwards from ``earlier`` to ``later`` (zero when it moved forward)."""
    day = dt.date(2000, 1, 1)
    return max(dt.datetime.combine(day, earlier) - dt.datetime.combine(day, later), dt.timedelta(0))


def _zone(name: str) -> dt.tzinfo:
    try:
        return parse_zone_name(name.strip())
    except TimestampError as exc:
        raise BadLine(str(exc)) from None


def _header_zone(header: str) -> dt.tzinfo | None:
    """``Time (UTC)`` states the zone of every time in the column."""
    found = _HEADER_ZONE.search(header)
    return _zone(found["zone"] or found["bare"]) if found else None


def _role_index(roles: dict[int, str], role: str) -> int:
    return next(index for index, name in roles.items() if name == role)


def _join_notes(items: list[tuple[str, str]]) -> str:
    """The kept lines, without headings whose section (down to the next heading as high) held only events."""
    kept: list[str] = []
    for position, (kind, line) in enumerate(items):
        if kind == "heading" and not _section_has_text(items, position + 1):
            continue
        kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _section_has_text(items: list[tuple[str, str]], start: int) -> bool:
    level = _heading_level(items[start - 1][1])
    for kind, line in items[start:]:
        if kind == "text":
            return True
        if kind == "heading" and _heading_level(line) <= level:
            return False
    return False


def _heading_level(line: str) -> int:
    found = heading(line, STRICT)
    return len(found["marks"]) if found else 0


PARSER = TextTimelineParser()

"""Entries inside a Markdown postmortem: timeline rows, action items, dates and time zones.

These read the cells and list items that :mod:`pm_agent.markdown.blocks` found. Each keeps the
text as written next to what was read from it, so a reader can check the reading.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, Field

from pm_agent.ingest.timeparse import DATETIME_RE, TIME_ONLY_RE, match_leading_timestamp
from pm_agent.markdown.blocks import plain
from pm_agent.markdown.columns import action_columns, time_columns
from pm_agent.markdown.syntax import APPROXIMATE_AFTER, LENIENT

Status = Literal["open", "in_progress", "done"]

_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())} | {"sept": 9})
_MONTH = r"(?P<month_name>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_RES = (
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})\b"),
    re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+{_MONTH},?\s+(?P<year>\d{{4}})\b", re.I),
    re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b", re.I),
)
# Every date pattern but the first (ISO) names a month: a text without a letter cannot match them.
_LETTER_RE = re.compile(r"[^\W\d_]")
_ZONE_RE = re.compile(
    r"\b(?P<name>UTC|GMT|CET|CEST|EET|EEST|WET|WEST|BST|IST|EST|EDT|CST|CDT|MST|MDT|PST|PDT|AEST|AEDT|JST|KST|SGT|HKT)"
    r"(?P<offset>\s?[+-]\d{1,2}(?::?\d{2})?)?\b"
    r"|\b(?P<iana>(?:Europe|America|Asia|Australia|Africa|Pacific)/[A-Z][A-Za-z_]+)"
)
_APPROXIMATE_RE = re.compile(LENIENT.approximate, re.I)
_DATED_APPROXIMATE_RE = re.compile(rf"(?P<date>\d{{4}}-\d{{1,2}}-\d{{1,2}})\s+{_APPROXIMATE_RE.pattern}", re.I)
_LEADING_ZONE_RE = re.compile(r"\s*(?:" + _ZONE_RE.pattern + r")(?![\w/])")
_PLACEHOLDERS = {
    "",
    "-",
    "--",
    "—",
    "–",
    "n/a",
    "na",
    "none",
    "tbd",
    "tba",
    "tbc",
    "to assign",
    "to set",
    "unassigned",
    "unknown",
    "?",
    "??",
    "todo",
    "to do",
    "not set",
    "no one",
    "nobody",
}

_OWNER_RES = (
    re.compile(
        r"(?i:\b(?:owners?|assignee|dri|responsible)\s*[:=]|\b(?:owned by|assigned to)\b)\s*"
        r"(?P<owner>@[\w.-]+|[A-Za-z][\w.&-]*(?:\s+(?:team|squad|group|on-call|[A-Z][\w.&-]*)){0,3})"
    ),
    re.compile(r"(?<![\w.@/])@(?P<owner>[A-Za-z][\w.-]*[\w])"),
)
_DATEISH = (
    r"\d{4}-\d{1,2}-\d{1,2}|Q[1-4][ -]?\d{4}|\d{4}[ -]?Q[1-4]"
    r"|(?:the\s+)?end\s+of\s+(?:the\s+)?(?:week|month|quarter|sprint|year|Q[1-4])(?:\s+\d{4})?|next\s+(?:week|sprint|month|quarter)|sprint\s+\d+|\d{1,2}/\d{1,2}(?:/\d{2,4})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH.replace('?P<month_name>', '?:')}(?:,?\s+\d{{4}})?"
    rf"|{_MONTH.replace('?P<month_name>', '?:')}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|{_MONTH.replace('?P<month_name>', '?:')}\s+\d{{4}}"
)
_DUE_RE = re.compile(
    rf"(?i:\b(?:due(?:\s+date)?|by|deadline|target(?:\s+date)?|eta|before|no later than)\b)\s*[:=]?\s*"
    rf"(?P<due>{_DATEISH})",
    re.I,
)
_BARE_DATE_RE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_STATUS_RE = re.compile(
    r"(?:status\s*[:=]\s*|[(\[]\s*|^)"
    r"(?P<status>done|completed?|closed|fixed|finished|merged|shipped|resolved|in[ -]progress|wip|ongoing|started"
    r"|open|todo|to do|not started|pending|planned)(?=\s*(?:[)\]]|$|[:\-–—,.;]))",
    re.I,
)
_DONE_WORDS = {"done", "complete", "completed", "closed", "fixed", "finished", "merged", "shipped", "resolved"}
_PROGRESS_WORDS = {"in progress", "in-progress", "wip", "ongoing", "started"}
_DONE_WHEN_RE = re.compile(
    r"\b(?:done when|definition of done|success criteria|success metric|measured by|acceptance criteria)\s*:?\s*"
    r"(?P<m>[^;|)]+)",
    re.I,
)
_TICKET_RE = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d{1,6}\b|(?<![\w&])#\d{2,7}\b")
_TRACKER_URL_RE = re.compile(
    r"https?://\S*(?:/issues?/|/pull/|/browse/|/tickets?/|linear\.app|jira|/merge_requests/)\S*", re.I
)
_DONE_MARKS = ("✅", "✔", "☑", "✓")
_OPEN_MARKS = ("⬜", "☐", "🔲")


class TimelineRow(BaseModel):
    """A timeline entry: the time as written, the event, and the date, time and zone read from it."""

    when: str
    text: str
    date: dt.date | None = None
    time: dt.time | None = None
    zone: str | None = None
    approximate: bool = Field(default=False, description="The time is marked as an estimate: '~14:20', '± 17:20'.")

    @property
    def timestamped(self) -> bool:
        """True when a time of day could be read (``14:??`` or ``HH:mm`` cannot)."""
        return self.time is not None


class ActionEntry(BaseModel):
    """An action item as a document states it; fields the document leaves out stay None."""

    text: str
    owner: str | None = None
    due: str | None = Field(default=None, description="As written: '2024-03-01', 'Q4 2025', 'end of sprint'.")
    status: Status | None = None
    ticket: str | None = None
    done_when: str | None = None


def parse_date(text: str) -> dt.date | None:
    """The first real calendar date in ``text``: ISO, '22nd June 2021', 'October 3, 2025'."""
    found: list[tuple[int, dt.date]] = []
    patterns = _DATE_RES if _LETTER_RE.search(text or "") else _DATE_RES[:1]
    for pattern in patterns:
        for match in pattern.finditer(text or ""):
            parts = match.groupdict()
            month = int(parts["month"]) if parts.get("month") else _MONTHS[parts["month_name"].lower()]
            try:
                found.append((match.start(), dt.date(int(parts["year"]), month, int(parts["day"]))))
                break
            except ValueError:
                continue
    return min(found)[1] if found else None


def zone_in(text: str) -> str | None:
    """A time zone named in ``text`` (``UTC``, ``CET``, ``UTC+2``, ``Europe/Oslo``), else None."""
    match = _ZONE_RE.search(text) if text and _LETTER_RE.search(text) else None  # a zone is written in letters
    if not match:
        return None
    if match["iana"]:
        return match["iana"]
    return (match["name"] + (match["offset"] or "").replace(" ", "")).upper()


def row_from_text(line: str) -> TimelineRow | None:
    """A timeline row from a bullet or line that opens with a time: '**14:05 UTC** - paged on-call', or an
    approximate one: '± 17:20 UTC', '~14:20', 'around 09:00', 'approx. 14:20'."""
    text = plain(line)
    body = text.lstrip("[(* ")
    approximate = _APPROXIMATE_RE.match(body)
    if approximate:
        body = body[approximate.end() :]
    elif dated := _DATED_APPROXIMATE_RE.match(body):
        approximate = dated
        body = dated["date"] + " " + body[dated.end() :]
    match = match_leading_timestamp(body)
    if not match:
        return None
    end = match.end()
    if named := _LEADING_ZONE_RE.match(body, end):
        end = named.end()
    if after := APPROXIMATE_AFTER.match(body, end):
        approximate, end = after, after.end()
    when = body[:end].strip()
    date, time, zone = _moment(when)
    if time is None:
        return None
    rest = body[end:].lstrip("])*").strip(" -–—:|\u00a0")
    return TimelineRow(when=when, text=rest, date=date, time=time, zone=zone, approximate=bool(approximate))


def rows_from_table(header: list[str], rows: list[list[str]], *, need_time_header: bool = False) -> list[TimelineRow]:
    """Rows of a table whose time column (by its header, else by its cells) is filled in."""
    columns = time_columns(header, rows, need_time_header=need_time_header)
    if not columns:
        return []
    found = []
    for row in rows:
        when = " ".join(row[i] for i in columns if i < len(row) and row[i]).strip()
        if not when:
            continue
        date, time, zone = _moment(when)
        text = " — ".join(c for i, c in enumerate(row) if i not in columns and c)
        found.append(
            TimelineRow(when=when, text=text, date=date, time=time, zone=zone, approximate=_marked_approximate(when))
        )
    return found


def action_from_text(raw: str, *, default_due: str | None = None) -> ActionEntry:
    """An action from a list item or line: checkbox, owner, due date, status and ticket read from the words."""
    raw = raw.strip()
    status: Status | None = None
    if match := re.match(r"^\[([ xX])\]\s*", raw):
        status = "open" if match.group(1) == " " else "done"
        raw = raw[match.end() :]
    if raw.startswith("~~") and raw.rstrip(".").endswith("~~"):
        status = "done"
    if any(mark in raw for mark in _DONE_MARKS):
        status = "done"
    elif any(mark in raw for mark in _OPEN_MARKS):
        status = status or "open"
    text = plain(raw)
    for mark in _DONE_MARKS + _OPEN_MARKS:
        text = text.replace(mark, "")
    text = text.strip()
    return ActionEntry(
        text=text,
        owner=owner_in(text),
        due=due_in(text) or default_due,
        status=status or status_in(text),
        ticket=ticket_in(raw),
        done_when=_done_when(text),
    )


def action_from_cells(header: list[str], row: list[str]) -> ActionEntry:
    """An action from a table row, reading columns by their header; the action text may hold the rest."""
    kinds = action_columns(header)
    cell = {kind: row[i] for i, kind in kinds.items() if i < len(row)}
    text_index = next((i for i, k in kinds.items() if k == "text"), None)
    if text_index is None:
        text_index = next((i for i in range(len(row)) if i not in kinds), 0)
    base = action_from_text(row[text_index] if text_index < len(row) else "")
    status = _status_word(cell.get("status", "")) if _filled(cell.get("status")) else None
    return ActionEntry(
        text=base.text,
        owner=cell["owner"] if _filled(cell.get("owner")) else base.owner,
        due=cell["due"] if _filled(cell.get("due")) else base.due,
        status=status or base.status,
        ticket=(cell["ticket"] if _filled(cell.get("ticket")) else None) or base.ticket or ticket_in(" ".join(row)),
        done_when=cell["done_when"] if _filled(cell.get("done_when")) else base.done_when,
    )


def owner_in(text: str) -> str | None:
    """The owner an action names: 'Owner: Sam', 'assigned to Platform team', '(@sam)'."""
    for pattern in _OWNER_RES:
        match = pattern.search(text)
        if match and _filled(match["owner"]):
            return match["owner"].strip(" .,;:").lstrip("@")
    return None


def due_in(text: str) -> str | None:
    """The due date an action names: 'due 2024-03-01', 'by Q3 2024', 'by end of sprint', or a bare ISO date."""
    match = _DUE_RE.search(text) or _BARE_DATE_RE.search(text)
    return (match["due"] if match.re is _DUE_RE else match.group(0)).strip() if match else None


def status_in(text: str) -> Status | None:
    """A status the text states: '(done)', 'Status: in progress', 'DONE: ...'."""
    match = _STATUS_RE.search(text)
    return _status_word(match["status"]) if match else None


def ticket_in(text: str) -> str | None:
    """A tracking reference: an issue key like OPS-123, '#4512', or a link to an issue or pull request."""
    match = _TRACKER_URL_RE.search(text) or _TICKET_RE.search(text)
    return match.group(0).rstrip(").,]") if match else None


def _status_word(word: str) -> Status | None:
    word = word.strip().lower()
    if word.startswith("[x]") or any(mark in word for mark in _DONE_MARKS) or word in _DONE_WORDS:
        return "done"
    if word in _PROGRESS_WORDS:
        return "in_progress"
    return "open" if word else None


def _done_when(text: str) -> str | None:
    match = _DONE_WHEN_RE.search(text)
    return match["m"].strip() if match else None


def _marked_approximate(when: str) -> bool:
    """Whether a time cell marks its time as an estimate, before it (``~14:05``) or after it (``14:05 (approx.)``)."""
    if _APPROXIMATE_RE.match(when):
        return True
    found = DATETIME_RE.search(when) or TIME_ONLY_RE.search(when)
    return bool(found and APPROXIMATE_AFTER.match(when, found.end()))


def _filled(value: str | None) -> bool:
    return value is not None and value.strip().lower().strip("_*") not in _PLACEHOLDERS


def _moment(text: str) -> tuple[dt.date | None, dt.time | None, str | None]:
    """Date, time of day and zone read from a time cell; parts that cannot be read are None."""
    match = DATETIME_RE.search(text) or TIME_ONLY_RE.search(text)
    date = parse_date(text)
    if not match:
        return date, None, zone_in(text)
    try:
        time = dt.time(int(match["hour"]), int(match["minute"]), int(match["second"] or 0))
    except ValueError:
        return date, None, zone_in(text)
    written = match["zone"] or ""
    zone = (written if "/" in written else written.upper()) or zone_in(text)  # Europe/Oslo keeps its case
    return date, time, zone

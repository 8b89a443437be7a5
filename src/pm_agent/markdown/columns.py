"""What the columns of a Markdown table hold, read from their headers (and, leniently, from their cells).

A timeline table read **strictly** (the ingester) names its columns: ``Time``, ``Source``, ``Who``,
``Event``; a header that says nothing known leaves its column unread, except that the first such
column holds the event text. A timeline table read **leniently** (the scorer) may only mention a time
in its header (``Date/time (UTC)``, ``Clock``), or say nothing and hold times in its cells. Action
tables are read leniently by the kind of field each header mentions.
"""

from __future__ import annotations

import re

from pm_agent.markdown.syntax import LENIENT, STRICT, strip_marks

_TIMELINE_ROLES = {
    "time": STRICT.time_header,
    "source": re.compile(r"^(?:source|type|kind|category|system|channel|tool)$", re.I),
    "actor": re.compile(r"^(?:actor|who|owner|person|by|author|user|responder|name)$", re.I),
    "text": re.compile(
        r"^(?:event|events|description|what|what happened|details?|text|summary|message|action|update)$", re.I
    ),
}
_TIMEISH_RE = re.compile(r"\d{1,2}:\d{2}|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}:[?x-]{2}|\bhh:mm\b", re.I)
_ACTION_KINDS = (
    ("id", re.compile(r"^(?:id|#|no\.?|number|ref)$", re.I)),
    ("done_when", re.compile(r"done when|definition of done|success|acceptance|measure", re.I)),
    ("owner", re.compile(r"owner|assignee|assigned|\bwho\b|responsible|\bdri\b|\blead\b", re.I)),
    ("due", re.compile(r"due|deadline|target|\beta\b|\bwhen\b|date|\bby\b", re.I)),
    ("status", re.compile(r"status|state|\bdone\b|progress|complete", re.I)),
    ("ticket", re.compile(r"ticket|issue|jira|\blink\b|tracking|\bpr\b|reference", re.I)),
    ("text", re.compile(r"action|item|task|description|title|what|follow|remediation|fix|improvement|step", re.I)),
)


def timeline_roles(headers: list[str]) -> dict[int, str]:
    """Strict: column index → time, source, actor or text, by header name (cells as written); the first
    unnamed column holds the text."""
    roles: dict[int, str] = {}
    for index, header in enumerate(headers):
        name = strip_marks(header).strip()
        role = next((role for role, pattern in _TIMELINE_ROLES.items() if pattern.match(name)), None)
        if role and role not in roles.values():
            roles[index] = role
    if "text" not in roles.values():
        spare = next((i for i in range(len(headers)) if i not in roles), None)
        if spare is not None:
            roles[spare] = "text"
    return roles


def time_columns(header: list[str], rows: list[list[str]], *, need_time_header: bool = False) -> list[int]:
    """Lenient: every column whose header (in plain text) mentions a time, else, unless ``need_time_header``,
    the first column whose filled cells mostly look like times."""
    columns = [i for i, cell in enumerate(header) if LENIENT.time_header.search(cell)]
    if columns or need_time_header:
        return columns
    for i in range(len(header)):
        cells = [row[i] for row in rows if i < len(row) and row[i]]
        if cells and sum(bool(_TIMEISH_RE.search(c)) for c in cells) * 2 >= len(cells):
            return [i]
    return []


def action_columns(header: list[str]) -> dict[int, str]:
    """Column index → id, done_when, owner, due, status, ticket or text, each kind to the first header that
    mentions it."""
    kinds: dict[int, str] = {}
    for i, cell in enumerate(header):
        for kind, pattern in _ACTION_KINDS:
            if pattern.search(cell) and kind not in kinds.values():
                kinds[i] = kind
                break
    return kinds
